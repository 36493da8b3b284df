package main

import (
	"os"
	"os/signal"
	"syscall"
)

// runPause holds a pod's namespaces open as the pause image does, until it is told to stop.
func runPause() int {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	<-signals
	return 0
}
