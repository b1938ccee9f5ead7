package pay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// ctReq is what a test server saw of one request.
type ctReq struct {
	Method, URI string
	Header      http.Header
	Body        string
}

// ctServer is an httptest server that records every request and answers
// the n-th (from 1) with handle.
type ctServer struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []ctReq
}

func newCTServer(t *testing.T, handle func(n int, w http.ResponseWriter, r *http.Request)) *ctServer {
	t.Helper()
	s := &ctServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.reqs = append(s.reqs, ctReq{Method: r.Method, URI: r.RequestURI, Header: r.Header.Clone(), Body: string(body)})
		n := len(s.reqs)
		s.mu.Unlock()
		handle(n, w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *ctServer) requests() []ctReq {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ctReq(nil), s.reqs...)
}

func (s *ctServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.reqs)
}

// ctSleeps records the waits a Client asks for instead of sleeping.
type ctSleeps struct {
	mu     sync.Mutex
	delays []time.Duration
}

func (s *ctSleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.delays = append(s.delays, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *ctSleeps) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.delays...)
}

// newCTClient makes a Client that records its waits instead of sleeping.
func newCTClient(t *testing.T, baseURL string, opts ...Option) (*Client, *ctSleeps) {
	t.Helper()
	c, err := NewClient(baseURL, opts...)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	s := &ctSleeps{}
	c.sleep = s.sleep
	return c, s
}

func ctJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func ctErrJSON(w http.ResponseWriter, status int, code, msg, param, rid string) {
	ctJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg, "param": param, "request_id": rid}})
}

// ctDrop reads the request and closes the connection without answering.
func ctDrop(t *testing.T, w http.ResponseWriter) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		t.Errorf("hijack: %v", err)
		return
	}
	_ = conn.Close()
}

type ctPayment struct {
	ID     string `json:"id"`
	Amount Money  `json:"amount"`
}

func TestNewClientValidatesOptions(t *testing.T) {
	const key = "sk_test_topsecret"
	tests := []struct {
		name    string
		baseURL string
		opts    []Option
		param   string
	}{
		{"empty URL", "", nil, "base_url"},
		{"relative URL", "/v1", nil, "base_url"},
		{"no scheme", "api.example.com", nil, "base_url"},
		{"ftp scheme", "ftp://api.example.com", nil, "base_url"},
		{"no host", "http://", nil, "base_url"},
		{"unparsable", "http://[::1", nil, "base_url"},
		{"credentials in URL", "https://user:" + key + "@api.example.com", nil, "base_url"},
		{"query", "https://api.example.com?x=1", nil, "base_url"},
		{"fragment", "https://api.example.com#top", nil, "base_url"},
		{"empty API key", "https://api.example.com", []Option{WithAPIKey("")}, "api_key"},
		{"API key with newline", "https://api.example.com", []Option{WithAPIKey(key + "\n")}, "api_key"},
		{"nil http client", "https://api.example.com", []Option{WithHTTPClient(nil)}, "http_client"},
		{"zero timeout", "https://api.example.com", []Option{WithTimeout(0)}, "timeout"},
		{"negative timeout", "https://api.example.com", []Option{WithTimeout(-time.Second)}, "timeout"},
		{"zero attempts", "https://api.example.com", []Option{WithRetryPolicy(RetryPolicy{MaxAttempts: 0, BaseDelay: time.Millisecond, MaxDelay: time.Second})}, "retry_policy"},
		{"zero base delay", "https://api.example.com", []Option{WithRetryPolicy(RetryPolicy{MaxAttempts: 2, MaxDelay: time.Second})}, "retry_policy"},
		{"max below base", "https://api.example.com", []Option{WithRetryPolicy(RetryPolicy{MaxAttempts: 2, BaseDelay: time.Second, MaxDelay: time.Millisecond})}, "retry_policy"},
		{"zero policy", "https://api.example.com", []Option{WithRetryPolicy(RetryPolicy{})}, "retry_policy"},
		{"nil logger", "https://api.example.com", []Option{WithLogger(nil)}, "logger"},
		{"empty user agent", "https://api.example.com", []Option{WithUserAgent(" ")}, "user_agent"},
		{"user agent with CRLF", "https://api.example.com", []Option{WithUserAgent("app/1\r\nX-Evil: 1")}, "user_agent"},
		{"first failing option wins", "https://api.example.com", []Option{WithAPIKey(key), WithTimeout(0), WithLogger(nil)}, "timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewClient(tt.baseURL, tt.opts...)
			if err == nil {
				t.Fatalf("NewClient = %v, want error", c)
			}
			var pe *Error
			if !errors.As(err, &pe) || !errors.Is(err, ErrInvalidRequest) {
				t.Fatalf("err = %#v, want *Error of kind invalid_request", err)
			}
			if pe.Param != tt.param {
				t.Errorf("Param = %q, want %q", pe.Param, tt.param)
			}
			if strings.Contains(err.Error(), key) {
				t.Errorf("error %q leaks the key", err)
			}
		})
	}
}

