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
	in := refundRequestWire{
		RefundID:  req.RefundID,
		ChargeID:  req.ChargeID,
		Amount:    req.Amount,
		Reason:    req.Reason,
		NotifyURL: c.notify(req.NotifyURL),
	}
	return fetch(ctx, c, "refund", http.MethodPost, "/v1/refunds", in, decodeRefund, func(rf channel.Refund) bool {
		return rf.RefundID == req.RefundID && rf.ChargeID == req.ChargeID && rf.Amount == req.Amount
	})
}

// QueryRefund returns the provider's current view of a refund of chargeID,
// or ErrUnknownCharge.
func (c *Channel) QueryRefund(ctx context.Context, chargeID, refundID string) (channel.Refund, error) {
	cid, err := pathID("charge_id", chargeID, maxChargeIDLen)
	if err != nil {
		return channel.Refund{}, err
	}
	rid, err := pathID("refund_id", refundID, maxOtherIDLen)
	if err != nil {
		return channel.Refund{}, err
	}
	return fetch(ctx, c, "query refund", http.MethodGet, "/v1/charges/"+cid+"/refunds/"+rid, nil, decodeRefund, func(rf channel.Refund) bool {
		return rf.RefundID == refundID && rf.ChargeID == chargeID
	})
}
