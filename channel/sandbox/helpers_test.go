package sandbox

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/pay"
)

// testSecret is the HMAC secret the harness shares between provider and
// adapter.
const testSecret = "sbsec_test_0123456789abcdef"

// fastRetries retries quickly so fault tests stay fast.
func fastRetries(attempts int) pay.RetryPolicy {
	return pay.RetryPolicy{MaxAttempts: attempts, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}
}

// receiver is a merchant's callback endpoint: it verifies each callback with
// an adapter and records what it accepted.
type receiver struct {
	srv *httptest.Server
	ch  *Channel

	mu     sync.Mutex
	events []channel.Event
	errs   []error
	// fail, when set, is asked whether to refuse a verified callback with
	// a processing error (the receiver then answers 500).
	fail func(e channel.Event) error
	got  chan channel.Event
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	rc := &receiver{got: make(chan channel.Event, 1024)}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	e, err := rc.ch.ParseCallback(r)
	rc.mu.Lock()
	if err == nil && rc.fail != nil {
		if ferr := rc.fail(e); ferr != nil {
			rc.mu.Unlock()
			rc.ch.Acknowledge(w, ferr)
			return
		}
	}
	if err != nil {
		rc.errs = append(rc.errs, err)
	} else {
		rc.events = append(rc.events, e)
	}
	rc.mu.Unlock()
	if err == nil {
		rc.got <- e
	}
	rc.ch.Acknowledge(w, err)
}

// Events returns the callbacks accepted so far, in arrival order.
func (rc *receiver) Events() []channel.Event {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]channel.Event(nil), rc.events...)
}

// Errs returns the callbacks refused so far.
func (rc *receiver) Errs() []error {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]error(nil), rc.errs...)
}

// wait returns the next accepted callback of type typ about id (a charge,
// refund or agreement ID), skipping others, or fails the test after 5 s.
func (rc *receiver) wait(t *testing.T, typ channel.EventType, id string) channel.Event {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case e := <-rc.got:
			if e.Type == typ && (e.ChargeID == id || e.RefundID == id || e.AgreementID == id) {
				return e
			}
		case <-deadline:
			t.Fatalf("no %s callback for %s within 5s; got %v", typ, id, rc.Events())
			return channel.Event{}
		}
	}
}

// harness is a provider behind an httptest.Server, an adapter pointing at
// it and a receiver for its callbacks.
type harness struct {
	p   *Provider
	srv *httptest.Server
	ch  *Channel
	rc  *receiver
}

func newHarness(t *testing.T, popts []ProviderOption, copts ...Option) *harness {
	t.Helper()
	rc := newReceiver(t)
	p, err := NewProvider(append([]ProviderOption{WithSecret(testSecret), WithCallbackRetries(5, 5*time.Millisecond)}, popts...)...)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	t.Cleanup(p.Close) // runs first: stops deliveries before the servers go
	ch, err := New(srv.URL, testSecret, append([]Option{WithNotifyURL(rc.srv.URL), WithRetryPolicy(fastRetries(3))}, copts...)...)
	if err != nil {
		t.Fatal(err)
	}
	rc.ch = ch
	return &harness{p: p, srv: srv, ch: ch, rc: rc}
}

func cny(amount int64) pay.Money { return pay.Money{Amount: amount, Currency: "CNY"} }

func usd(amount int64) pay.Money { return pay.Money{Amount: amount, Currency: "USD"} }

// chargeReq is a valid request for scenario s.
func chargeReq(id string, s channel.Scenario) channel.ChargeRequest {
	req := channel.ChargeRequest{ChargeID: id, Scenario: s, Amount: cny(1250), Description: "VR arcade, 30 min"}
	switch s {
	case channel.ScenarioScanned:
		req.AuthCode = "134567890123456789"
	case channel.ScenarioAgreement:
		req.AgreementID = "agr_" + id
	}
	return req
}

// signedRequest builds a request to the provider signed with secret at now.
func signedRequest(t *testing.T, method, url, secret string, body []byte, now time.Time) *http.Request {
	t.Helper()
	req := httptest.NewRequest(method, url, bytes.NewReader(body))
	sig, err := pay.SignWebhook(requestPayload(method, req.URL.RequestURI(), body), now, secret)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set(SignatureHeader, sig)
	return req
}

// assertIs fails unless err is a *pay.Error matching sentinel.
func assertIs(t *testing.T, err, sentinel error) {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Fatalf("error = %v, want %v", err, sentinel)
	}
	var pe *pay.Error
	if !errors.As(err, &pe) {
		t.Fatalf("error %T is not a *pay.Error", err)
	}
}

// eventually polls cond for up to 5 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting until %s", what)
}

var bg = context.Background()
