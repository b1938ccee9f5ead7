package channel

import (
	"context"
	"errors"
	"unicode/utf8"

	"github.com/paykit-go/paykit/pay"
)

// RefundParams asks for a refund of a succeeded payment.
type RefundParams struct {
	// Amount to refund; at most what is still refundable. Required.
	Amount pay.Money `json:"amount"`
	// Reason is recorded with the refund and sent to the provider.
	Reason string `json:"reason,omitempty"`
}

// Refund refunds all or part of a succeeded payment. The refund is recorded
// and its amount reserved in the ledger (a pending transfer from the
// merchant) before the provider is called; the provider's answer or its
// refund callback posts it (succeeded) or voids it (failed). A refund whose
// outcome is unknown stays pending until a callback or SyncPayment.
// The returned payment's last refund is the new one.
func (a *Aggregator) Refund(ctx context.Context, paymentID string, r RefundParams) (Payment, error) {
	if err := r.Amount.ValidatePositive("amount"); err != nil {
		return Payment{}, err
	}
	if len(r.Reason) > 80 || !utf8.ValidString(r.Reason) {
		return Payment{}, pay.Errorf(pay.ErrInvalidRequest, "reason", "reason must be valid UTF-8 of at most 80 bytes")
	}
	p, err := a.store.Payment(ctx, paymentID)
	if err != nil {
		return Payment{}, err
	}
	ch, err := a.Channel(p.Channel)
	if err != nil {
		return Payment{}, err
	}
	caps := ch.Capabilities()
	rec := RefundRecord{ID: pay.NewID(PrefixRefund), Amount: r.Amount, Status: RefundPending, Reason: r.Reason, CreatedAt: a.clock.Now().UTC()}
	p, err = a.store.UpdatePayment(ctx, paymentID, "", func(p *Payment) error {
		switch left := p.Refundable(); {
		case p.Status != StatusSucceeded:
			return pay.Errorf(pay.ErrConflict, "payment", "only a succeeded payment can be refunded; this one is %s", p.Status)
		case r.Amount.Currency != p.Amount.Currency:
			return pay.Errorf(pay.ErrInvalidRequest, "amount.currency", "refund currency %s differs from the payment's %s", r.Amount.Currency, p.Amount.Currency)
		case r.Amount.Amount > left.Amount:
			return pay.Errorf(pay.ErrInvalidRequest, "amount.amount", "refund of %s exceeds the %s still refundable", r.Amount, left)
		case !caps.Refunds:
			return Errorf(ErrUnsupported, "payment", "channel %q does not refund", p.Channel)
		case !caps.PartialRefunds && r.Amount != p.Amount:
			return Errorf(ErrUnsupported, "amount", "channel %q refunds only in full", p.Channel)
		}
		if err := a.reserveRefund(ctx, p, rec); err != nil {
			return err
		}
		p.Refunds = append(p.Refunds, rec)
		p.UpdatedAt = rec.CreatedAt
		return nil
	})
	if err != nil {
		return Payment{}, err
	}
	res, rerr := ch.Refund(ctx, RefundRequest{
		RefundID: rec.ID, ChargeID: p.ID, ProviderChargeID: p.ProviderID,
		Amount: r.Amount, ChargeAmount: p.Amount, Reason: r.Reason, NotifyURL: a.callbackURL(p.Channel),
	})
	switch {
	case rerr == nil && res.Status != RefundPending:
		return a.applyRefund(ctx, paymentID, rec.ID, "", res.Status, res.ProviderID, pay.Money{})
	case rerr == nil:
		return a.store.UpdatePayment(ctx, paymentID, "", func(p *Payment) error {
			if i, ok := p.refund(rec.ID); ok && p.Refunds[i].ProviderID == "" {
				p.Refunds[i].ProviderID = res.ProviderID
			}
			return nil
		})
	case errors.Is(rerr, ErrDeclined) || errors.Is(rerr, ErrUnavailable) || errors.Is(rerr, ErrUnsupported):
		if _, err := a.applyRefund(ctx, paymentID, rec.ID, "", RefundFailed, "", pay.Money{}); err != nil {
			return Payment{}, err
		}
		return Payment{}, rerr
	default: // outcome unknown: stays pending
		return a.store.Payment(ctx, paymentID)
	}
}

// applyRefund settles a pending refund. eventKey de-duplicates callbacks;
// amount, when set, must equal the refund's.
func (a *Aggregator) applyRefund(ctx context.Context, paymentID, refundID, eventKey string, to RefundStatus, providerID string, amount pay.Money) (Payment, error) {
	changed := false
	p, err := a.store.UpdatePayment(ctx, paymentID, eventKey, func(p *Payment) error {
		i, ok := p.refund(refundID)
		if !ok {
			return Errorf(ErrUnknownCharge, "refund_id", "payment %s has no refund %q", paymentID, refundID)
		}
		r := &p.Refunds[i]
		if amount.Currency != "" && amount != r.Amount {
			return Errorf(ErrAmountMismatch, "amount", "the channel reports a refund of %s, not %s", amount, r.Amount)
		}
		if r.ProviderID == "" {
			r.ProviderID = providerID
		}
		if r.Status != RefundPending || to == RefundPending {
			return nil // already settled: a late or repeated report changes nothing
		}
		if err := a.settleRefund(ctx, *r, to == RefundSucceeded); err != nil {
			return err
		}
		r.Status, changed = to, true
		if to == RefundSucceeded {
			p.Refunded.Amount += r.Amount.Amount
		}
		p.UpdatedAt = a.clock.Now().UTC()
		return nil
	})
	if err != nil {
		return Payment{}, err
	}
	if changed {
		a.waiters.wake(p.ID)
		typ := WebhookPaymentRefunded
		if to == RefundFailed {
			typ = WebhookRefundFailed
		}
		a.notify(ctx, typ, p)
	}
	return p, nil
}