func TestNewClientAccepts(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"https://api.example.com", "https://api.example.com"},
		{"https://api.example.com/", "https://api.example.com"},
		{"HTTP://127.0.0.1:8080/prefix/", "http://127.0.0.1:8080/prefix"},
	}
	for _, tt := range tests {
		c, err := NewClient(tt.in, nil, WithAPIKey("k"), WithHTTPClient(&http.Client{}), WithTimeout(time.Second),
			WithRetryPolicy(NoRetries()), WithLogger(slog.Default()), WithUserAgent("app/1.0"))
		if err != nil {
			t.Fatalf("NewClient(%q): %v", tt.in, err)
		}
		if got := c.BaseURL(); got != tt.want {
			t.Errorf("BaseURL() = %q, want %q", got, tt.want)
		}
	}
}

func TestIdempotencyKey(t *testing.T) {
	tests := []struct {
		name     string
		method   string
		opts     []CallOption
		failures int    // answers 503 this many times first
		wantKey  string // "" with auto: generated; "-": none
		auto     bool
	}{
		{name: "POST gets a generated key", method: http.MethodPost, auto: true},
		{name: "POST keeps its key over retries", method: http.MethodPost, failures: 3, auto: true},
		{name: "DELETE gets a key", method: http.MethodDelete, failures: 1, auto: true},
		{name: "PUT gets a key", method: http.MethodPut, auto: true},
		{name: "POST with caller key", method: http.MethodPost, failures: 2, opts: []CallOption{WithIdempotencyKey("order-42-capture")}, wantKey: "order-42-capture"},
		{name: "POST with key through WithHeader", method: http.MethodPost, opts: []CallOption{WithHeader("idempotency-key", "hdr-key")}, wantKey: "hdr-key"},
		{name: "GET carries none", method: http.MethodGet, failures: 2, wantKey: "-"},
		{name: "HEAD carries none", method: http.MethodHead, wantKey: "-"},
		{name: "GET with explicit key sends it", method: http.MethodGet, opts: []CallOption{WithIdempotencyKey("get-key")}, wantKey: "get-key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newCTServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
				if n <= tt.failures {
					ctErrJSON(w, http.StatusServiceUnavailable, "unavailable", "try again", "", "")
					return
				}
				ctJSON(w, http.StatusOK, map[string]string{"ok": "yes"})
			})
			c, _ := newCTClient(t, srv.URL)
			if err := c.Do(context.Background(), tt.method, "/v1/things", nil, nil, tt.opts...); err != nil {
				t.Fatalf("Do: %v", err)
			}
			reqs := srv.requests()
			if len(reqs) != tt.failures+1 {
				t.Fatalf("server saw %d attempts, want %d", len(reqs), tt.failures+1)
			}
			first := reqs[0].Header.Values("Idempotency-Key")
			for i, r := range reqs {
				if got := r.Header.Values("Idempotency-Key"); !cmp.Equal(got, first) {
					t.Errorf("attempt %d key %q, first attempt %q", i+1, got, first)
				}
			}
			switch {
			case tt.wantKey == "-":
				if len(first) != 0 {
					t.Errorf("Idempotency-Key = %q, want none", first)
				}
			case tt.auto:
				if len(first) != 1 || !ValidID(first[0], "idk") {
					t.Errorf("Idempotency-Key = %q, want one generated idk_ ID", first)
				}
			default:
				if len(first) != 1 || first[0] != tt.wantKey {
					t.Errorf("Idempotency-Key = %q, want %q", first, tt.wantKey)
				}
			}
		})
	}
}

