package pay_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paykit-go/paykit/internal/clock"
	"github.com/paykit-go/paykit/pay"
)

var whEvent = pay.Event{
	ID:      "evt_0test",
	Type:    "payment.succeeded",
	Created: 1700000000,
	Data:    json.RawMessage(`{"amount":1234,"currency":"CNY"}`),
}

// whRecorder counts onEvent calls and keeps the events it was given.
type whRecorder struct {
	mu     sync.Mutex
	events []pay.Event
	fail   error // returned by onEvent when set
}

func (r *whRecorder) onEvent(_ context.Context, e pay.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
	return r.fail
}

func (r *whRecorder) calls() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.events)
}

func (r *whRecorder) setFail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail = err
}

func whHandler(t *testing.T, onEvent func(context.Context, pay.Event) error, opts ...pay.WebhookOption) (*pay.WebhookHandler, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(whNow)
	opts = append([]pay.WebhookOption{pay.WithWebhookSecrets(whNew), pay.WithWebhookClock(clk)}, opts...)
	h, err := pay.NewWebhookHandler(onEvent, opts...)
	if err != nil {
		t.Fatalf("NewWebhookHandler: %v", err)
	}
	return h, clk
}

// whRequest is a delivery of body signed at `at` with secret.
func whRequest(t *testing.T, body []byte, at time.Time, secret string) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/webhooks/paykit", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(pay.SignatureHeader, whSign(t, body, at, secret))
	return r
}

func whPayload(t *testing.T, e pay.Event) []byte {
	t.Helper()
	b, err := e.Payload()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func whServe(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// whWant checks a response's status and, for errors, the JSON error shape
// and code; it also checks no secret is echoed.
func whWant(t *testing.T, w *httptest.ResponseRecorder, status int, code string) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status = %d, want %d; body %s", w.Code, status, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type = %q", ct)
	}
	if strings.Contains(w.Body.String(), "whsec") {
		t.Fatalf("response leaks a secret: %s", w.Body)
	}
	if code == "" {
		return
	}
	var env struct {
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &env); err != nil || env.Error == nil {
		t.Fatalf("error body %s is not {\"error\":{…}}: %v", w.Body, err)
	}
	if env.Error.Code != code || env.Error.Message == "" {
		t.Fatalf("error = %+v, want code %q and a message", env.Error, code)
	}
}

func TestWebhookHandlerDelivery(t *testing.T) {
	rec := &whRecorder{}
	h, clk := whHandler(t, rec.onEvent)
	body := whPayload(t, whEvent)

	// A valid delivery reaches onEvent once, typed.
	first := whRequest(t, body, whNow, whNew)
	header := first.Header.Get(pay.SignatureHeader)
	w := whServe(h, first)
	whWant(t, w, http.StatusOK, "")
	if got := strings.TrimSpace(w.Body.String()); got != `{"received":true}` {
		t.Fatalf("body = %s", got)
	}
	if rec.calls() != 1 {
		t.Fatalf("onEvent calls = %d, want 1", rec.calls())
	}
	got := rec.events[0]
	if got.ID != whEvent.ID || got.Type != whEvent.Type || got.Created != whEvent.Created || !bytes.Equal(got.Data, whEvent.Data) {
		t.Fatalf("onEvent got %+v, want %+v", got, whEvent)
	}

	// The identical delivery replayed: acknowledged as a duplicate, not
	// handed on.
	replay := httptest.NewRequest(http.MethodPost, "/webhooks/paykit", bytes.NewReader(body))
	replay.Header.Set(pay.SignatureHeader, header)
	w = whServe(h, replay)
	whWant(t, w, http.StatusOK, "")
	if got := strings.TrimSpace(w.Body.String()); got != `{"received":true,"duplicate":true}` {
		t.Fatalf("replay body = %s", got)
	}

	// A redelivery signed afresh a minute later: also a duplicate.
	clk.Advance(time.Minute)
	whWant(t, whServe(h, whRequest(t, body, clk.Now(), whNew)), http.StatusOK, "")

	// The captured delivery replayed after the tolerance: refused as stale.
	clk.Set(whNow.Add(pay.DefaultWebhookTolerance + time.Second))
	replay = httptest.NewRequest(http.MethodPost, "/webhooks/paykit", bytes.NewReader(body))
	replay.Header.Set(pay.SignatureHeader, header)
	whWant(t, whServe(h, replay), http.StatusUnauthorized, "unauthorized")

	if rec.calls() != 1 {
		t.Fatalf("onEvent calls = %d after replays, want 1", rec.calls())
	}

	// Once the ID is forgotten (2×tolerance after it was last recorded), a
	// fresh redelivery is processed again: documented window.
	clk.Set(whNow.Add(time.Minute + 2*pay.DefaultWebhookTolerance + time.Second))
	whWant(t, whServe(h, whRequest(t, body, clk.Now(), whNew)), http.StatusOK, "")
	if rec.calls() != 2 {
		t.Fatalf("onEvent calls = %d after the retention window, want 2", rec.calls())
	}
}

