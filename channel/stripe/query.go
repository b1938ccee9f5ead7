package stripe

import (
	"context"
	"errors"
	"net/http"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/pay"
)

// QueryCharge asks Stripe for a charge's state. Stripe looks objects up by
// its own IDs, so the channel first uses the PaymentIntent or Checkout
// Session it remembers from CreateCharge in this process, and otherwise
// searches PaymentIntents by metadata['charge_id'] with the Search API
// (GET /v1/payment_intents/search). Search is eventually consistent — new
// intents usually appear within a minute, during Stripe incidents later —
// so a charge created moments ago by another process may not be found yet
// (channel.ErrUnknownCharge); query again later. A web charge whose payer
// has not yet submitted the Checkout page has no PaymentIntent and is only
// found through this process's memory.
func (c *Channel) QueryCharge(ctx context.Context, chargeID string) (channel.Charge, error) {
	if err := checkChargeID(chargeID); err != nil {
		return channel.Charge{}, err
	}
	ref, err := c.resolveCharge(ctx, chargeID, "")
	if err != nil {
		return channel.Charge{}, err
	}
	if ref.intent == "" {
		s, err := c.getSession(ctx, ref.session, chargeID, ref)
		if err != nil {
			return channel.Charge{}, err
		}
		if s.PaymentIntent.ID == "" {
			return c.chargeFromSession(&s)
		}
		ref.intent = s.PaymentIntent.ID
		c.charges.update(chargeID, func(r *chargeRef) { r.intent = ref.intent })
	}
	pi, err := c.getIntent(ctx, ref.intent, chargeID, ref)
	if err != nil {
		return channel.Charge{}, err
	}
	return c.chargeFromIntent(&pi)
}

// resolveCharge finds the Stripe objects behind a charge: from hint (a
// ProviderChargeID, pi_… or cs_…), this process's memory, or a search.
func (c *Channel) resolveCharge(ctx context.Context, chargeID, hint string) (chargeRef, error) {
	ref, ok := c.charges.get(chargeID)
	switch {
	case validID(hint, "pi_"):
		ref.intent = hint
		return ref, nil
	case validID(hint, "cs_") && ref.intent == "":
		ref.session = hint
		return ref, nil
	case ok:
		return ref, nil
	}
	pi, err := c.searchIntent(ctx, chargeID)
	if err != nil {
		return chargeRef{}, err
	}
	ref = chargeRef{intent: pi.ID}
	c.charges.put(chargeID, ref)
	return ref, nil
}

// getIntent fetches a PaymentIntent (with its latest charge expanded, for
// the paid time) and checks it belongs to chargeID.
func (c *Channel) getIntent(ctx context.Context, id, chargeID string, ref chargeRef) (paymentIntent, error) {
	var pi paymentIntent
	if err := c.get(ctx, "retrieve payment intent", "/v1/payment_intents/"+id, (&form{}).add("expand[]", "latest_charge"), &pi); err != nil {
		return paymentIntent{}, err
	}
	if err := c.checkIntent(&pi, chargeID, wantOf(ref)); err != nil {
		return paymentIntent{}, err
	}
	return pi, nil
}

// getSession fetches a Checkout Session and checks it belongs to chargeID.
func (c *Channel) getSession(ctx context.Context, id, chargeID string, ref chargeRef) (checkoutSession, error) {
	var s checkoutSession
	if err := c.get(ctx, "retrieve checkout session", "/v1/checkout/sessions/"+id, nil, &s); err != nil {
		return checkoutSession{}, err
	}
	if err := c.checkSession(&s, chargeID, wantOf(ref)); err != nil {
		return checkoutSession{}, err
	}
	return s, nil
}

// searchIntent finds the PaymentIntent whose metadata[charge_id] is
// chargeID. Should there be several (a re-create after the 24-hour
// idempotency window), a succeeded one wins, else the newest.
func (c *Channel) searchIntent(ctx context.Context, chargeID string) (paymentIntent, error) {
	q := (&form{}).add("query", searchQuery(metaChargeID, chargeID)).add("limit", "10").add("expand[]", "data.latest_charge")
	var res list[paymentIntent]
	if err := c.get(ctx, "search payment intents", "/v1/payment_intents/search", q, &res); err != nil {
		return paymentIntent{}, err
	}
	if res.Object != "search_result" {
		return paymentIntent{}, malformedf("Stripe answered a search with a %q object", clip(res.Object))
	}
	best := -1
	for i := range res.Data {
		pi := &res.Data[i]
		if err := c.checkIntent(pi, chargeID, nil); err != nil {
			return paymentIntent{}, err
		}
		switch {
		case best < 0:
			best = i
		case res.Data[best].Status == "succeeded":
		case pi.Status == "succeeded" || pi.Created > res.Data[best].Created:
			best = i
		}
	}
	if best < 0 {
		return paymentIntent{}, channel.Errorf(channel.ErrUnknownCharge, "charge_id",
			"Stripe search found no payment intent for charge %s (search lags writes by up to a minute)", chargeID)
	}
	return res.Data[best], nil
}