func TestIdempotencyKeyFreshPerCall(t *testing.T) {
	srv := newCTServer(t, func(n int, w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	c, _ := newCTClient(t, srv.URL)
	for range 3 {
		if err := c.Post(context.Background(), "/v1/x", map[string]int{"a": 1}, nil); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	for _, r := range srv.requests() {
		k := r.Header.Get("Idempotency-Key")
		if seen[k] {
			t.Errorf("key %q reused across logical calls", k)
		}
		seen[k] = true
	}
}

func TestBadCallOptions(t *testing.T) {
	srv := newCTServer(t, func(n int, w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	c, _ := newCTClient(t, srv.URL)
	tests := []struct {
		name   string
		method string
		path   string
		in     any
		opts   []CallOption
	}{
		{"empty idempotency key", "POST", "/v1/x", nil, []CallOption{WithIdempotencyKey("")}},
		{"idempotency key with space", "POST", "/v1/x", nil, []CallOption{WithIdempotencyKey("a b")}},
		{"idempotency key too long", "POST", "/v1/x", nil, []CallOption{WithIdempotencyKey(strings.Repeat("k", 256))}},
		{"header sets Authorization", "POST", "/v1/x", nil, []CallOption{WithHeader("Authorization", "Bearer other")}},
		{"header sets Host", "GET", "/v1/x", nil, []CallOption{WithHeader("host", "evil")}},
		{"header value with CRLF", "GET", "/v1/x", nil, []CallOption{WithHeader("X-Trace", "a\r\nX-Evil: 1")}},
		{"bad header name", "GET", "/v1/x", nil, []CallOption{WithHeader("X Trace", "a")}},
		{"path without slash", "GET", "v1/x", nil, nil},
		{"empty path", "GET", "", nil, nil},
		{"path with space", "GET", "/v1/a b", nil, nil},
		{"path with fragment", "GET", "/v1/x#frag", nil, nil},
		{"path with newline", "GET", "/v1/x\n", nil, nil},
		{"bad method", "GE T", "/v1/x", nil, nil},
		{"GET with body", "GET", "/v1/x", map[string]int{"a": 1}, nil},
		{"unencodable body", "POST", "/v1/x", map[string]any{"c": make(chan int)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.Do(context.Background(), tt.method, tt.path, tt.in, nil, tt.opts...)
			if !errors.Is(err, ErrInvalidRequest) {
				t.Fatalf("Do = %v, want invalid_request", err)
			}
		})
	}
	if n := srv.count(); n != 0 {
		t.Errorf("server saw %d requests, want none", n)
	}
}

func TestRetryWhenResponseDropped(t *testing.T) {
	tests := []struct {
		name   string
		method string
		drop   func(t *testing.T, w http.ResponseWriter)
	}{
		{"POST, connection closed before answer", http.MethodPost, ctDrop},
		{"GET, connection closed before answer", http.MethodGet, ctDrop},
		{"POST, body cut short", http.MethodPost, func(t *testing.T, w http.ResponseWriter) {
			conn, rw, err := w.(http.Hijacker).Hijack()
			if err != nil {
				t.Errorf("hijack: %v", err)
				return
			}
			_, _ = rw.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"id\":\"pay_")
			_ = rw.Flush()
			_ = conn.Close()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var applied sync.Map // idempotency key -> payment, as a backend would store it
			srv := newCTServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
				key := r.Header.Get("Idempotency-Key")
				p, _ := applied.LoadOrStore(key, ctPayment{ID: fmt.Sprintf("pay_%d", n), Amount: Money{Amount: 1250, Currency: "CNY"}})
				if n == 1 {
					tt.drop(t, w) // processed, but the answer is lost
					return
				}
				ctJSON(w, http.StatusOK, p)
			})
			c, sleeps := newCTClient(t, srv.URL)
			var in any
			if tt.method != http.MethodGet {
				in = map[string]any{"amount": Money{Amount: 1250, Currency: "CNY"}}
			}
			var out ctPayment
			if err := c.Do(context.Background(), tt.method, "/v1/payments", in, &out); err != nil {
				t.Fatalf("Do: %v", err)
			}
			reqs := srv.requests()
			if len(reqs) != 2 {
				t.Fatalf("server saw %d attempts, want exactly 2", len(reqs))
			}
			if k1, k2 := reqs[0].Header.Get("Idempotency-Key"), reqs[1].Header.Get("Idempotency-Key"); k1 != k2 {
				t.Errorf("retry changed the key: %q then %q", k1, k2)
			}
			if reqs[0].Body != reqs[1].Body {
				t.Errorf("retry changed the body: %q then %q", reqs[0].Body, reqs[1].Body)
			}
			// The answer is the one stored by the first, lost, attempt.
			want := ctPayment{ID: "pay_1", Amount: Money{Amount: 1250, Currency: "CNY"}}
			if diff := cmp.Diff(want, out); diff != "" {
				t.Errorf("out (-want +got):\n%s", diff)
			}
			if got := len(sleeps.got()); got != 1 {
				t.Errorf("slept %d times, want 1", got)
			}
		})
	}
}

func TestRetryByStatus(t *testing.T) {
	policy := RetryPolicy{MaxAttempts: 4, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}
	tests := []struct {
		name       string
		statuses   []int // answers in order; the last repeats
		retryAfter string
		wantN      int
		wantErr    *Error // nil: success
		wantDelays []time.Duration
	}{
		{name: "200 first time", statuses: []int{200}, wantN: 1},
		{name: "503 then success", statuses: []int{503, 503, 200}, wantN: 3},
		{name: "500 then success", statuses: []int{500, 200}, wantN: 2},
		{name: "502 then success", statuses: []int{502, 200}, wantN: 2},
		{name: "504 then success", statuses: []int{504, 200}, wantN: 2},
		{name: "429 then success", statuses: []int{429, 200}, wantN: 2},
		{name: "501 not retried", statuses: []int{501, 200}, wantN: 1, wantErr: ErrInternal},
		{name: "400 not retried", statuses: []int{400, 200}, wantN: 1, wantErr: ErrInvalidRequest},
		{name: "401 not retried", statuses: []int{401, 200}, wantN: 1, wantErr: ErrUnauthorized},
		{name: "404 not retried", statuses: []int{404, 200}, wantN: 1, wantErr: ErrNotFound},
		{name: "409 not retried", statuses: []int{409, 200}, wantN: 1, wantErr: ErrConflict},
		{name: "422 not retried", statuses: []int{422, 200}, wantN: 1, wantErr: ErrInvalidRequest},
		{name: "503 forever stops at MaxAttempts", statuses: []int{503}, wantN: 4, wantErr: ErrUnavailable},
		{name: "500 forever stops at MaxAttempts", statuses: []int{500}, wantN: 4, wantErr: ErrInternal},
		{name: "429 Retry-After seconds", statuses: []int{429, 200}, retryAfter: "7", wantN: 2, wantDelays: []time.Duration{7 * time.Second}},
		{name: "429 Retry-After zero", statuses: []int{429, 429, 200}, retryAfter: "0", wantN: 3, wantDelays: []time.Duration{0, 0}},
		{name: "503 Retry-After seconds", statuses: []int{503, 200}, retryAfter: "2", wantN: 2, wantDelays: []time.Duration{2 * time.Second}},
		{name: "429 Retry-After capped at 60s", statuses: []int{429, 200}, retryAfter: "86400", wantN: 2, wantDelays: []time.Duration{time.Minute}},
		{name: "429 Retry-After date", statuses: []int{429, 200}, retryAfter: "Tue, 02 Jun 2026 10:00:03 GMT", wantN: 2, wantDelays: []time.Duration{3 * time.Second}},
		{name: "429 Retry-After garbage uses backoff", statuses: []int{429, 200}, retryAfter: "soon", wantN: 2},
		{name: "500 ignores Retry-After", statuses: []int{500, 200}, retryAfter: "30", wantN: 2},
	}
	now := time.Date(2026, 6, 2, 10, 0, 0, 0, time.UTC)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newCTServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
				st := tt.statuses[min(n, len(tt.statuses))-1]
				if st == 200 {
					ctJSON(w, 200, ctPayment{ID: "pay_ok"})
					return
				}
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				w.Header().Set("Content-Type", "text/plain")
				w.WriteHeader(st)
				_, _ = io.WriteString(w, "nope")
			})
			c, sleeps := newCTClient(t, srv.URL, WithRetryPolicy(policy))
			c.now = func() time.Time { return now }
			var out ctPayment
			err := c.Post(context.Background(), "/v1/payments", map[string]int{"a": 1}, &out)
			if n := srv.count(); n != tt.wantN {
				t.Errorf("server saw %d attempts, want %d", n, tt.wantN)
			}
			if tt.wantErr == nil {
				if err != nil || out.ID != "pay_ok" {
					t.Fatalf("Post = %v, out %+v; want success", err, out)
				}
			} else if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Post = %v, want %s", err, tt.wantErr.Code)
			}
			delays := sleeps.got()
			if len(delays) != tt.wantN-1 {
				t.Errorf("slept %d times, want %d", len(delays), tt.wantN-1)
			}
			if tt.wantDelays != nil {
				if diff := cmp.Diff(tt.wantDelays, delays); diff != "" {
					t.Errorf("delays (-want +got):\n%s", diff)
				}
				return
			}
			for i, d := range delays {
				if limit := policy.backoffCap(i); d < 0 || d > limit {
					t.Errorf("delay %d = %v, want within [0, %v]", i, d, limit)
				}
			}
		})
	}
}

