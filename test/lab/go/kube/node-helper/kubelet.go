package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"
	"k8s.io/apimachinery/pkg/util/httpstream/wsstream"
	"k8s.io/apimachinery/pkg/util/proxy"
	translator "k8s.io/apiserver/pkg/util/proxy"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	"k8s.io/cri-streaming/pkg/streaming"
	"k8s.io/cri-streaming/pkg/streaming/portforward"
	remotecommandserver "k8s.io/cri-streaming/pkg/streaming/remotecommand"
)

// runKubelet serves the node's kubelet port the way the kubelet does: each exec, attach and
// port-forward request gets a URL from a CRI streaming server (as the kubelet gets one from its
// container runtime) and is proxied there, a WebSocket request with the v5 stream-close protocol
// or the port-forward tunneling protocol through the kubelet's translators. Callers must present
// a certificate of the cluster's CA with the API server's kubelet-client name.
func runKubelet(args []string) int {
	flags := flag.NewFlagSet("kubelet", flag.ContinueOnError)
	listen := flags.String("listen", "", "address:port of the kubelet port")
	caFile := flags.String("ca", "", "CA that signs the callers' client certificates")
	certFile := flags.String("cert", "", "serving certificate")
	keyFile := flags.String("key", "", "serving key")
	allowedCN := flags.String("allow-cn", "", "common name of the only client allowed (the API server's kubelet client)")
	runtimeSocket := flags.String("runtime", "", "unix socket of the node runtime")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	if *listen == "" || *caFile == "" || *certFile == "" || *keyFile == "" || *allowedCN == "" || *runtimeSocket == "" {
		fmt.Fprintln(os.Stderr, "node-helper kubelet: -listen, -ca, -cert, -key, -allow-cn and -runtime are required")
		return 2
	}

	// The port belongs to the node runtime that started this process: go with it.
	if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGTERM), 0, 0, 0); err != nil {
		log.Printf("prctl: %v", err)
	}

	runtime := newNodeRuntime(*runtimeSocket)
	config := streaming.DefaultConfig
	// The CRI streaming server is the node's own: loopback of the node's network namespace.
	config.Addr = "127.0.0.1:0"
	streams, err := streaming.NewServer(config, runtime)
	if err != nil {
		log.Printf("streaming server: %v", err)
		return 1
	}
	go func() {
		if err := streams.Start(true); err != nil {
			log.Fatalf("streaming server: %v", err)
		}
	}()

	pem, err := os.ReadFile(*caFile)
	if err != nil {
		log.Printf("read %s: %v", *caFile, err)
		return 1
	}
	clientCAs := x509.NewCertPool()
	if !clientCAs.AppendCertsFromPEM(pem) {
		log.Printf("%s holds no certificate", *caFile)
		return 1
	}
	certificate, err := tls.LoadX509KeyPair(*certFile, *keyFile)
	if err != nil {
		log.Printf("load serving certificate: %v", err)
		return 1
	}

	handler := &kubeletHandler{
		allowedCN: *allowedCN,
		rest:      runtimeProxy(*runtimeSocket),
		runtime:   runtime,
		streams:   streams,
	}
	server := &http.Server{
		Addr:              *listen,
		Handler:           handler,
		ReadHeaderTimeout: 30 * time.Second,
		TLSConfig: &tls.Config{
			Certificates: []tls.Certificate{certificate},
			ClientAuth:   tls.RequireAndVerifyClientCert,
			ClientCAs:    clientCAs,
			MinVersion:   tls.VersionTLS12,
		},
	}
	log.Printf("serving the kubelet port on %s", *listen)
	if err := server.ListenAndServeTLS("", ""); err != nil {
		log.Printf("kubelet port: %v", err)
		return 1
	}
	return 0
}

// runtimeProxy forwards the kubelet endpoints the node runtime serves itself (logs, healthz).
func runtimeProxy(socket string) http.Handler {
	target := &url.URL{Host: "node-runtime", Scheme: "http"}
	reverse := httputil.NewSingleHostReverseProxy(target)
	reverse.Transport = &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", socket)
		},
	}
	// Followed logs are streamed as they come.
	reverse.FlushInterval = -1
	return reverse
}