func TestWebhookHandlerConcurrentDuplicates(t *testing.T) {
	const n = 64
	var calls atomic.Int32
	release := make(chan struct{})
	h, _ := whHandler(t, func(ctx context.Context, e pay.Event) error {
		calls.Add(1)
		<-release // hold the first delivery in flight
		return nil
	})
	body := whPayload(t, whEvent)
	reqs := make([]*http.Request, n)
	for i := range reqs {
		reqs[i] = whRequest(t, body, whNow, whNew)
	}

	codes := make(chan int, n)
	var wg, others sync.WaitGroup
	others.Add(n - 1)
	var released sync.Once
	letGo := func() { released.Do(func() { close(release) }) }
	defer letGo()
	for i := range n {
		wg.Go(func() {
			w := whServe(h, reqs[i])
			codes <- w.Code
			if w.Code != http.StatusOK {
				others.Done()
			}
		})
	}
	// Every delivery but the one in onEvent answers 409 while it is in
	// flight; then the first one is let go.
	done := make(chan struct{})
	go func() { others.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("duplicates did not answer while the first delivery was in flight (onEvent calls %d)", calls.Load())
	}
	letGo()
	wg.Wait()
	close(codes)

	count := map[int]int{}
	for c := range codes {
		count[c]++
	}
	if calls.Load() != 1 {
		t.Fatalf("onEvent calls = %d, want exactly 1", calls.Load())
	}
	if count[http.StatusOK] != 1 || count[http.StatusConflict] != n-1 {
		t.Fatalf("statuses = %v, want one 200 and %d 409", count, n-1)
	}
	// The sender retries the 409s later: duplicates by then.
	w := whServe(h, whRequest(t, body, whNow, whNew))
	whWant(t, w, http.StatusOK, "")
	if !strings.Contains(w.Body.String(), `"duplicate":true`) {
		t.Fatalf("retry after completion = %s", w.Body)
	}
}

// TestWebhookHandlerConcurrentFast runs 64 identical deliveries with no
// coordination: whatever interleaving, onEvent runs exactly once and each
// answer is 200 or 409.
func TestWebhookHandlerConcurrentFast(t *testing.T) {
	rec := &whRecorder{}
	h, _ := whHandler(t, rec.onEvent)
	body := whPayload(t, whEvent)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 64 {
		r := whRequest(t, body, whNow, whNew)
		wg.Go(func() {
			<-start
			if w := whServe(h, r); w.Code != http.StatusOK && w.Code != http.StatusConflict {
				t.Errorf("status = %d: %s", w.Code, w.Body)
			}
		})
	}
	close(start)
	wg.Wait()
	if rec.calls() != 1 {
		t.Fatalf("onEvent calls = %d, want 1", rec.calls())
	}
}