func TestBackoffDelaysThroughClient(t *testing.T) {
	policy := RetryPolicy{MaxAttempts: 8, BaseDelay: 10 * time.Millisecond, MaxDelay: 50 * time.Millisecond}
	srv := newCTServer(t, func(n int, w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusBadGateway) })
	c, sleeps := newCTClient(t, srv.URL, WithRetryPolicy(policy))
	err := c.Get(context.Background(), "/v1/x", nil)
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Get = %v, want unavailable", err)
	}
	var pe *Error
	if !errors.As(err, &pe) || pe.HTTPStatus != http.StatusBadGateway {
		t.Errorf("HTTPStatus = %v, want 502", pe)
	}
	delays := sleeps.got()
	if len(delays) != policy.MaxAttempts-1 || srv.count() != policy.MaxAttempts {
		t.Fatalf("slept %d times over %d attempts, want %d over %d", len(delays), srv.count(), policy.MaxAttempts-1, policy.MaxAttempts)
	}
	caps := []time.Duration{10, 20, 40, 50, 50, 50, 50}
	for i, d := range delays {
		if limit := caps[i] * time.Millisecond; d < 0 || d > limit {
			t.Errorf("delay %d = %v, want within [0, %v]", i, d, limit)
		}
	}
}

func TestNetworkErrorsExhaustAttempts(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close() // nothing listens: connection refused
	const key = "sk_test_netfail_secret"
	c, sleeps := newCTClient(t, "http://"+addr, WithAPIKey(key), WithRetryPolicy(RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}))
	err = c.Post(context.Background(), "/v1/payments?card=4111", map[string]int{"a": 1}, nil)
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Post = %v, want unavailable", err)
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "paykit: unavailable: POST /v1/payments: ") || strings.Contains(msg, "4111") {
		t.Errorf("error text %q, want method and path without query", msg)
	}
	var opErr *net.OpError
	if !errors.As(err, &opErr) {
		t.Errorf("Post = %v, want it to wrap the *net.OpError", err)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		t.Errorf("Post = %v, must not look like a context error", err)
	}
	if n := len(sleeps.got()); n != 2 {
		t.Errorf("slept %d times, want 2 (3 attempts)", n)
	}
	if strings.Contains(err.Error(), key) {
		t.Errorf("error leaks the key: %v", err)
	}
}

