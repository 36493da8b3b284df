package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
	remotecommandserver "k8s.io/cri-streaming/pkg/streaming/remotecommand"
	utilexec "k8s.io/utils/exec"
)

// nodeRuntime is the CRI streaming server's Runtime: it asks the node runtime (over its unix
// socket) where a pod's namespaces and a container's process are, and runs the streams there.
type nodeRuntime struct {
	client *http.Client
}

func newNodeRuntime(socket string) *nodeRuntime {
	return &nodeRuntime{client: &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", socket)
		},
	}}}
}

type podInfo struct {
	UID string `json:"uid"`
	// The pod's network namespace; empty for a hostNetwork pod.
	Netns string `json:"netns"`
}

type containerInfo struct {
	PID       int  `json:"pid"`
	Running   bool `json:"running"`
	TTY       bool `json:"tty"`
	Stdin     bool `json:"stdin"`
	StdinOnce bool `json:"stdinOnce"`
}

// containerID is how this runtime names a container to the streaming server.
func containerID(namespace, pod, container string) string {
	return namespace + "/" + pod + "/" + container
}

func runtimePath(parts ...string) string {
	escaped := make([]string, len(parts))
	for i, part := range parts {
		escaped[i] = url.PathEscape(part)
	}
	return "http://node-runtime/runtime/" + strings.Join(escaped, "/")
}

func (r *nodeRuntime) lookup(ctx context.Context, into any, parts ...string) error {
	request, err := http.NewRequestWithContext(ctx, http.MethodGet, runtimePath(parts...), nil)
	if err != nil {
		return err
	}
	response, err := r.client.Do(request)
	if err != nil {
		return fmt.Errorf("asking the node runtime: %w", err)
	}
	defer response.Body.Close()
	body, _ := io.ReadAll(response.Body)
	if response.StatusCode != http.StatusOK {
		return errors.New(strings.TrimSpace(string(body)))
	}
	return json.Unmarshal(body, into)
}

func (r *nodeRuntime) pod(namespace, name, uid string) (*podInfo, error) {
	info := &podInfo{}
	if err := r.lookup(context.Background(), info, "pods", namespace, name); err != nil {
		return nil, err
	}
	if uid != "" && uid != info.UID {
		return nil, fmt.Errorf("pod %s/%s with UID %s does not exist", namespace, name, uid)
	}
	return info, nil
}

func (r *nodeRuntime) container(ctx context.Context, id string) (*containerInfo, error) {
	parts := strings.SplitN(id, "/", 3)
	if len(parts) != 3 {
		return nil, fmt.Errorf("bad container id %q", id)
	}
	info := &containerInfo{}
	if err := r.lookup(ctx, info, append([]string{"containers"}, parts...)...); err != nil {
		return nil, err
	}
	if !info.Running {
		return nil, fmt.Errorf("container %q is not running", parts[2])
	}
	return info, nil
}

// containerEnv is the environment of the container's process, which exec'd commands inherit.
func containerEnv(pid int) []string {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil {
		return nil
	}
	return strings.Split(strings.TrimRight(string(data), "\x00"), "\x00")
}

// lookPath finds a command on the container's PATH (containers see the node's file system).
func lookPath(command string, env []string) (string, error) {
	if strings.Contains(command, "/") {
		if _, err := os.Stat(command); err != nil {
			return "", fmt.Errorf("exec: %q: no such file or directory", command)
		}
		return command, nil
	}
	path := "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	for _, entry := range env {
		if value, ok := strings.CutPrefix(entry, "PATH="); ok {
			path = value
		}
	}
	for _, dir := range filepath.SplitList(path) {
		candidate := filepath.Join(dir, command)
		if info, err := os.Stat(candidate); err == nil && !info.IsDir() && info.Mode()&0o111 != 0 {
			return candidate, nil
		}
	}
	return "", fmt.Errorf("exec: %q: executable file not found in $PATH", command)
}

// Exec runs a command in the container's network, mount and UTS namespaces, in its working
// directory and with its environment, as `docker exec` does.
func (r *nodeRuntime) Exec(ctx context.Context, id string, cmd []string, in io.Reader, out, errOut io.WriteCloser, tty bool, resize <-chan remotecommandserver.TerminalSize) error {
	if len(cmd) == 0 {
		return errors.New("exec needs a command")
	}
	info, err := r.container(ctx, id)
	if err != nil {
		return err
	}
	env := containerEnv(info.PID)
	if _, err := lookPath(cmd[0], env); err != nil {
		return err
	}

	args := append([]string{"--target", strconv.Itoa(info.PID), "--mount", "--uts", "--net", "--wd", "--"}, cmd...)
	command := exec.CommandContext(ctx, "nsenter", args...)
	command.Env = env
	if tty {
		err = runOnTerminal(command, in, out, resize)
	} else {
		err = runWithPipes(command, in, out, errOut)
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return utilexec.CodeExitError{Err: err, Code: exit.ExitCode()}
	}
	return err
}

func runWithPipes(command *exec.Cmd, in io.Reader, out, errOut io.Writer) error {
	command.Stdout = out
	command.Stderr = errOut
	if in != nil {
		// Not command.Stdin: Wait would then wait for the client to close stdin, even after the
		// command exited.
		stdin, err := command.StdinPipe()
		if err != nil {
			return err
		}
		go func() {
			_, _ = io.Copy(stdin, in)
			_ = stdin.Close()
		}()
	}
	return command.Run()
}

