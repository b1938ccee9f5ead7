package sandbox

import (
	"net/http"
	"testing"
	"time"

	"github.com/paykit-go/paykit/channel"
)

// TestCreateFaults injects every fault kind into create and checks the
// error class the adapter reports and what the provider stored.
func TestCreateFaults(t *testing.T) {
	tests := []struct {
		name     string
		fault    Fault
		attempts int
		timeout  time.Duration
		wantErr  error // nil: success
		accepted int
		status   channel.Status // provider's view afterwards ("" = none)
	}{
		{name: "unavailable every attempt", fault: Fault{Kind: FaultUnavailable, Times: 3}, attempts: 3, wantErr: channel.ErrUnavailable, accepted: 0},
		{name: "unavailable once, retried", fault: Fault{Kind: FaultUnavailable}, attempts: 3, accepted: 1, status: channel.StatusPending},
		{name: "server error every attempt", fault: Fault{Kind: FaultServerError, Times: 3}, attempts: 3, wantErr: channel.ErrOutcomeUnknown, accepted: 1, status: channel.StatusPending},
		{name: "server error once, retried", fault: Fault{Kind: FaultServerError}, attempts: 3, accepted: 1, status: channel.StatusPending},
		{name: "timeout longer than the client", fault: Fault{Kind: FaultTimeout, Delay: 2 * time.Second}, attempts: 1, timeout: 100 * time.Millisecond, wantErr: channel.ErrOutcomeUnknown, accepted: 1, status: channel.StatusPending},
		{name: "timeout shorter than the client", fault: Fault{Kind: FaultTimeout, Delay: 20 * time.Millisecond}, attempts: 1, timeout: 2 * time.Second, accepted: 1, status: channel.StatusPending},
		{name: "decline", fault: Fault{Kind: FaultDecline, Reason: "risk control"}, attempts: 3, wantErr: channel.ErrDeclined, accepted: 1, status: channel.StatusFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := []Option{WithRetryPolicy(fastRetries(tt.attempts))}
			if tt.timeout > 0 {
				opts = append(opts, WithHTTPClient(&http.Client{Timeout: tt.timeout}))
			}
			h := newHarness(t, nil, opts...)
			h.p.Inject(OpCreate, tt.fault)
			req := chargeReq("ord_fault", channel.ScenarioQR)
			start := time.Now()
			c, err := h.ch.CreateCharge(bg, req)
			if tt.wantErr != nil {
				assertIs(t, err, tt.wantErr)
			} else if err != nil || c.Status != tt.status {
				t.Fatalf("CreateCharge = %+v, %v", c, err)
			}
			if tt.timeout > 0 && tt.timeout < tt.fault.Delay && time.Since(start) > time.Second {
				t.Fatalf("create took %v, the client timeout is %v", time.Since(start), tt.timeout)
			}
			if n := h.p.Accepted(); n != tt.accepted {
				t.Fatalf("Accepted() = %d, want %d", n, tt.accepted)
			}
			got, ok := h.p.Charge(req.ChargeID)
			if ok != (tt.status != "") || got.Status != tt.status {
				t.Fatalf("provider charge = %+v, %v; want status %q", got, ok, tt.status)
			}
			if tt.fault.Kind == FaultDecline {
				e := h.rc.wait(t, channel.EventChargeFailed, req.ChargeID)
				if e.Reason != "risk control" || got.FailureReason != "risk control" {
					t.Fatalf("declined: event %+v, charge %+v", e, got)
				}
			}
			// Whatever happened, the fault is used up: querying works and
			// a retried create is charged once.
			if tt.status != "" {
				if _, err := h.ch.QueryCharge(bg, req.ChargeID); err != nil {
					t.Fatalf("QueryCharge after the fault: %v", err)
				}
			}
			_, _ = h.ch.CreateCharge(bg, req)
			if n, want := h.p.Accepted(), 1; n != want {
				t.Fatalf("after a retry Accepted() = %d, want %d", n, want)
			}
		})
	}
}

// TestCallbackFirst: the success callback reaches the receiver before
// CreateCharge returns.
func TestCallbackFirst(t *testing.T) {
	h := newHarness(t, nil)
	h.p.Inject(OpCreate, Fault{Kind: FaultCallbackFirst})
	req := chargeReq("ord_cbfirst", channel.ScenarioQR)
	c, err := h.ch.CreateCharge(bg, req)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != channel.StatusSucceeded {
		t.Fatalf("charge = %+v, want succeeded", c)
	}
	evs := h.rc.Events() // no waiting: it must be there already
	if len(evs) != 1 || evs[0].Type != channel.EventChargeSucceeded || evs[0].ChargeID != req.ChargeID {
		t.Fatalf("events when CreateCharge returned: %+v", evs)
	}
	if cbs := h.p.Callbacks(); len(cbs) != 1 || cbs[0].Delivered != 1 {
		t.Fatalf("callbacks = %+v", cbs)
	}
}