func TestPerAttemptTimeout(t *testing.T) {
	srv := newCTServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			return
		}
		ctJSON(w, 200, ctPayment{ID: "pay_late"})
	})

	t.Run("slow attempt retried", func(t *testing.T) {
		c, sleeps := newCTClient(t, srv.URL, WithTimeout(100*time.Millisecond))
		var out ctPayment
		if err := c.Get(context.Background(), "/v1/payments/1", &out); err != nil {
			t.Fatalf("Get: %v", err)
		}
		if out.ID != "pay_late" || srv.count() != 2 || len(sleeps.got()) != 1 {
			t.Errorf("out %+v after %d attempts and %d sleeps, want pay_late after 2 and 1", out, srv.count(), len(sleeps.got()))
		}
	})

	t.Run("every attempt too slow", func(t *testing.T) {
		slow := newCTServer(t, func(n int, w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
		c, _ := newCTClient(t, slow.URL, WithTimeout(50*time.Millisecond), WithRetryPolicy(RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}))
		err := c.Get(context.Background(), "/v1/x", nil)
		if !errors.Is(err, ErrUnavailable) {
			t.Fatalf("Get = %v, want unavailable", err)
		}
		if errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("a per-attempt timeout must not match context.DeadlineExceeded: %v", err)
		}
		var te interface{ Timeout() bool }
		if !errors.As(err, &te) || !te.Timeout() {
			t.Errorf("Get = %v, want a Timeout() cause", err)
		}
		if n := slow.count(); n != 2 {
			t.Errorf("server saw %d attempts, want 2", n)
		}
	})
}

func TestContextEnds(t *testing.T) {
	t.Run("canceled during backoff", func(t *testing.T) {
		srv := newCTServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "30")
			ctErrJSON(w, http.StatusTooManyRequests, "rate_limited", "slow down", "", "req_1")
		})
		c, err := NewClient(srv.URL) // real sleep
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		start := time.Now()
		err = c.Post(ctx, "/v1/payments", map[string]int{"a": 1}, nil)
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("Post took %v after cancel, want prompt return", took)
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Post = %v, want context.Canceled", err)
		}
		if !errors.Is(err, ErrRateLimited) {
			t.Errorf("Post = %v, want it to carry the last attempt's rate_limited", err)
		}
		if n := srv.count(); n != 1 {
			t.Errorf("server saw %d attempts, want 1", n)
		}
	})

	t.Run("canceled during attempt", func(t *testing.T) {
		srv := newCTServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		})
		c, sleeps := newCTClient(t, srv.URL)
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		err := c.Get(ctx, "/v1/x", nil)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Get = %v, want context.Canceled", err)
		}
		if errors.Is(err, ErrUnavailable) {
			t.Errorf("Get = %v, a canceled call is not unavailable", err)
		}
		if n := len(sleeps.got()); n != 0 || srv.count() != 1 {
			t.Errorf("%d sleeps, %d attempts; want 0 and 1", n, srv.count())
		}
	})

	t.Run("deadline during attempt", func(t *testing.T) {
		srv := newCTServer(t, func(n int, w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
		c, _ := newCTClient(t, srv.URL)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		if err := c.Get(ctx, "/v1/x", nil); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Get = %v, want context.DeadlineExceeded", err)
		}
	})

	t.Run("already canceled", func(t *testing.T) {
		srv := newCTServer(t, func(n int, w http.ResponseWriter, r *http.Request) {})
		c, _ := newCTClient(t, srv.URL)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := c.Get(ctx, "/v1/x", nil); !errors.Is(err, context.Canceled) {
			t.Errorf("Get = %v, want context.Canceled", err)
		}
		if n := srv.count(); n != 0 {
			t.Errorf("server saw %d requests, want 0", n)
		}
	})

	t.Run("Retry-After beyond deadline returns at once", func(t *testing.T) {
		srv := newCTServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "30")
			ctErrJSON(w, http.StatusTooManyRequests, "rate_limited", "slow down", "", "")
		})
		c, sleeps := newCTClient(t, srv.URL)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := c.Post(ctx, "/v1/x", nil, nil)
		if !errors.Is(err, ErrRateLimited) || errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Post = %v, want the rate_limited answer itself", err)
		}
		if n := len(sleeps.got()); n != 0 || srv.count() != 1 {
			t.Errorf("%d sleeps, %d attempts; want 0 and 1", n, srv.count())
		}
	})
}

