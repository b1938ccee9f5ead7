package stripe

import (
	"context"
	"net/http"
	"strconv"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/pay"
)

// stripeRefundReasons are the only values Stripe accepts for a refund's
// reason; any other text is kept in metadata[reason] instead.
var stripeRefundReasons = map[string]bool{"duplicate": true, "fraudulent": true, "requested_by_customer": true}

// maxMetadataValue is Stripe's limit on a metadata value.
const maxMetadataValue = 500

// Refund refunds all or part of a succeeded charge with POST /v1/refunds
// (payment_intent, amount, metadata[refund_id], metadata[charge_id] and
// reason when it is one of Stripe's duplicate / fraudulent /
// requested_by_customer; other reasons go to metadata[reason]). The
// Idempotency-Key "paykit-refund-<RefundID>" makes repeating it safe.
// ProviderChargeID may be the pi_… or the Checkout cs_… ID; without it the
// PaymentIntent is found as QueryCharge finds it.
func (c *Channel) Refund(ctx context.Context, req channel.RefundRequest) (channel.Refund, error) {
	if err := checkChargeID(req.ChargeID); err != nil {
		return channel.Refund{}, err
	}
	if !validMerchantID(req.RefundID) {
		return channel.Refund{}, invalidf("refund_id", "refund ID must be 1 to 64 characters of [A-Za-z0-9_-]")
	}
	amount, _, err := toStripeAmount(req.Amount, "amount")
	if err != nil {
		return channel.Refund{}, err
	}
	pi, err := c.intentOf(ctx, req.ChargeID, req.ProviderChargeID)
	if err != nil {
		return channel.Refund{}, err
	}
	p := (&form{}).
		add("payment_intent", pi).
		add("amount", strconv.FormatInt(amount, 10)).
		add("metadata["+metaRefundID+"]", req.RefundID).
		add("metadata["+metaChargeID+"]", req.ChargeID)
	switch {
	case stripeRefundReasons[req.Reason]:
		p.add("reason", req.Reason)
	case req.Reason != "":
		p.add("metadata["+metaReason+"]", truncate(req.Reason, maxMetadataValue))
	}
	var re refundObject
	if _, err := c.call(ctx, "create refund", http.MethodPost, "/v1/refunds", p, idemRefund+req.RefundID, &re); err != nil {
		return channel.Refund{}, err
	}
	if err := c.checkRefund(&re, req.RefundID, req.ChargeID, pi, &req.Amount); err != nil {
		return channel.Refund{}, err
	}
	c.refunds.put(req.RefundID, re.ID)
	return refundFrom(&re, req.ChargeID)
}

// QueryRefund asks Stripe for a refund's state: GET /v1/refunds/{id} when
// this process created it, otherwise GET /v1/refunds?payment_intent=… and
// the entry whose metadata[refund_id] is refundID.
func (c *Channel) QueryRefund(ctx context.Context, chargeID, refundID string) (channel.Refund, error) {
	if err := checkChargeID(chargeID); err != nil {
		return channel.Refund{}, err
	}
	if !validMerchantID(refundID) {
		return channel.Refund{}, invalidf("refund_id", "refund ID must be 1 to 64 characters of [A-Za-z0-9_-]")
	}
	if id, ok := c.refunds.get(refundID); ok {
		var re refundObject
		if err := c.get(ctx, "retrieve refund", "/v1/refunds/"+id, nil, &re); err != nil {
			return channel.Refund{}, err
		}
		if err := c.checkRefund(&re, refundID, chargeID, "", nil); err != nil {
			return channel.Refund{}, err
		}
		return refundFrom(&re, chargeID)
	}
	pi, err := c.intentOf(ctx, chargeID, "")
	if err != nil {
		return channel.Refund{}, err
	}
	q := (&form{}).add("payment_intent", pi).add("limit", "100")
	for range 10 {
		var page list[refundObject]
		if err := c.get(ctx, "list refunds", "/v1/refunds", q, &page); err != nil {
			return channel.Refund{}, err
		}
		for i := range page.Data {
			re := &page.Data[i]
			if re.Metadata[metaRefundID] != refundID {
				continue
			}
			if err := c.checkRefund(re, refundID, chargeID, pi, nil); err != nil {
				return channel.Refund{}, err
			}
			c.refunds.put(refundID, re.ID)
			return refundFrom(re, chargeID)
		}
		if !page.HasMore || len(page.Data) == 0 {
			break
		}
		last := page.Data[len(page.Data)-1].ID
		if !validID(last, "re_") {
			return channel.Refund{}, malformedf("Stripe listed a malformed refund ID")
		}
		q = (&form{}).add("payment_intent", pi).add("limit", "100").add("starting_after", last)
	}
	return channel.Refund{}, channel.Errorf(channel.ErrUnknownCharge, "refund_id", "Stripe has no refund %s for charge %s", refundID, chargeID)
}

// intentOf returns the pi_… ID to refund for a charge.
func (c *Channel) intentOf(ctx context.Context, chargeID, hint string) (string, error) {
	ref, err := c.resolveCharge(ctx, chargeID, hint)
	if err != nil {
		return "", err
	}
	if ref.intent != "" {
		return ref.intent, nil
	}
	s, err := c.getSession(ctx, ref.session, chargeID, ref)
	if err != nil {
		return "", err
	}
	if s.PaymentIntent.ID == "" {
		return "", channel.Errorf(channel.ErrDeclined, "charge_id", "charge %s has not been paid through Checkout", chargeID)
	}
	c.charges.update(chargeID, func(r *chargeRef) { r.session, r.intent = s.ID, s.PaymentIntent.ID })
	return s.PaymentIntent.ID, nil
}

// checkRefund checks a refund's shape: object and ID, mode,
// metadata[refund_id] and [charge_id], and when given the PaymentIntent and
// amount.
func (c *Channel) checkRefund(re *refundObject, refundID, chargeID, pi string, want *pay.Money) error {
	if re.Object != "refund" || !validID(re.ID, "re_") {
		return malformedf("Stripe answered something other than a refund")
	}
	if err := c.checkMode(re.Livemode); err != nil {
		return err
	}
	if re.Metadata[metaRefundID] != refundID || re.Metadata[metaChargeID] != chargeID {
		return malformedf("refund %s belongs to another refund or charge (metadata differs)", re.ID)
	}
	if pi != "" && re.PaymentIntent.ID != pi {
		return malformedf("refund %s is for another payment intent", re.ID)
	}
	got, err := fromStripeAmount(re.Amount, re.Currency)
	if err != nil {
		return err
	}
	if want != nil && got != *want {
		return malformedf("refund %s is for %s, not the %s asked for", re.ID, got, *want)
	}
	return nil
}

// refundStatus maps Stripe's refund status: pending and requires_action
// are pending, failed and canceled are failed.
func refundStatus(s string) (channel.RefundStatus, bool) {
	switch s {
	case "succeeded":
		return channel.RefundSucceeded, true
	case "failed", "canceled":
		return channel.RefundFailed, true
	case "pending", "requires_action":
		return channel.RefundPending, true
	}
	return "", false
}

func refundFrom(re *refundObject, chargeID string) (channel.Refund, error) {
	st, ok := refundStatus(re.Status)
	if !ok {
		return channel.Refund{}, malformedf("refund %s has unknown status %q", re.ID, clip(re.Status))
	}
	amount, err := fromStripeAmount(re.Amount, re.Currency)
	if err != nil {
		return channel.Refund{}, err
	}
	return channel.Refund{RefundID: re.Metadata[metaRefundID], ChargeID: chargeID, ProviderID: re.ID, Status: st, Amount: amount}, nil
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
