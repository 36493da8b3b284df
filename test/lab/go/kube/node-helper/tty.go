package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"github.com/creack/pty"
)

// runTTY runs a container's command on its own terminal, as a container runtime does for a
// container with tty: true. The node runtime keeps this process's stdin and stdout as the
// container's, and writes "COLS ROWS" lines to fd 3 when an attached client resizes its terminal.
func runTTY(args []string) int {
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: node-helper tty -- COMMAND...")
		return 2
	}

	command := exec.Command(args[0], args[1:]...)
	terminal, err := pty.StartWithSize(command, &pty.Winsize{Cols: 80, Rows: 24})
	if err != nil {
		fmt.Fprintf(os.Stderr, "node-helper tty: %v\n", err)
		return 127
	}

	// The command leads its own session on the terminal: pass on the signals meant for it.
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT)
	go func() {
		for received := range signals {
			_ = command.Process.Signal(received)
		}
	}()

	if resize := os.NewFile(3, "resize"); resize != nil {
		go func() {
			lines := bufio.NewScanner(resize)
			for lines.Scan() {
				var cols, rows uint16
				if _, err := fmt.Sscanf(lines.Text(), "%d %d", &cols, &rows); err == nil {
					_ = pty.Setsize(terminal, &pty.Winsize{Cols: cols, Rows: rows})
				}
			}
		}()
	}

	go func() { _, _ = io.Copy(terminal, os.Stdin) }()
	output := make(chan struct{})
	go func() {
		// Reading ends with EIO once the command and everything it started closed the terminal.
		_, _ = io.Copy(os.Stdout, terminal)
		close(output)
	}()

	err = command.Wait()
	<-output
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		if status, ok := exit.Sys().(syscall.WaitStatus); ok && status.Signaled() {
			return 128 + int(status.Signal())
		}
		return exit.ExitCode()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "node-helper tty: %v\n", err)
		return 1
	}
	return 0
}
