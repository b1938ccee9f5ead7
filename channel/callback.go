package channel

import (
	"context"
	"errors"
	"net/http"
)

// CallbackPath is the route pattern of the aggregator's one callback
// endpoint; providers post to /v1/callbacks/<channel name>.
const CallbackPath = "/v1/callbacks/{channel}"

// HandleCallback serves a provider callback for channel name: the channel
// verifies it (signature, freshness), the aggregator de-duplicates it by the
// channel's event ID and applies it, and the channel answers the provider
// in the form it expects. A duplicate is acknowledged as success so the
// provider stops resending; any rejected callback changes nothing.
func (a *Aggregator) HandleCallback(w http.ResponseWriter, r *http.Request, name string) {
	ch, err := a.Channel(name)
	if err != nil {
		http.Error(w, "unknown channel", http.StatusNotFound)
		return
	}
	ev, err := ch.ParseCallback(r)
	if err == nil {
		ev.Channel = name
		err = a.ApplyEvent(r.Context(), ev)
		if f, ok := ch.(Forgetter); ok && err != nil && !errors.Is(err, ErrDuplicate) {
			// Not applied: let the provider's retry of this event through
			// the channel's own de-duplication.
			if ferr := f.Forget(context.WithoutCancel(r.Context()), ev.ID); ferr != nil {
				a.log.ErrorContext(r.Context(), "channel: forgetting a rejected event", "channel", name, "err", ferr)
			}
		}
	}
	switch {
	case errors.Is(err, ErrDuplicate):
		a.log.InfoContext(r.Context(), "channel: duplicate callback acknowledged", "channel", name, "event", ev.ID)
		err = nil
	case err != nil:
		a.log.WarnContext(r.Context(), "channel: callback rejected", "channel", name, "err", err)
	}
	ch.Acknowledge(w, err)
}

// Forgetter is implemented by channels that de-duplicate callbacks
// themselves (Alipay gives no such guarantee, so its adapter does). When the
// aggregator could not apply an event, it calls Forget so the provider's
// retry of that event is not mistaken for a duplicate.
type Forgetter interface {
	Forget(ctx context.Context, eventID string) error
}

// ApplyEvent applies a verified callback event to the payment or agreement
// it names. It is what HandleCallback does after verification; tests and
// custom transports may call it directly. An event is applied at most once
// per (channel, event ID): a repeat returns ErrDuplicate and changes nothing.
// The event must come from the channel the payment was charged through, and
// a success or refund must carry the recorded amount and currency.
func (a *Aggregator) ApplyEvent(ctx context.Context, ev Event) error {
	if ev.ID == "" || ev.Channel == "" {
		return Errorf(ErrMalformed, "id", "event has no ID or channel")
	}
	key := ev.Channel + "\x00" + ev.ID
	switch ev.Type {
	case EventChargeSucceeded, EventChargeFailed, EventChargeClosed:
		return a.applyChargeEvent(ctx, key, ev)
	case EventRefundSucceeded, EventRefundFailed:
		if err := a.ownPayment(ctx, ev); err != nil {
			return err
		}
		to := RefundSucceeded
		if ev.Type == EventRefundFailed {
			to = RefundFailed
		}
		_, err := a.applyRefund(ctx, ev.ChargeID, ev.RefundID, key, to, "", ev.Amount)
		return err
	case EventAgreementSigned, EventAgreementTerminated:
		return a.applyAgreementEvent(ctx, key, ev)
	}
	return Errorf(ErrUnsupported, "type", "event type %q is not handled", ev.Type)
}

func (a *Aggregator) applyChargeEvent(ctx context.Context, key string, ev Event) error {
	if err := a.ownPayment(ctx, ev); err != nil {
		return err
	}
	to := chargeEventStatus[ev.Type]
	if to == StatusSucceeded && ev.Amount.Currency == "" {
		return Errorf(ErrMalformed, "amount", "a success callback must carry the amount")
	}
	_, err := a.move(ctx, ev.ChargeID, key, func(p *Payment) (Status, string, error) {
		if ev.Amount.Currency != "" && ev.Amount != p.Amount {
			return "", "", Errorf(ErrAmountMismatch, "amount", "the channel reports %s for a payment of %s", ev.Amount, p.Amount)
		}
		if p.ProviderID == "" {
			p.ProviderID = ev.ProviderChargeID
		}
		return to, ev.Reason, nil
	})
	return err
}

// chargeEventStatus is the payment status each charge event reports.
var chargeEventStatus = map[EventType]Status{
	EventChargeSucceeded: StatusSucceeded,
	EventChargeFailed:    StatusFailed,
	EventChargeClosed:    StatusClosed,
}

// ownPayment checks that the event names a payment charged through the
// event's channel, so one channel's callback can't settle another's charge.
func (a *Aggregator) ownPayment(ctx context.Context, ev Event) error {
	if ev.ChargeID == "" {
		return Errorf(ErrMalformed, "charge_id", "event names no charge")
	}
	p, err := a.store.Payment(ctx, ev.ChargeID)
	if err != nil {
		return err
	}
	if p.Channel != ev.Channel {
		return Errorf(ErrUnknownCharge, "charge_id", "payment %s was not charged through %q", ev.ChargeID, ev.Channel)
	}
	return nil
}