func TestErrorDecoding(t *testing.T) {
	ignoreErr := cmpopts.IgnoreFields(Error{}, "Err")
	tests := []struct {
		name    string
		status  int
		header  map[string]string
		body    string
		want    *Error
		wantIs  *Error
		notIs   *Error
		maxText int
	}{
		{
			name:   "insufficient funds",
			status: http.StatusPaymentRequired,
			body:   `{"error":{"code":"insufficient_funds","message":"balance 12.00 CNY is below 50.00 CNY","param":"amount","request_id":"req_body"}}`,
			header: map[string]string{"Request-Id": "req_header"},
			want:   &Error{Code: "insufficient_funds", Message: "balance 12.00 CNY is below 50.00 CNY", Param: "amount", RequestID: "req_body", HTTPStatus: 402},
			wantIs: ErrInsufficientFunds,
		},
		{
			name:   "request ID from header",
			status: http.StatusConflict,
			body:   `{"error":{"code":"idempotency_conflict","message":"key reused"}}`,
			header: map[string]string{"Request-Id": "req_header"},
			want:   &Error{Code: "idempotency_conflict", Message: "key reused", RequestID: "req_header", HTTPStatus: 409},
			wantIs: ErrIdempotencyConflict,
			notIs:  ErrConflict,
		},
		{
			name:   "unknown domain code survives",
			status: http.StatusUnprocessableEntity,
			body:   `{"error":{"code":"token_exhausted","message":"no uses left"}}`,
			want:   &Error{Code: "token_exhausted", Message: "no uses left", HTTPStatus: 422},
		},
		{
			name:   "HTML from a proxy",
			status: http.StatusBadGateway,
			header: map[string]string{"Request-Id": "req_proxy"},
			body:   "<html>\n<body>Bad gateway</body>\n</html>\n",
			want:   &Error{Code: "unavailable", Message: "HTTP 502: <html> <body>Bad gateway</body> </html>", RequestID: "req_proxy", HTTPStatus: 502},
			wantIs: ErrUnavailable,
		},
		{
			name:   "empty 404",
			status: http.StatusNotFound,
			want:   &Error{Code: "not_found", Message: "HTTP 404 Not Found", HTTPStatus: 404},
			wantIs: ErrNotFound,
		},
		{
			name:   "JSON without error object",
			status: http.StatusUnauthorized,
			body:   `{"message":"who are you"}`,
			want:   &Error{Code: "unauthorized", Message: `HTTP 401: {"message":"who are you"}`, HTTPStatus: 401},
			wantIs: ErrUnauthorized,
		},
		{name: "403 text", status: 403, body: "forbidden", wantIs: ErrForbidden},
		{name: "413 text", status: 413, body: "too big", wantIs: ErrPayloadTooLarge},
		{name: "400 text", status: 400, body: "bad", wantIs: ErrInvalidRequest},
		{name: "501 text", status: 501, body: "nope", wantIs: ErrInternal},
		{name: "long body is clipped", status: 400, body: strings.Repeat("x", 10000), wantIs: ErrInvalidRequest, maxText: 200},
		{name: "invalid UTF-8 body", status: 400, body: "bad \xff\xfe bytes", want: &Error{Code: "invalid_request", Message: "HTTP 400: bad bytes", HTTPStatus: 400}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newCTServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			})
			c, _ := newCTClient(t, srv.URL, WithRetryPolicy(NoRetries()))
			err := c.Post(context.Background(), "/v1/payments", map[string]int{"a": 1}, nil)
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Post = %#v, want *Error", err)
			}
			if tt.want != nil {
				if diff := cmp.Diff(tt.want, pe, ignoreErr); diff != "" {
					t.Errorf("error (-want +got):\n%s", diff)
				}
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("errors.Is(%v, %s) = false", err, tt.wantIs.Code)
			}
			if tt.notIs != nil && errors.Is(err, tt.notIs) {
				t.Errorf("errors.Is(%v, %s) = true", err, tt.notIs.Code)
			}
			if pe.HTTPStatus != tt.status {
				t.Errorf("HTTPStatus = %d, want %d", pe.HTTPStatus, tt.status)
			}
			if tt.maxText > 0 && len(err.Error()) > tt.maxText {
				t.Errorf("error text is %d bytes, want <= %d", len(err.Error()), tt.maxText)
			}
		})
	}
}