func TestWebhookHandlerCallbackFailure(t *testing.T) {
	rec := &whRecorder{fail: errors.New("database down: password=hunter2")}
	h, clk := whHandler(t, rec.onEvent)
	body := whPayload(t, whEvent)

	w := whServe(h, whRequest(t, body, whNow, whNew))
	whWant(t, w, http.StatusInternalServerError, "internal_error")
	if strings.Contains(w.Body.String(), "hunter2") {
		t.Fatalf("callback error text leaked to the sender: %s", w.Body)
	}

	// The sender redelivers: processed again, now successfully.
	rec.setFail(nil)
	clk.Advance(30 * time.Second)
	w = whServe(h, whRequest(t, body, clk.Now(), whNew))
	whWant(t, w, http.StatusOK, "")
	if strings.Contains(w.Body.String(), "duplicate") || rec.calls() != 2 {
		t.Fatalf("redelivery not processed: calls %d, body %s", rec.calls(), w.Body)
	}
	// And then it is a duplicate.
	w = whServe(h, whRequest(t, body, clk.Now(), whNew))
	if !strings.Contains(w.Body.String(), `"duplicate":true`) || rec.calls() != 2 {
		t.Fatalf("third delivery: calls %d, body %s", rec.calls(), w.Body)
	}
}

func TestWebhookHandlerCallbackPanic(t *testing.T) {
	var calls atomic.Int32
	h, _ := whHandler(t, func(context.Context, pay.Event) error {
		if calls.Add(1) == 1 {
			panic("boom")
		}
		return nil
	})
	body := whPayload(t, whEvent)
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("panic was swallowed")
			}
		}()
		whServe(h, whRequest(t, body, whNow, whNew))
	}()
	w := whServe(h, whRequest(t, body, whNow, whNew))
	whWant(t, w, http.StatusOK, "")
	if calls.Load() != 2 || strings.Contains(w.Body.String(), "duplicate") {
		t.Fatalf("redelivery after a panic: calls %d, body %s", calls.Load(), w.Body)
	}
}

func TestWebhookHandlerRejects(t *testing.T) {
	valid := whPayload(t, whEvent)
	withField := []byte(`{"id":"evt_0test","type":"payment.succeeded","created":1700000000,"data":{},"extra":1}`)
	big := append(bytes.Repeat([]byte(" "), 1<<20), valid...)

	tests := []struct {
		name   string
		req    func(t *testing.T) *http.Request
		status int
		code   string
	}{
		{"GET", func(t *testing.T) *http.Request {
			r := whRequest(t, valid, whNow, whNew)
			r.Method = http.MethodGet
			return r
		}, http.StatusMethodNotAllowed, "method_not_allowed"},
		{"PUT", func(t *testing.T) *http.Request {
			r := whRequest(t, valid, whNow, whNew)
			r.Method = http.MethodPut
			return r
		}, http.StatusMethodNotAllowed, "method_not_allowed"},
		{"over 1 MiB, signed", func(t *testing.T) *http.Request { return whRequest(t, big, whNow, whNew) }, http.StatusRequestEntityTooLarge, "payload_too_large"},
		{"over 1 MiB, no Content-Length", func(t *testing.T) *http.Request {
			r := whRequest(t, big, whNow, whNew)
			r.ContentLength = -1
			r.Body = io.NopCloser(bytes.NewReader(big))
			return r
		}, http.StatusRequestEntityTooLarge, "payload_too_large"},
		{"unknown JSON field", func(t *testing.T) *http.Request { return whRequest(t, withField, whNow, whNew) }, http.StatusBadRequest, "invalid_request"},
		{"not JSON", func(t *testing.T) *http.Request { return whRequest(t, []byte("hello"), whNow, whNew) }, http.StatusBadRequest, "invalid_request"},
		{"JSON array", func(t *testing.T) *http.Request { return whRequest(t, []byte("[]"), whNow, whNew) }, http.StatusBadRequest, "invalid_request"},
		{"trailing data", func(t *testing.T) *http.Request {
			return whRequest(t, append(append([]byte(nil), valid...), []byte(` {}`)...), whNow, whNew)
		}, http.StatusBadRequest, "invalid_request"},
		{"missing id", func(t *testing.T) *http.Request {
			return whRequest(t, []byte(`{"type":"payment.succeeded","created":1,"data":{}}`), whNow, whNew)
		}, http.StatusBadRequest, "invalid_request"},
		{"id not an event id", func(t *testing.T) *http.Request {
			return whRequest(t, []byte(`{"id":"pay_0test","type":"payment.succeeded","created":1,"data":{}}`), whNow, whNew)
		}, http.StatusBadRequest, "invalid_request"},
		{"missing type", func(t *testing.T) *http.Request {
			return whRequest(t, []byte(`{"id":"evt_0test","created":1,"data":{}}`), whNow, whNew)
		}, http.StatusBadRequest, "invalid_request"},
		{"bad signature", func(t *testing.T) *http.Request { return whRequest(t, valid, whNow, whOther) }, http.StatusUnauthorized, "unauthorized"},
		{"tampered body", func(t *testing.T) *http.Request {
			r := whRequest(t, valid, whNow, whNew)
			r.Body = io.NopCloser(bytes.NewReader(bytes.Replace(valid, []byte("1234"), []byte("9999"), 1)))
			return r
		}, http.StatusUnauthorized, "unauthorized"},
		{"stale", func(t *testing.T) *http.Request {
			return whRequest(t, valid, whNow.Add(-pay.DefaultWebhookTolerance-time.Second), whNew)
		}, http.StatusUnauthorized, "unauthorized"},
		{"missing signature", func(t *testing.T) *http.Request {
			r := whRequest(t, valid, whNow, whNew)
			r.Header.Del(pay.SignatureHeader)
			return r
		}, http.StatusBadRequest, "invalid_request"},
		{"repeated signature header", func(t *testing.T) *http.Request {
			r := whRequest(t, valid, whNow, whNew)
			r.Header.Add(pay.SignatureHeader, r.Header.Get(pay.SignatureHeader))
			return r
		}, http.StatusBadRequest, "invalid_request"},
		{"malformed signature", func(t *testing.T) *http.Request {
			r := whRequest(t, valid, whNow, whNew)
			r.Header.Set(pay.SignatureHeader, "t=abc,v1=00")
			return r
		}, http.StatusBadRequest, "invalid_request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &whRecorder{}
			h, _ := whHandler(t, rec.onEvent)
			w := whServe(h, tc.req(t))
			whWant(t, w, tc.status, tc.code)
			if tc.status == http.StatusMethodNotAllowed && w.Header().Get("Allow") != http.MethodPost {
				t.Fatalf("Allow = %q", w.Header().Get("Allow"))
			}
			if rec.calls() != 0 {
				t.Fatalf("onEvent called %d times for a refused delivery", rec.calls())
			}
		})
	}
}