type kubeletHandler struct {
	allowedCN string
	rest      http.Handler
	runtime   *nodeRuntime
	streams   streaming.Server
}

func (h *kubeletHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		http.Error(w, "Unauthorized", http.StatusUnauthorized)
		return
	}
	if user := r.TLS.PeerCertificates[0].Subject.CommonName; user != h.allowedCN {
		http.Error(w, fmt.Sprintf("Forbidden (user=%s, verb=%s, resource=nodes, subresource=proxy)", user, strings.ToLower(r.Method)), http.StatusForbidden)
		return
	}

	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case (parts[0] == "exec" || parts[0] == "attach") && (len(parts) == 4 || len(parts) == 5):
		h.remoteCommand(w, r, parts[0], parts[1:])
	case parts[0] == "portForward" && (len(parts) == 3 || len(parts) == 4):
		h.portForward(w, r, parts[1:])
	default:
		h.rest.ServeHTTP(w, r)
	}
}

// remoteCommand serves /exec and /attach: {namespace}/{pod}[/{uid}]/{container}.
func (h *kubeletHandler) remoteCommand(w http.ResponseWriter, r *http.Request, kind string, path []string) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	namespace, pod, container := path[0], path[1], path[len(path)-1]
	uid := ""
	if len(path) == 4 {
		uid = path[2]
	}
	options, err := remotecommandserver.NewOptions(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if _, err := h.runtime.pod(namespace, pod, uid); err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}

	id := containerID(namespace, pod, container)
	var location string
	if kind == "exec" {
		command := r.URL.Query()["command"]
		response, err := h.streams.GetExec(&runtimeapi.ExecRequest{ContainerId: id, Cmd: command, Tty: options.TTY, Stdin: options.Stdin, Stdout: options.Stdout, Stderr: options.Stderr})
		if err != nil {
			_ = streaming.WriteError(err, w)
			return
		}
		location = response.Url
	} else {
		response, err := h.streams.GetAttach(&runtimeapi.AttachRequest{ContainerId: id, Tty: options.TTY, Stdin: options.Stdin, Stdout: options.Stdout, Stderr: options.Stderr})
		if err != nil {
			_ = streaming.WriteError(err, w)
			return
		}
		location = response.Url
	}

	target, err := url.Parse(location)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	var handler http.Handler = proxy.NewUpgradeAwareHandler(target, nil, false, true, responder{})
	if wsstream.IsWebSocketRequestWithStreamCloseProtocol(r) {
		handler = translator.NewStreamTranslatorHandler(target, nil, 0, translator.Options{
			Stdin: options.Stdin, Stdout: options.Stdout, Stderr: options.Stderr, Tty: options.TTY,
		})
	}
	handler.ServeHTTP(w, r)
}

// portForward serves /portForward/{namespace}/{pod}[/{uid}].
func (h *kubeletHandler) portForward(w http.ResponseWriter, r *http.Request, path []string) {
	namespace, pod := path[0], path[1]
	uid := ""
	if len(path) == 3 {
		uid = path[2]
	}
	tunneling := wsstream.IsWebSocketRequestWithTunnelingProtocol(r)
	var ports []int32
	if !tunneling {
		// A plain WebSocket request names its ports in the query; SPDY streams carry theirs.
		options, err := portforward.NewV4Options(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		ports = options.Ports
	}
	if _, err := h.runtime.pod(namespace, pod, uid); err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}

	response, err := h.streams.GetPortForward(&runtimeapi.PortForwardRequest{PodSandboxId: namespace + "/" + pod, Port: ports})
	if err != nil {
		_ = streaming.WriteError(err, w)
		return
	}
	target, err := url.Parse(response.Url)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	var handler http.Handler = proxy.NewUpgradeAwareHandler(target, nil, false, true, responder{})
	if tunneling {
		handler = translator.NewTunnelingHandler(handler)
	}
	handler.ServeHTTP(w, r)
}

type responder struct{}

func (responder) Error(w http.ResponseWriter, _ *http.Request, err error) {
	log.Printf("proxying a streaming request: %v", err)
	http.Error(w, err.Error(), http.StatusInternalServerError)
}