func TestSuccessBodies(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		out     bool
		want    ctPayment
		wantErr *Error
	}{
		{name: "decoded", status: 200, body: `{"id":"pay_1","amount":{"amount":5,"currency":"JPY"}}`, out: true, want: ctPayment{ID: "pay_1", Amount: Money{5, "JPY"}}},
		{name: "201 decoded", status: 201, body: `{"id":"pay_2"}`, out: true, want: ctPayment{ID: "pay_2"}},
		{name: "nil out ignores body", status: 200, body: `not json at all`},
		{name: "204 leaves out untouched", status: 204, out: true, want: ctPayment{ID: "before"}},
		{name: "empty 200 leaves out untouched", status: 200, body: "  \n", out: true, want: ctPayment{ID: "before"}},
		{name: "malformed JSON is internal, not retried", status: 200, body: `{"id":`, out: true, want: ctPayment{ID: "before"}, wantErr: ErrInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newCTServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Request-Id", "req_ok")
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			})
			c, _ := newCTClient(t, srv.URL)
			got := ctPayment{ID: "before"}
			var out any
			if tt.out {
				out = &got
			}
			err := c.Get(context.Background(), "/v1/payments/pay_1", out)
			if tt.wantErr != nil {
				var pe *Error
				if !errors.Is(err, tt.wantErr) || !errors.As(err, &pe) || pe.RequestID != "req_ok" {
					t.Fatalf("Get = %v, want %s with request ID", err, tt.wantErr.Code)
				}
			} else if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if tt.out {
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("out (-want +got):\n%s", diff)
				}
			}
			if n := srv.count(); n != 1 {
				t.Errorf("server saw %d attempts, want 1", n)
			}
		})
	}
}