func TestWebhookHandlerRolledSecrets(t *testing.T) {
	rec := &whRecorder{}
	h, _ := whHandler(t, rec.onEvent, pay.WithWebhookSecrets(whOld, whNew))
	for i, secret := range []string{whOld, whNew} {
		e := whEvent
		e.ID = []string{"evt_0old", "evt_0new"}[i]
		whWant(t, whServe(h, whRequest(t, whPayload(t, e), whNow, secret)), http.StatusOK, "")
	}
	whWant(t, whServe(h, whRequest(t, whPayload(t, whEvent), whNow, whOther)), http.StatusUnauthorized, "unauthorized")
	if rec.calls() != 2 {
		t.Fatalf("onEvent calls = %d, want 2", rec.calls())
	}
}

// whMapStore is a minimal shared WebhookReplayStore, standing in for Redis.
type whMapStore struct {
	mu    sync.Mutex
	state map[string]pay.WebhookClaim
	err   error
}

func (s *whMapStore) Claim(_ context.Context, id string, _ time.Time, retain time.Duration) (pay.WebhookClaim, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return 0, s.err
	}
	if retain != 2*pay.DefaultWebhookTolerance {
		return 0, errors.New("unexpected retain")
	}
	if st, ok := s.state[id]; ok {
		return st, nil
	}
	s.state[id] = pay.WebhookClaimInFlight
	return pay.WebhookClaimNew, nil
}

func (s *whMapStore) Complete(_ context.Context, id string, _ time.Time, _ time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state[id] = pay.WebhookClaimDone
	return nil
}

func (s *whMapStore) Release(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.state, id)
	return nil
}