// CloseCharge makes an unpaid charge unpayable: it expires the Checkout
// Session of a web charge (POST /v1/checkout/sessions/{id}/expire, which
// also cancels its PaymentIntent) or cancels the PaymentIntent (POST
// /v1/payment_intents/{id}/cancel, cancellation_reason=abandoned). Closing
// an already closed charge succeeds; closing a paid one fails with
// channel.ErrDeclined.
func (c *Channel) CloseCharge(ctx context.Context, chargeID string) error {
	if err := checkChargeID(chargeID); err != nil {
		return err
	}
	ref, err := c.resolveCharge(ctx, chargeID, "")
	if err != nil {
		return err
	}
	if ref.session == "" {
		// An intent found by search may belong to a Checkout Session, whose
		// intent Stripe will not cancel directly.
		var sessions list[checkoutSession]
		if err := c.get(ctx, "list checkout sessions", "/v1/checkout/sessions",
			(&form{}).add("payment_intent", ref.intent).add("limit", "1"), &sessions); err != nil {
			return err
		}
		if len(sessions.Data) > 0 {
			s := &sessions.Data[0]
			if err := c.checkSession(s, chargeID, wantOf(ref)); err != nil {
				return err
			}
			ref.session = s.ID
			c.charges.update(chargeID, func(r *chargeRef) { r.session, r.intent = s.ID, ref.intent })
		}
	}
	if ref.session != "" {
		return c.expireSession(ctx, chargeID, ref)
	}
	return c.cancelIntent(ctx, chargeID, ref)
}

func (c *Channel) expireSession(ctx context.Context, chargeID string, ref chargeRef) error {
	var s checkoutSession
	_, err := c.call(ctx, "expire checkout session", http.MethodPost, "/v1/checkout/sessions/"+ref.session+"/expire", &form{}, idemClose+chargeID, &s)
	if err != nil {
		if !errors.Is(err, channel.ErrDeclined) {
			return err
		}
		// Stripe refuses to expire a session that is not open: learn why.
		cur, gerr := c.getSession(ctx, ref.session, chargeID, ref)
		if gerr != nil {
			return err
		}
		s = cur
	} else if cerr := c.checkSession(&s, chargeID, wantOf(ref)); cerr != nil {
		return cerr
	}
	switch s.Status {
	case "expired":
		return nil
	case "complete":
		return channel.Errorf(channel.ErrDeclined, "charge_id", "charge %s was already paid through Checkout", chargeID)
	}
	return malformedf("checkout session is still %q after expiring it", clip(s.Status))
}

func (c *Channel) cancelIntent(ctx context.Context, chargeID string, ref chargeRef) error {
	var pi paymentIntent
	p := (&form{}).add("cancellation_reason", "abandoned")
	_, err := c.call(ctx, "cancel payment intent", http.MethodPost, "/v1/payment_intents/"+ref.intent+"/cancel", p, idemClose+chargeID, &pi)
	if err != nil {
		if !errors.Is(err, channel.ErrDeclined) {
			return err
		}
		// Stripe refuses to cancel an intent in a final state: learn which.
		cur, gerr := c.getIntent(ctx, ref.intent, chargeID, ref)
		if gerr != nil {
			return err
		}
		pi = cur
	} else if cerr := c.checkIntent(&pi, chargeID, wantOf(ref)); cerr != nil {
		return cerr
	}
	switch pi.Status {
	case "canceled":
		return nil
	case "succeeded":
		return channel.Errorf(channel.ErrDeclined, "charge_id", "charge %s was already paid", chargeID)
	}
	return channel.Errorf(channel.ErrOutcomeUnknown, "charge_id", "payment intent is %q after canceling it; query again", clip(pi.Status))
}

// wantOf is the amount a remembered charge was created for, if known.
func wantOf(ref chargeRef) *pay.Money {
	if ref.amount.Currency == "" {
		return nil
	}
	m := ref.amount
	return &m
}