func TestRequestShape(t *testing.T) {
	const key = "sk_test_shape"
	srv := newCTServer(t, func(n int, w http.ResponseWriter, r *http.Request) { ctJSON(w, 200, map[string]string{}) })
	c, _ := newCTClient(t, srv.URL+"/api/", WithAPIKey(key), WithUserAgent("vr-headset/2.0"), WithUserAgent("shop/1"))
	ctx := context.Background()
	if err := c.Post(ctx, "/v1/payments?expand=amount", ctPayment{ID: "p", Amount: Money{1250, "CNY"}}, nil, WithHeader("X-Trace", "t-1")); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, "/v1/payments/p", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Get(ctx, "/v1/payments/p", nil, WithHeader("user-agent", "override/1")); err != nil {
		t.Fatal(err)
	}
	reqs := srv.requests()
	type shape struct {
		Method, URI, Auth, UA, Accept, ContentType, Trace, Body string
	}
	var got []shape
	for _, r := range reqs {
		got = append(got, shape{r.Method, r.URI, r.Header.Get("Authorization"), r.Header.Get("User-Agent"), r.Header.Get("Accept"),
			r.Header.Get("Content-Type"), r.Header.Get("X-Trace"), r.Body})
	}
	ua := "paykit-go/" + Version + " vr-headset/2.0 shop/1"
	want := []shape{
		{"POST", "/api/v1/payments?expand=amount", "Bearer " + key, ua, "application/json", "application/json", "t-1", `{"id":"p","amount":{"amount":1250,"currency":"CNY"}}`},
		{"DELETE", "/api/v1/payments/p", "Bearer " + key, ua, "application/json", "", "", ""},
		{"GET", "/api/v1/payments/p", "Bearer " + key, "override/1", "application/json", "", "", ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

// ctLockedBuffer is a bytes.Buffer safe for a slog handler.
type ctLockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *ctLockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *ctLockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestAPIKeyNeverLeaks(t *testing.T) {
	const key = "sk_live_9f8e7d6c5b4a_DO_NOT_LEAK"
	// A careless backend echoes the Authorization header in its errors.
	srv := newCTServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		w.Header().Set("Request-Id", "req_"+auth)
		switch {
		case n == 1:
			ctErrJSON(w, http.StatusServiceUnavailable, "unavailable", "bad key "+auth, "", "")
		case strings.HasSuffix(r.URL.Path, "/text"):
			w.WriteHeader(http.StatusForbidden)
			_, _ = io.WriteString(w, "denied for "+auth)
		default:
			ctErrJSON(w, http.StatusUnauthorized, "unauthorized", "bad key "+auth, "key:"+auth, "")
		}
	})
	logs := &ctLockedBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, _ := newCTClient(t, srv.URL, WithAPIKey(key), WithLogger(logger))

	err1 := c.Post(context.Background(), "/v1/payments?card=4111", map[string]string{"note": "hello"}, nil)
	err2 := c.Get(context.Background(), "/v1/text", nil)
	if !errors.Is(err1, ErrUnauthorized) || !errors.Is(err2, ErrForbidden) {
		t.Fatalf("errors = %v, %v; want unauthorized, forbidden", err1, err2)
	}
	for _, r := range srv.requests() {
		if got := r.Header.Get("Authorization"); got != "Bearer "+key {
			t.Errorf("Authorization = %q, want the bearer key", got)
		}
	}
	logger.Debug("client", "client", c)
	printed := []string{
		err1.Error(), err2.Error(), fmt.Sprintf("%+v %#v", err1, err1),
		fmt.Sprint(c), fmt.Sprintf("%v|%+v|%#v|%s|%d|%x|%q", c, c, c, c, c, c, c),
		fmt.Sprintf("%+v %#v", *c, *c), c.String(), c.GoString(),
		fmt.Sprintf("%v %+v %#v %x", c.apiKey, c.apiKey, c.apiKey, c.apiKey),
		logs.String(),
	}
	for _, p := range printed {
		if strings.Contains(p, key) || strings.Contains(p, key[8:20]) {
			t.Errorf("secret leaked in %q", p)
		}
	}
	if !strings.Contains(c.String(), clientRedacted) {
		t.Errorf("String() = %q, want it to say the key is redacted", c.String())
	}
	out := logs.String()
	for _, want := range []string{"method=POST", "path=/v1/payments ", "status=503", "status=401", "attempt=2", "request_id=", "duration=", "paykit: retrying", "api_key_set=true"} {
		if !strings.Contains(out, want) {
			t.Errorf("debug log lacks %q:\n%s", want, out)
		}
	}
	for _, never := range []string{"hello", "4111", "Bearer " + key[:4]} {
		if strings.Contains(out, never) {
			t.Errorf("debug log holds %q (body, query or header):\n%s", never, out)
		}
	}
}

func TestLoggingOffByDefault(t *testing.T) {
	srv := newCTServer(t, func(n int, w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	c, _ := newCTClient(t, srv.URL)
	if c.log.Enabled(context.Background(), slog.LevelDebug) || c.log.Enabled(context.Background(), slog.LevelError) {
		t.Error("default logger is enabled, want discard")
	}
}

func TestWithHTTPClientIsNotModified(t *testing.T) {
	srv := newCTServer(t, func(n int, w http.ResponseWriter, r *http.Request) { ctJSON(w, 200, ctPayment{ID: "pay_x"}) })
	hc := &http.Client{}
	c, _ := newCTClient(t, srv.URL, WithHTTPClient(hc))
	var out ctPayment
	if err := c.Get(context.Background(), "/v1/x", &out); err != nil || out.ID != "pay_x" {
		t.Fatalf("Get = %v, %+v", err, out)
	}
	if hc.Transport != nil {
		t.Error("WithHTTPClient modified the caller's *http.Client")
	}
	if n := srv.count(); n != 1 {
		t.Errorf("server saw %d requests, want 1", n)
	}
}

func TestConcurrentCalls(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]bool{} // keys answered 503 once already
	srv := newCTServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Idempotency-Key")
		mu.Lock()
		fail := n%2 == 0 && !seen[key] // every other call fails its first attempt
		seen[key] = true
		mu.Unlock()
		if fail {
			ctErrJSON(w, http.StatusServiceUnavailable, "unavailable", "flaky", "", "")
			return
		}
		ctJSON(w, 200, map[string]int{"n": n})
	})
	c, _ := newCTClient(t, srv.URL)
	const workers, calls = 16, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*calls)
	for w := range workers {
		wg.Go(func() {
			for i := range calls {
				var out map[string]int
				if err := c.Post(context.Background(), "/v1/payments", map[string]int{"w": w, "i": i}, &out); err != nil {
					errs <- err
				} else if out["n"] == 0 {
					errs <- fmt.Errorf("call %d/%d: empty answer", w, i)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("Post: %v", err)
	}
	keysByBody := map[string]map[string]bool{}
	for _, r := range srv.requests() {
		if keysByBody[r.Body] == nil {
			keysByBody[r.Body] = map[string]bool{}
		}
		keysByBody[r.Body][r.Header.Get("Idempotency-Key")] = true
	}
	if len(keysByBody) != workers*calls {
		t.Errorf("server saw %d distinct calls, want %d", len(keysByBody), workers*calls)
	}
	if n := srv.count(); n <= workers*calls {
		t.Errorf("server saw %d requests, want some retries over %d calls", n, workers*calls)
	}
	allKeys := map[string]bool{}
	for body, keys := range keysByBody {
		if len(keys) != 1 {
			t.Errorf("call %s used %d keys across retries, want 1", body, len(keys))
		}
		for k := range keys {
			if allKeys[k] {
				t.Errorf("key %q shared by two calls", k)
			}
			allKeys[k] = true
		}
	}
}
