package channel_test

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/pay"
)

// fakeChannel is a scriptable in-process Channel for the aggregator's unit
// tests; the sandbox provider covers the same ground over real HTTP.
type fakeChannel struct {
	name string
	caps channel.Capabilities

	mu           sync.Mutex
	creates      int
	createErr    error
	createStatus channel.Status
	onCreate     func(req channel.ChargeRequest) // runs before Create returns
	refundStatus channel.RefundStatus
	refundErr    error
	refunds      []channel.RefundRequest
	query        channel.Charge
	closed       []string
	forgotten    []string
}

// Forget records events the aggregator could not apply.
func (f *fakeChannel) Forget(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.forgotten = append(f.forgotten, id)
	return nil
}

func newFake(name string) *fakeChannel {
	return &fakeChannel{
		name: name,
		caps: channel.Capabilities{
			Scenarios: []channel.Scenario{channel.ScenarioQR, channel.ScenarioInApp, channel.ScenarioScanned},
			Refunds:   true, PartialRefunds: true,
		},
		createStatus: channel.StatusPending,
		refundStatus: channel.RefundPending,
	}
}

func (f *fakeChannel) Name() string                       { return f.name }
func (f *fakeChannel) Capabilities() channel.Capabilities { return f.caps }

func (f *fakeChannel) CreateCharge(_ context.Context, req channel.ChargeRequest) (channel.Charge, error) {
	f.mu.Lock()
	err, status, hook := f.createErr, f.createStatus, f.onCreate
	if err == nil {
		f.creates++
	}
	f.mu.Unlock()
	if err != nil {
		return channel.Charge{}, err
	}
	if hook != nil {
		hook(req)
	}
	return channel.Charge{ChargeID: req.ChargeID, ProviderID: "fk_" + req.ChargeID, Status: status, Amount: req.Amount,
		Action: channel.Action{QRCode: "fake://" + req.ChargeID}}, nil
}

func (f *fakeChannel) QueryCharge(_ context.Context, id string) (channel.Charge, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.query
	c.ChargeID = id
	return c, nil
}

func (f *fakeChannel) CloseCharge(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = append(f.closed, id)
	return nil
}

func (f *fakeChannel) Refund(_ context.Context, req channel.RefundRequest) (channel.Refund, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.refundErr != nil {
		return channel.Refund{}, f.refundErr
	}
	f.refunds = append(f.refunds, req)
	return channel.Refund{RefundID: req.RefundID, ChargeID: req.ChargeID, ProviderID: "fkr_" + req.RefundID, Status: f.refundStatus, Amount: req.Amount}, nil
}

func (f *fakeChannel) QueryRefund(_ context.Context, chargeID, refundID string) (channel.Refund, error) {
	return channel.Refund{RefundID: refundID, ChargeID: chargeID, Status: channel.RefundSucceeded}, nil
}

// ParseCallback trusts a JSON Event when the X-Fake-Signature header is
// "ok", standing in for a provider's signature check.
func (f *fakeChannel) ParseCallback(r *http.Request) (channel.Event, error) {
	if r.Header.Get("X-Fake-Signature") != "ok" {
		return channel.Event{}, channel.Errorf(channel.ErrBadSignature, "", "bad signature")
	}
	var ev channel.Event
	if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
		return channel.Event{}, channel.Errorf(channel.ErrMalformed, "", "bad JSON")
	}
	return ev, nil
}

func (f *fakeChannel) Acknowledge(w http.ResponseWriter, err error) {
	if err != nil {
		http.Error(w, "FAIL", http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (f *fakeChannel) set(fn func(f *fakeChannel)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *fakeChannel) createCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.creates
}

// recorder collects merchant webhooks.
type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) notifier() channel.Notifier {
	return channel.NotifierFunc(func(_ context.Context, e pay.Event) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.events = append(r.events, e.Type)
	})
}

func (r *recorder) types() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.events...)
}
