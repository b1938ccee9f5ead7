package paytest

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/paykit-go/paykit/pay"
)

// Server is a Backend listening on loopback, with ready clients for each
// role. Close it when done.
type Server struct {
	*Backend
	// URL is the base URL, e.g. "http://127.0.0.1:41234".
	URL string
	// Client speaks with the merchant key; DeviceClient with the device
	// key; AdminClient with the operator key.
	Client, DeviceClient, AdminClient *pay.Client

	srv *http.Server
	ln  net.Listener
}

// NewServer starts a Backend on 127.0.0.1 on a free port.
func NewServer(opts ...Option) (*Server, error) {
	return Listen("127.0.0.1:0", opts...)
}

// Listen starts a Backend on addr.
func Listen(addr string, opts ...Option) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	url := "http://" + ln.Addr().String()
	b, err := New(append([]Option{WithPublicURL(url)}, opts...)...)
	if err != nil {
		ln.Close()
		return nil, err
	}
	s := &Server{Backend: b, URL: url, ln: ln}
	s.srv = &http.Server{Handler: b.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	mk := func(key string) (*pay.Client, error) { return pay.NewClient(s.URL, pay.WithAPIKey(key)) }
	if s.Client, err = mk(b.Keys.Merchant); err == nil {
		if s.DeviceClient, err = mk(b.Keys.Device); err == nil {
			s.AdminClient, err = mk(b.Keys.Admin)
		}
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close stops the server, closes its connections and stops the backend's
// background work.
func (s *Server) Close() {
	defer s.Backend.Close()
	// Shutdown waits for in-flight requests; a connection a client opened
	// but never used would hold it to the timeout, so keep it short.
	ctx, cancel := context.WithTimeout(context.Background(), 250*time.Millisecond)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		_ = s.srv.Close()
	}
	_ = s.srv.Close()
}
