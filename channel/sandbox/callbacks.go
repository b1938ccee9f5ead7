package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/internal/randid"
	"github.com/paykit-go/paykit/pay"
)

// Callback is one notification the provider generated, with what became of
// it so far.
type Callback struct {
	// EventID is the callback's unique ID (sbevt_…), the same on every
	// delivery of it.
	EventID string `json:"event_id"`
	// Type says what happened.
	Type channel.EventType `json:"type"`
	// ChargeID, RefundID and AgreementID name the object concerned.
	ChargeID    string `json:"charge_id,omitempty"`
	RefundID    string `json:"refund_id,omitempty"`
	AgreementID string `json:"agreement_id,omitempty"`
	// Delivered counts the deliveries the receiver answered with 2xx; more
	// than one means the receiver saw duplicates.
	Delivered int `json:"delivered"`
	// Attempts counts every POST, whatever the answer.
	Attempts int `json:"attempts"`
	// LastStatus is the receiver's last HTTP status (0: none, or no answer).
	LastStatus int `json:"last_status,omitempty"`
	// Held reports that the callback waits for Deliver.
	Held bool `json:"held"`
}

// callbackRecord is a Callback plus what is needed to post it. Its Callback
// fields are guarded by Provider.mu; notifyURL and body never change.
type callbackRecord struct {
	Callback
	notifyURL string
	body      []byte
}

// maxAckBytes bounds how much of a receiver's answer is read.
const maxAckBytes = 64 << 10

// recordCallbackLocked creates the callback for a state change and appends
// it to the log. It does not post it: pass it to dispatchLocked (in the
// background) or deliverSync (before answering). p.mu must be held.
func (p *Provider) recordCallbackLocked(typ channel.EventType, notifyURL string, now time.Time, data callbackDataWire) *callbackRecord {
	id := randid.New(prefixEvent)
	body, _ := json.Marshal(callbackWire{ // cannot fail: strings, ints and a Money
		ID: id, Type: string(typ), Created: now.Unix(), Data: data,
	})
	rec := &callbackRecord{
		Callback: Callback{
			EventID: id, Type: typ,
			ChargeID: data.ChargeID, RefundID: data.RefundID, AgreementID: data.AgreementID,
			Held: p.hold && notifyURL != "",
		},
		notifyURL: notifyURL,
		body:      body,
	}
	p.callbacks = append(p.callbacks, rec)
	p.callbackByID[rec.EventID] = rec
	return rec
}

// dispatchLocked posts rec in the background (after WithCallbackDelay,
// retrying per WithCallbackRetries) unless it is nil, held or has nowhere to
// go. p.mu must be held.
func (p *Provider) dispatchLocked(rec *callbackRecord) {
	if rec == nil || rec.Held || rec.notifyURL == "" {
		return
	}
	p.goLocked(func() {
		if !p.wait(p.ctx, p.cbDelay) {
			return
		}
		p.deliverWithRetries(p.ctx, rec)
	})
}

// deliverSync posts rec now, in the caller's goroutine, retrying like a
// background delivery (FaultCallbackFirst). p.mu must not be held.
func (p *Provider) deliverSync(ctx context.Context, rec *callbackRecord) {
	if rec == nil || rec.notifyURL == "" {
		return
	}
	p.mu.Lock()
	held := rec.Held
	p.mu.Unlock()
	if !held {
		p.deliverWithRetries(ctx, rec)
	}
}

// deliverWithRetries posts rec until the receiver answers 2xx or 4xx or the
// attempts run out.
func (p *Provider) deliverWithRetries(ctx context.Context, rec *callbackRecord) {
	for attempt := 0; attempt < p.cbAttempts; attempt++ {
		if attempt > 0 && !p.wait(ctx, p.cbInterval) {
			return
		}
		status, err := p.post(ctx, rec)
		if err == nil && (status/100 == 2 || status/100 == 4) {
			return // accepted, or refused for good
		}
	}
}

// post makes one signed delivery of rec and records its outcome.
func (p *Provider) post(ctx context.Context, rec *callbackRecord) (int, error) {
	sig, err := pay.SignWebhook(rec.body, p.clock.Now(), p.secret)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rec.notifyURL, bytes.NewReader(rec.body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(SignatureHeader, sig)
	resp, err := p.client.Do(req)
	status := 0
	if err == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxAckBytes))
		resp.Body.Close()
		status = resp.StatusCode
	}
	p.mu.Lock()
	rec.Attempts++
	rec.LastStatus = status
	if status >= 200 && status < 300 {
		rec.Delivered++
	}
	p.mu.Unlock()
	return status, err
}

// HoldCallbacks starts (true) or stops (false) holding callbacks. While
// holding, every new callback is recorded with Held set and is posted only
// by Deliver, so tests can deliver callbacks late, twice or out of order.
// Stopping does not release callbacks already held.
func (p *Provider) HoldCallbacks(hold bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hold = hold
}

// Callbacks returns every callback the provider generated, in the order the
// state changes happened, with their delivery counts so far.
func (p *Provider) Callbacks() []Callback {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Callback, len(p.callbacks))
	for i, rec := range p.callbacks {
		out[i] = rec.Callback
	}
	return out
}

// Deliver posts callback eventID once, now, and waits for the answer: a held
// callback is released this way, and one already delivered is delivered
// again (a duplicate). It fails with ErrUnknownCharge when there is no such
// callback or it has no notify URL, ErrUnavailable when the receiver could
// not be reached and ErrDeclined when it answered other than 2xx.
func (p *Provider) Deliver(ctx context.Context, eventID string) error {
	p.mu.Lock()
	rec := p.callbackByID[eventID]
	if rec != nil {
		rec.Held = false
	}
	p.mu.Unlock()
	if rec == nil {
		return channel.Errorf(channel.ErrUnknownCharge, "event_id", "no callback with this event ID")
	}
	if rec.notifyURL == "" {
		return channel.Errorf(channel.ErrUnknownCharge, "notify_url", "callback %s has no notify URL", rec.EventID)
	}
	status, err := p.post(ctx, rec)
	if err != nil {
		return channel.Errorf(channel.ErrUnavailable, "notify_url", "callback %s: receiver unreachable", rec.EventID)
	}
	if status < 200 || status >= 300 {
		return channel.Errorf(channel.ErrDeclined, "notify_url", "callback %s: receiver answered %d", rec.EventID, status)
	}
	return nil
}