func runOnTerminal(command *exec.Cmd, in io.Reader, out io.Writer, resize <-chan remotecommandserver.TerminalSize) error {
	// kubectl sends the client's terminal size as the first resize message, just after the stream
	// opens: a command started before it arrives would see a 0x0 terminal. Wait for it briefly.
	var size *pty.Winsize
	if resize != nil {
		select {
		case first, ok := <-resize:
			if ok {
				size = &pty.Winsize{Cols: first.Width, Rows: first.Height}
			}
		case <-time.After(time.Second):
		}
	}
	terminal, err := pty.StartWithSize(command, size)
	if err != nil {
		return err
	}
	defer terminal.Close()
	if resize != nil {
		go func() {
			for size := range resize {
				_ = pty.Setsize(terminal, &pty.Winsize{Cols: size.Width, Rows: size.Height})
			}
		}()
	}
	if in != nil {
		go func() { _, _ = io.Copy(terminal, in) }()
	}
	output := make(chan struct{})
	go func() {
		if out != nil {
			_, _ = io.Copy(out, terminal)
		} else {
			_, _ = io.Copy(io.Discard, terminal)
		}
		close(output)
	}()
	err = command.Wait()
	<-output
	return err
}

// Attach connects the client to the container's own stdio, which the node runtime holds. The
// output streams are open before stdin flows, so that nothing the container answers is lost.
func (r *nodeRuntime) Attach(ctx context.Context, id string, in io.Reader, out, errOut io.WriteCloser, tty bool, resize <-chan remotecommandserver.TerminalSize) error {
	info, err := r.container(ctx, id)
	if err != nil {
		return err
	}
	parts := strings.SplitN(id, "/", 3)
	channel := func(name string) string { return runtimePath(append([]string{"attach"}, append(parts, name)...)...) }
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	open := func(name string) (io.ReadCloser, error) {
		request, err := http.NewRequestWithContext(ctx, http.MethodGet, channel(name), nil)
		if err != nil {
			return nil, err
		}
		response, err := r.client.Do(request)
		if err != nil {
			return nil, err
		}
		if response.StatusCode != http.StatusOK {
			message, _ := io.ReadAll(response.Body)
			response.Body.Close()
			return nil, errors.New(strings.TrimSpace(string(message)))
		}
		return response.Body, nil
	}
	post := func(name string, body io.Reader) {
		request, err := http.NewRequestWithContext(ctx, http.MethodPost, channel(name), body)
		if err != nil {
			return
		}
		if response, err := r.client.Do(request); err == nil {
			response.Body.Close()
		}
	}

	// The attachment ends when the container's output ends (it exited) or the client leaves.
	done := make(chan error, 2)
	stdout, err := open("stdout")
	if err != nil {
		return err
	}
	defer stdout.Close()
	var into io.Writer = io.Discard
	if out != nil {
		into = out
	}
	go func() {
		_, err := io.Copy(into, stdout)
		done <- err
	}()
	if !tty && errOut != nil {
		stderr, err := open("stderr")
		if err != nil {
			return err
		}
		defer stderr.Close()
		go func() {
			_, err := io.Copy(errOut, stderr)
			done <- err
		}()
	}

	if in != nil && info.Stdin {
		body, writer := io.Pipe()
		go func() {
			_, err := io.Copy(writer, in)
			_ = writer.CloseWithError(err)
		}()
		go post("stdin", body)
	}
	if resize != nil && info.TTY {
		go func() {
			for size := range resize {
				payload, _ := json.Marshal(size)
				post("resize", strings.NewReader(string(payload)))
			}
		}()
	}

	err = <-done
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// PortForward connects the stream to a port on the pod's loopback, from inside its network
// namespace, as containerd does.
func (r *nodeRuntime) PortForward(ctx context.Context, sandbox string, port int32, stream io.ReadWriteCloser) error {
	defer stream.Close()
	namespace, name, _ := strings.Cut(sandbox, "/")
	info, err := r.pod(namespace, name, "")
	if err != nil {
		return err
	}
	conn, err := dialInNetns(info.Netns, port)
	if err != nil {
		return fmt.Errorf("failed to connect to localhost:%d inside namespace of pod %s: %w", port, sandbox, err)
	}
	defer conn.Close()

	go func() {
		<-ctx.Done()
		conn.Close()
	}()
	go func() {
		_, _ = io.Copy(conn, stream)
		if tcp, ok := conn.(*net.TCPConn); ok {
			_ = tcp.CloseWrite()
		}
	}()
	_, err = io.Copy(stream, conn)
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// dialInNetns dials localhost:port from inside a network namespace (the node's when netns is
// empty). The socket stays in the namespace it was created in. The dial runs on a thread of its
// own that is never unlocked, so Go discards the thread, still in the pod's namespace, afterwards.
func dialInNetns(netns string, port int32) (net.Conn, error) {
	dial := func() (net.Conn, error) {
		conn, err := net.Dial("tcp4", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			if conn6, err6 := net.Dial("tcp6", fmt.Sprintf("[::1]:%d", port)); err6 == nil {
				return conn6, nil
			}
		}
		return conn, err
	}
	if netns == "" {
		return dial()
	}

	type result struct {
		conn net.Conn
		err  error
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		target, err := os.Open(netns)
		if err != nil {
			done <- result{err: err}
			return
		}
		defer target.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			done <- result{err: fmt.Errorf("setns %s: %w", netns, err)}
			return
		}
		conn, err := dial()
		done <- result{conn, err}
	}()
	outcome := <-done
	return outcome.conn, outcome.err
}
