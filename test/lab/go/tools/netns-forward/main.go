// netns-forward listens on loopback addresses of the namespace it runs in and forwards each
// connection to a target inside another network namespace, so that the host (tests, developers)
// can reach the lab's API servers on 127.0.0.1 without any lab traffic touching a host interface.
//
//	netns-forward -netns /run/netns/lab-host 127.0.0.1:16443=172.30.1.10:6443 ...
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

func main() {
	netnsPath := flag.String("netns", "", "path of the network namespace the targets live in")
	flag.Parse()
	if *netnsPath == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: netns-forward -netns PATH LISTEN=TARGET...")
		os.Exit(2)
	}

	var wg sync.WaitGroup
	for _, pair := range flag.Args() {
		listen, target, ok := strings.Cut(pair, "=")
		if !ok {
			log.Fatalf("bad forward %q: want LISTEN=TARGET", pair)
		}

		listener, err := net.Listen("tcp", listen)
		if err != nil {
			log.Fatalf("listen %s: %v", listen, err)
		}

		log.Printf("forwarding %s to %s in %s", listen, target, *netnsPath)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				client, err := listener.Accept()
				if err != nil {
					log.Printf("accept on %s: %v", listen, err)
					return
				}
				go forward(client, *netnsPath, target)
			}
		}()
	}
	wg.Wait()
}

// dialIn opens a TCP connection from inside the given network namespace. The socket belongs to the
// namespace it was created in, so the thread switches there only for the dial.
func dialIn(netnsPath, target string) (net.Conn, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	original, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		return nil, err
	}
	defer original.Close()

	namespace, err := os.Open(netnsPath)
	if err != nil {
		return nil, err
	}
	defer namespace.Close()

	if err := unix.Setns(int(namespace.Fd()), unix.CLONE_NEWNET); err != nil {
		return nil, fmt.Errorf("setns %s: %w", netnsPath, err)
	}
	defer func() {
		if err := unix.Setns(int(original.Fd()), unix.CLONE_NEWNET); err != nil {
			// A thread stuck in the wrong namespace must not serve other goroutines.
			log.Fatalf("could not return to the original namespace: %v", err)
		}
	}()

	return net.Dial("tcp", target)
}

func forward(client net.Conn, netnsPath, target string) {
	defer client.Close()
	server, err := dialIn(netnsPath, target)
	if err != nil {
		log.Printf("dial %s in %s: %v", target, netnsPath, err)
		return
	}
	defer server.Close()

	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(server, client); done <- struct{}{} }()
	go func() { _, _ = io.Copy(client, server); done <- struct{}{} }()
	<-done
}
