// node-helper is the part of the lab's node runtime written in Go, so that it can use the
// kubelet's own streaming libraries:
//
//	node-helper kubelet -listen IP:10250 -ca CA -cert CERT -key KEY -allow-cn CN -runtime SOCKET
//	    the kubelet's HTTPS port: exec, attach and port-forward (SPDY/3.1 and WebSocket, as the
//	    kubelet serves them), everything else proxied to the node runtime's socket (logs, healthz)
//	node-helper tty -- COMMAND...
//	    runs COMMAND on a new pseudo-terminal (a container with tty: true), relaying this process's
//	    stdin and stdout to it; "COLS ROWS" lines on fd 3 resize it
//	node-helper pause
//	    the pause image's /pause: waits for SIGTERM or SIGINT and exits 0
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: node-helper kubelet|tty|pause ...")
		os.Exit(2)
	}

	switch os.Args[1] {
	case "kubelet":
		os.Exit(runKubelet(os.Args[2:]))
	case "tty":
		os.Exit(runTTY(os.Args[2:]))
	case "pause":
		os.Exit(runPause())
	default:
		fmt.Fprintf(os.Stderr, "node-helper: unknown command %q (want kubelet, tty or pause)\n", os.Args[1])
		os.Exit(2)
	}
}
