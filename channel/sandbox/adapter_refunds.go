package sandbox

import (
	"context"
	"net/http"

	"github.com/paykit-go/paykit/channel"
)

// Refund refunds all or part of a succeeded charge. The provider answers
// pending and settles the refund asynchronously (a refund.succeeded
// callback follows). Refunding more than is left, in another currency, or
// a charge that has not succeeded is ErrDeclined; an unknown charge is
// ErrUnknownCharge. Repeating the same request returns the same refund.
// The provider posts the refund's callback to req.NotifyURL, or to the
// WithNotifyURL address when that is empty.
func (c *Channel) Refund(ctx context.Context, req channel.RefundRequest) (channel.Refund, error) {
	const op = "refund"
	in := refundRequestWire{
		RefundID:  req.RefundID,
		ChargeID:  req.ChargeID,
		Amount:    req.Amount,
		Reason:    req.Reason,
		NotifyURL: req.NotifyURL,
	}
	if in.NotifyURL == "" {
		in.NotifyURL = c.notifyURL
	}
	status, body, err := c.call(ctx, op, http.MethodPost, "/v1/refunds", in)
	if err != nil {
		return channel.Refund{}, err
	}
	if status != http.StatusOK {
		return channel.Refund{}, providerError(op, status, body)
	}
	rf, err := decodeRefund(body)
	if err != nil {
		return channel.Refund{}, err
	}
	if rf.RefundID != req.RefundID || rf.ChargeID != req.ChargeID || rf.Amount != req.Amount {
		return channel.Refund{}, channel.Errorf(channel.ErrMalformed, "", "%s: provider answered for a different refund or amount", op)
	}
	return rf, nil
}

// QueryRefund returns the provider's current view of a refund of chargeID,
// or ErrUnknownCharge.
func (c *Channel) QueryRefund(ctx context.Context, chargeID, refundID string) (channel.Refund, error) {
	const op = "query refund"
	cid, err := pathID("charge_id", chargeID, maxChargeIDLen)
	if err != nil {
		return channel.Refund{}, err
	}
	rid, err := pathID("refund_id", refundID, maxOtherIDLen)
	if err != nil {
		return channel.Refund{}, err
	}
	status, body, err := c.call(ctx, op, http.MethodGet, "/v1/charges/"+cid+"/refunds/"+rid, nil)
	if err != nil {
		return channel.Refund{}, err
	}
	if status != http.StatusOK {
		return channel.Refund{}, providerError(op, status, body)
	}
	rf, err := decodeRefund(body)
	if err != nil {
		return channel.Refund{}, err
	}
	if rf.RefundID != refundID || rf.ChargeID != chargeID {
		return channel.Refund{}, channel.Errorf(channel.ErrMalformed, "", "%s: provider answered for a different refund", op)
	}
	return rf, nil
}