func TestWebhookHandlerSharedStore(t *testing.T) {
	store := &whMapStore{state: map[string]pay.WebhookClaim{}}
	rec := &whRecorder{}
	a, _ := whHandler(t, rec.onEvent, pay.WithWebhookReplayStore(store))
	b, _ := whHandler(t, rec.onEvent, pay.WithWebhookReplayStore(store))
	body := whPayload(t, whEvent)
	whWant(t, whServe(a, whRequest(t, body, whNow, whNew)), http.StatusOK, "")
	w := whServe(b, whRequest(t, body, whNow, whNew))
	if !strings.Contains(w.Body.String(), `"duplicate":true`) || rec.calls() != 1 {
		t.Fatalf("second instance: calls %d, body %s", rec.calls(), w.Body)
	}

	// A store outage: 503, the callback is not called, nothing leaks.
	store.err = errors.New("redis: connection refused to 10.0.0.1")
	e := whEvent
	e.ID = "evt_0other"
	w = whServe(a, whRequest(t, whPayload(t, e), whNow, whNew))
	whWant(t, w, http.StatusServiceUnavailable, "unavailable")
	if strings.Contains(w.Body.String(), "10.0.0.1") || rec.calls() != 1 {
		t.Fatalf("store outage: calls %d, body %s", rec.calls(), w.Body)
	}
}

func TestNewWebhookHandlerOptions(t *testing.T) {
	noop := func(context.Context, pay.Event) error { return nil }
	tests := []struct {
		name    string
		onEvent func(context.Context, pay.Event) error
		opts    []pay.WebhookOption
	}{
		{"nil onEvent", nil, []pay.WebhookOption{pay.WithWebhookSecrets(whNew)}},
		{"no secrets option", noop, nil},
		{"no secrets", noop, []pay.WebhookOption{pay.WithWebhookSecrets()}},
		{"empty secret", noop, []pay.WebhookOption{pay.WithWebhookSecrets(whNew, "")}},
		{"zero tolerance", noop, []pay.WebhookOption{pay.WithWebhookSecrets(whNew), pay.WithWebhookTolerance(0)}},
		{"negative tolerance", noop, []pay.WebhookOption{pay.WithWebhookSecrets(whNew), pay.WithWebhookTolerance(-time.Second)}},
		{"nil clock", noop, []pay.WebhookOption{pay.WithWebhookSecrets(whNew), pay.WithWebhookClock(nil)}},
		{"nil store", noop, []pay.WebhookOption{pay.WithWebhookSecrets(whNew), pay.WithWebhookReplayStore(nil)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, err := pay.NewWebhookHandler(tc.onEvent, tc.opts...)
			if !errors.Is(err, pay.ErrInvalidRequest) || h != nil {
				t.Fatalf("NewWebhookHandler = %v, %v; want ErrInvalidRequest", h, err)
			}
		})
	}

	// The secrets slice is copied: changing the caller's slice later has no
	// effect.
	secrets := []string{whNew}
	rec := &whRecorder{}
	h, _ := whHandler(t, rec.onEvent, pay.WithWebhookSecrets(secrets...))
	secrets[0] = whOther
	whWant(t, whServe(h, whRequest(t, whPayload(t, whEvent), whNow, whNew)), http.StatusOK, "")

	// A custom tolerance is applied.
	h, _ = whHandler(t, rec.onEvent, pay.WithWebhookTolerance(10*time.Second))
	whWant(t, whServe(h, whRequest(t, whPayload(t, whEvent), whNow.Add(-11*time.Second), whNew)), http.StatusUnauthorized, "unauthorized")
}

// TestWebhookEndToEnd sends a signed request over a real HTTP connection.
func TestWebhookEndToEnd(t *testing.T) {
	rec := &whRecorder{}
	h, err := pay.NewWebhookHandler(rec.onEvent, pay.WithWebhookSecrets(whNew))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	ev, err := pay.NewEvent("bill.paid", time.Now(), map[string]string{"bill": "bill_1"})
	if err != nil {
		t.Fatal(err)
	}
	req, err := pay.SignedWebhookRequest(context.Background(), srv.URL, ev, time.Now(), whOld, whNew)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || rec.calls() != 1 || rec.events[0].ID != ev.ID {
		t.Fatalf("status %d body %s calls %d", resp.StatusCode, b, rec.calls())
	}
}
