package channel

import (
	"context"
	"sync"

	"github.com/paykit-go/paykit/pay"
)

// Merchant webhook event types the aggregator emits; Data is the Payment
// (or AgreementRecord) after the change.
const (
	WebhookPaymentSucceeded    = "payment.succeeded"
	WebhookPaymentFailed       = "payment.failed"
	WebhookPaymentClosed       = "payment.closed"
	WebhookPaymentRefunded     = "payment.refunded"
	WebhookRefundFailed        = "payment.refund_failed"
	WebhookAgreementSigned     = "agreement.signed"
	WebhookAgreementTerminated = "agreement.terminated"
)

// Notifier tells merchants about changes. Notify is called after the change
// is committed, once per change; it must not block for long (queue and
// deliver in the background, as pay.WebhookSender does).
type Notifier interface {
	Notify(ctx context.Context, e pay.Event)
}

// NotifierFunc adapts a function to Notifier.
type NotifierFunc func(ctx context.Context, e pay.Event)

// Notify calls f.
func (f NotifierFunc) Notify(ctx context.Context, e pay.Event) { f(ctx, e) }

func statusWebhook(s Status) string {
	switch s {
	case StatusSucceeded:
		return WebhookPaymentSucceeded
	case StatusFailed:
		return WebhookPaymentFailed
	case StatusClosed:
		return WebhookPaymentClosed
	}
	return ""
}

// notify emits a merchant webhook; a failure to build it is logged only,
// since the change it reports is already committed.
func (a *Aggregator) notify(ctx context.Context, typ string, data any) {
	if typ == "" {
		return
	}
	e, err := pay.NewEvent(typ, a.clock.Now(), data)
	if err != nil {
		a.log.ErrorContext(ctx, "channel: building webhook event", "type", typ, "err", err)
		return
	}
	a.notifier.Notify(context.WithoutCancel(ctx), e)
}

// waiters wakes callers of WaitPayment when a payment changes.
type waiters struct {
	mu sync.Mutex
	m  map[string]chan struct{}
}

// wait returns a channel closed at the next change of payment id.
func (w *waiters) wait(id string) <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.m == nil {
		w.m = map[string]chan struct{}{}
	}
	c, ok := w.m[id]
	if !ok {
		c = make(chan struct{})
		w.m[id] = c
	}
	return c
}

// wake closes the channel of payment id, if anyone waits.
func (w *waiters) wake(id string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if c, ok := w.m[id]; ok {
		close(c)
		delete(w.m, id)
	}
}

// WaitPayment returns the payment as soon as its status is no longer
// pending, or its current state when ctx ends first (with no error, so a
// long-poll handler answers "still pending"). A headset uses it to learn the
// result the moment the callback lands instead of polling.
func (a *Aggregator) WaitPayment(ctx context.Context, id string) (Payment, error) {
	for {
		p, err := a.store.Payment(ctx, id)
		if err != nil || p.Status != StatusPending {
			return p, err
		}
		ch := a.waiters.wait(id) // registered before the re-read, so no change is missed
		if p, err = a.store.Payment(ctx, id); err != nil || p.Status != StatusPending {
			return p, err
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return p, nil
		}
	}
}
