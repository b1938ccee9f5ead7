package ble

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/pay"
)

// The handheld's input: the backend's signed merchant webhooks
// (channel.WebhookPaymentSucceeded and channel.WebhookPaymentRefunded, with
// the channel.Payment after the change as data) become receipts.

// ErrNotReceipt: the webhook event reports something a receipt doesn't
// (a failed or closed payment, an agreement …). WebhookHandler
// acknowledges such events without sending anything.
var ErrNotReceipt = &pay.Error{Code: "ble_not_a_receipt", Message: "the event does not report a payment or a refund", HTTPStatus: http.StatusUnprocessableEntity}

// ReceiptFromEvent turns a verified merchant webhook into the receipt the
// handheld sends from terminal:
//
//   - payment.succeeded: KindPaid for the payment's amount;
//   - payment.refunded: KindRefunded for the refund's amount — the last
//     succeeded refund in the payment's Refunds, which is the one the event
//     reports when a payment's refunds settle in the order they were made
//     (the event names no refund; see channel.Payment);
//   - PaymentID is ShortID of the payment's ID, Channel its channel's
//     registry name, Time the event's Created, to the second;
//   - Payer is the payer's last 4 digits (MaskPayer) when the merchant knows
//     the payer by a number (Payment.UserID a phone, member or card number),
//     and empty otherwise — a receipt never carries more of a payer.
//
// Counter is left zero for the sender to assign. Any other event type is
// ErrNotReceipt; data that is not a succeeded payment (or a payment with a
// succeeded refund) for a payment.succeeded (payment.refunded) event is
// pay.ErrInvalidRequest naming what is wrong. Signatures are not checked
// here: verify the delivery first (WebhookHandler does).
func ReceiptFromEvent(e pay.Event, terminal uint16) (Receipt, error) {
	var kind Kind
	switch e.Type {
	case channel.WebhookPaymentSucceeded:
		kind = KindPaid
	case channel.WebhookPaymentRefunded:
		kind = KindRefunded
	default:
		return Receipt{}, pay.Errorf(ErrNotReceipt, "type", "event type %q is not a payment or a refund", pay.Clip(e.Type, 40))
	}
	var p channel.Payment
	dec := json.NewDecoder(bytes.NewReader(e.Data))
	if err := dec.Decode(&p); err != nil {
		return Receipt{}, pay.Errorf(pay.ErrInvalidRequest, "data", "the %s event's data is not a payment", e.Type).Wrap(err)
	}
	if dec.More() {
		return Receipt{}, pay.Errorf(pay.ErrInvalidRequest, "data", "the %s event's data has trailing data", e.Type)
	}
	if !pay.ValidID(p.ID, channel.PrefixPayment) {
		return Receipt{}, pay.Errorf(pay.ErrInvalidRequest, "data.id", "the %s event's data has no payment ID", e.Type)
	}
	r := Receipt{
		Kind:      kind,
		PaymentID: ShortID(p.ID),
		Channel:   p.Channel,
		Payer:     MaskPayer(p.UserID),
		Time:      time.Unix(e.Created, 0).UTC(),
		Terminal:  terminal,
	}
	switch kind {
	case KindPaid:
		if p.Status != channel.StatusSucceeded {
			return Receipt{}, pay.Errorf(pay.ErrInvalidRequest, "data.status", "a %s event for a payment that is %q", e.Type, pay.Clip(string(p.Status), 20))
		}
		r.Amount = p.Amount
	case KindRefunded:
		found := false
		for _, rf := range p.Refunds {
			if rf.Status == channel.RefundSucceeded {
				r.Amount, found = rf.Amount, true
			}
		}
		if !found {
			return Receipt{}, pay.Errorf(pay.ErrInvalidRequest, "data.refunds", "a %s event for a payment without a succeeded refund", e.Type)
		}
	}
	if r.Amount.Amount <= 0 || r.Amount.Currency == "" {
		return Receipt{}, pay.Errorf(pay.ErrInvalidRequest, "data.amount", "the %s event's amount is not positive", e.Type)
	}
	if r.Channel == "" {
		return Receipt{}, pay.Errorf(pay.ErrInvalidRequest, "data.channel", "the %s event names no channel", e.Type)
	}
	return r, nil
}

// NewWebhookHandler returns the handheld's webhook endpoint: the
// http.Handler a merchant registers with the backend
// (pay.WebhookEndpoints.Create) so that payments reach the handheld. It is
// a pay.WebhookHandler configured by opts — pay.WithWebhookSecrets with the
// endpoint's secret is required; the clock, tolerance (the replay window)
// and replay store are pay's options too — so every delivery is verified
// (signature, timestamp within the window, one event handled once) before
// anything else, and a forged, unsigned or stale one is refused (400 or
// 401) without reaching sink.
//
// Each verified event is turned into a receipt from terminal
// (ReceiptFromEvent) and handed to sink, typically Handheld.Send:
//
//   - an event that is not a receipt (payment.failed, agreement.signed …)
//     is acknowledged, and sink is not called;
//   - sink returning nil, or an error matching ErrUndelivered, is
//     acknowledged: the handheld tried, recorded the receipt as undelivered
//     and reported it to its caller (Handheld.Undelivered, OnUndelivered).
//     A redelivery would send the receipt again under a new counter, and
//     the host, which may have shown it with every ack lost, would show it
//     twice;
//   - any other error, or data that makes no receipt, answers 500, so the
//     backend delivers the event again later.
//
// sink runs with the request's values but not its cancellation: a backend
// that stops waiting does not cut a delivery short (the handheld's own
// deadline bounds it), and its redelivery meanwhile is answered 409 until
// the first one ends.
func NewWebhookHandler(terminal uint16, sink func(context.Context, Receipt) error, opts ...pay.WebhookOption) (*pay.WebhookHandler, error) {
	if sink == nil {
		return nil, pay.Errorf(pay.ErrInvalidRequest, "sink", "a receipt sink is required")
	}
	return pay.NewWebhookHandler(func(ctx context.Context, e pay.Event) error {
		r, err := ReceiptFromEvent(e, terminal)
		if errors.Is(err, ErrNotReceipt) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := sink(context.WithoutCancel(ctx), r); err != nil && !errors.Is(err, ErrUndelivered) {
			return err
		}
		return nil
	}, opts...)
}

// MaskPayer returns what a receipt shows of a payer known by a number: its
// last 4 digits (all of them when it has fewer). The number may be written
// with a leading '+' and with spaces, dashes, dots or parentheses between
// digits ("+86 138-0013-8000" → "8000"). Anything else — an opaque ID such
// as "cus_…", a name, an e-mail address — is not a number the payer would
// recognise, and MaskPayer returns "" for it, as for "".
func MaskPayer(id string) string {
	digits := make([]byte, 0, 4)
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case c >= '0' && c <= '9':
			if len(digits) == 4 {
				copy(digits, digits[1:])
				digits = digits[:3]
			}
			digits = append(digits, c)
		case c == '+' && i == 0, c == ' ', c == '-', c == '.', c == '(', c == ')':
		default:
			return ""
		}
	}
	return string(digits)
}
