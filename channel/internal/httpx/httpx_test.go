package httpx_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/channel/internal/httpx"
	"github.com/paykit-go/paykit/pay"
)

func doer(timeout time.Duration) httpx.Doer {
	return httpx.Doer{
		Client: &http.Client{Timeout: timeout},
		Policy: pay.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond},
		Sleep:  func(context.Context, time.Duration) error { return nil },
	}
}

// statuses answers each attempt with the next status.
func statuses(codes ...int) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		w.WriteHeader(codes[min(i, len(codes)-1)])
		_, _ = w.Write([]byte(r.Header.Get("X-Attempt")))
	}))
	return srv, &n
}

func TestDoClassifiesFailures(t *testing.T) {
	for name, tc := range map[string]struct {
		codes  []int
		want   error
		status int
	}{
		"ok after retries":       {codes: []int{500, 503, 200}, status: 200},
		"4xx is an answer":       {codes: []int{402}, status: 402},
		"501 is an answer":       {codes: []int{501}, status: 501},
		"only 503 and 429":       {codes: []int{503, 429, 503}, want: channel.ErrUnavailable},
		"a 500 may have applied": {codes: []int{503, 500, 503}, want: channel.ErrOutcomeUnknown},
	} {
		srv, n := statuses(tc.codes...)
		attempt := 0
		resp, err := doer(time.Second).Do(context.Background(), "test", func(ctx context.Context) (*http.Request, error) {
			attempt++
			req, err := http.NewRequestWithContext(ctx, "POST", srv.URL, nil)
			req.Header.Set("X-Attempt", string(rune('0'+attempt)))
			return req, err
		})
		srv.Close()
		switch {
		case tc.want != nil && !errors.Is(err, tc.want):
			t.Errorf("%s: err = %v, want %v", name, err, tc.want)
		case tc.want == nil && (err != nil || resp.Status != tc.status):
			t.Errorf("%s: %d, %v; want %d", name, resp.Status, err, tc.status)
		case tc.want == nil && string(resp.Body) != string(rune('0'+n.Load())):
			t.Errorf("%s: body %q: each attempt must be built afresh", name, resp.Body)
		}
	}
}

func TestDoUnreachableIsUnavailable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens: every dial is refused
	_, err = doer(time.Second).Do(context.Background(), "test", func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, "POST", "http://"+addr+"/v1/charges?sig=secret", nil)
	})
	if !errors.Is(err, channel.ErrUnavailable) || !errors.Is(err, pay.ErrUnavailable) {
		t.Errorf("err = %v, want ErrUnavailable", err)
	}
	if strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "/v1/charges") {
		t.Errorf("err %q shows the request URL", err)
	}
}

func TestDoTimeoutAfterSendingIsUnknown(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(2 * time.Second):
		}
	}))
	defer srv.Close()
	_, err := doer(50*time.Millisecond).Do(context.Background(), "test", func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, "POST", srv.URL, nil)
	})
	if !errors.Is(err, channel.ErrOutcomeUnknown) {
		t.Errorf("err = %v, want ErrOutcomeUnknown", err)
	}
}

func TestDoBuildErrorIsReturned(t *testing.T) {
	boom := errors.New("cannot sign")
	if _, err := doer(time.Second).Do(context.Background(), "test", func(context.Context) (*http.Request, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Errorf("err = %v", err)
	}
}
