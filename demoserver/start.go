package demoserver

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Running is a demo server listening on a real socket.
type Running struct {
	// URL is the server's root, http://127.0.0.1:PORT; the API is under
	// URL+"/api/v1".
	URL string
	// Server is the handler, for fault injection and test helpers.
	Server *Server

	hs       *http.Server
	served   chan struct{}
	once     sync.Once
	closeErr error
}

// Start listens on addr ("" means 127.0.0.1:0, a free loopback port) and
// serves a new demo server in the background until Close.
func Start(addr string, opts Options) (*Running, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("demo server: listen on %s: %w", addr, err)
	}
	s := New(opts)
	run := &Running{
		URL:    "http://" + dialable(ln.Addr()),
		Server: s,
		hs:     &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second},
		served: make(chan struct{}),
	}
	go func() {
		defer close(run.served)
		_ = run.hs.Serve(ln) // returns http.ErrServerClosed after Close
	}()
	return run, nil
}

// dialable turns a listening address into one a client can dial: an
// unspecified host (":0", "0.0.0.0") is reached through loopback.
func dialable(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	host := "127.0.0.1"
	if !tcp.IP.IsUnspecified() && tcp.IP != nil {
		host = tcp.IP.String()
	}
	return net.JoinHostPort(host, strconv.Itoa(tcp.Port))
}

// Close stops listening, drops open connections (cancelling requests still
// waiting out Options.Latency) and waits for the serve loop to end. Calling
// it again returns the first result.
func (r *Running) Close() error {
	r.once.Do(func() {
		err := r.hs.Close()
		<-r.served
		if err != nil && !errors.Is(err, net.ErrClosed) {
			r.closeErr = fmt.Errorf("demo server: close: %w", err)
		}
	})
	return r.closeErr
}
