//go:build tools

// Package tools names the CoreDNS main package, so that `go mod tidy` keeps it.
package tools

import _ "github.com/coredns/coredns"