func TestOtherOpFaults(t *testing.T) {
	h := newHarness(t, nil, WithRetryPolicy(fastRetries(2)))
	id := "ord_ops"
	if _, err := h.ch.CreateCharge(bg, chargeReq(id, channel.ScenarioScanned)); err != nil {
		t.Fatal(err)
	}

	h.p.Inject(OpQuery, Fault{Kind: FaultUnavailable, Times: 2})
	_, err := h.ch.QueryCharge(bg, id)
	assertIs(t, err, channel.ErrUnavailable)

	h.p.Inject(OpRefund, Fault{Kind: FaultServerError, Times: 2})
	_, err = h.ch.Refund(bg, channel.RefundRequest{RefundID: "rf_ops_500", ChargeID: id, Amount: cny(100)})
	assertIs(t, err, channel.ErrOutcomeUnknown)
	if rf, err := h.ch.QueryRefund(bg, id, "rf_ops_500"); err != nil {
		t.Fatalf("the refund was stored despite the 500: %v", err)
	} else if rf.Amount != cny(100) {
		t.Fatalf("refund = %+v", rf)
	}

	h.p.Inject(OpRefund, Fault{Kind: FaultDecline})
	_, err = h.ch.Refund(bg, channel.RefundRequest{RefundID: "rf_ops_decl", ChargeID: id, Amount: cny(100)})
	assertIs(t, err, channel.ErrDeclined)
	h.rc.wait(t, channel.EventRefundFailed, "rf_ops_decl")
	if rf, err := h.ch.QueryRefund(bg, id, "rf_ops_decl"); err != nil || rf.Status != channel.RefundFailed {
		t.Fatalf("declined refund = %+v, %v", rf, err)
	}

	h.p.Inject(OpRefund, Fault{Kind: FaultCallbackFirst})
	rf, err := h.ch.Refund(bg, channel.RefundRequest{RefundID: "rf_ops_first", ChargeID: id, Amount: cny(100)})
	if err != nil || rf.Status != channel.RefundSucceeded {
		t.Fatalf("callback-first refund = %+v, %v", rf, err)
	}
	found := false
	for _, e := range h.rc.Events() {
		found = found || (e.Type == channel.EventRefundSucceeded && e.RefundID == "rf_ops_first")
	}
	if !found {
		t.Fatal("refund callback did not arrive before Refund returned")
	}

	// A failed refund gives its amount back: 1250 - 100 - 100 remain.
	if _, err := h.ch.Refund(bg, channel.RefundRequest{RefundID: "rf_ops_rest", ChargeID: id, Amount: cny(1050)}); err != nil {
		t.Fatalf("refunding the rest: %v", err)
	}

	id2 := "ord_ops_close"
	if _, err := h.ch.CreateCharge(bg, chargeReq(id2, channel.ScenarioQR)); err != nil {
		t.Fatal(err)
	}
	h.p.Inject(OpClose, Fault{Kind: FaultServerError, Times: 2})
	assertIs(t, h.ch.CloseCharge(bg, id2), channel.ErrOutcomeUnknown)
	if c, _ := h.p.Charge(id2); c.Status != channel.StatusClosed {
		t.Fatalf("close was performed before the 500: %+v", c)
	}
}

func TestFaultsAreConsumedInOrder(t *testing.T) {
	h := newHarness(t, nil, WithRetryPolicy(fastRetries(1)))
	h.p.Inject(OpCreate, Fault{Kind: FaultUnavailable, Times: 2})
	h.p.Inject(OpCreate, Fault{Kind: FaultServerError})
	want := []error{channel.ErrUnavailable, channel.ErrUnavailable, channel.ErrOutcomeUnknown, nil}
	for i, w := range want {
		_, err := h.ch.CreateCharge(bg, chargeReq("ord_order", channel.ScenarioQR))
		if w == nil {
			if err != nil {
				t.Fatalf("call %d: %v", i, err)
			}
			continue
		}
		assertIs(t, err, w)
	}
}

func TestInjectPanicsOnMistakes(t *testing.T) {
	p, err := NewProvider()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for name, call := range map[string]func(){
		"unknown op":              func() { p.Inject("explode", Fault{Kind: FaultUnavailable}) },
		"unknown kind":            func() { p.Inject(OpCreate, Fault{Kind: "meteor"}) },
		"timeout no delay":        func() { p.Inject(OpQuery, Fault{Kind: FaultTimeout}) },
		"decline on query":        func() { p.Inject(OpQuery, Fault{Kind: FaultDecline}) },
		"negative times":          func() { p.Inject(OpCreate, Fault{Kind: FaultUnavailable, Times: -1}) },
		"callback first on close": func() { p.Inject(OpClose, Fault{Kind: FaultCallbackFirst}) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			call()
		})
	}
}
