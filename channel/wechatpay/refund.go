package wechatpay

import (
	"context"
	"net/http"
	"net/url"

	"github.com/paykit-go/paykit/channel"
)

// refundRequest is the body of POST /v3/refund/domestic/refunds.
type refundRequest struct {
	OutTradeNo  string       `json:"out_trade_no"`
	OutRefundNo string       `json:"out_refund_no"`
	Reason      string       `json:"reason,omitempty"`
	NotifyURL   string       `json:"notify_url"`
	Amount      refundAmount `json:"amount"`
}

type refundAmount struct {
	Refund   int64  `json:"refund"`
	Total    int64  `json:"total"`
	Currency string `json:"currency"`
}

// refundObject is WeChat's refund as created and queried. The payer's
// user_received_account and the fund details are deliberately not read.
type refundObject struct {
	RefundID    string        `json:"refund_id"`
	OutRefundNo string        `json:"out_refund_no"`
	OutTradeNo  string        `json:"out_trade_no"`
	Status      string        `json:"status"`
	Amount      *refundAmount `json:"amount"`
}

// refundStates maps a refund's status onto the shared states.
var refundStates = map[string]channel.RefundStatus{
	"SUCCESS":    channel.RefundSucceeded,
	"PROCESSING": channel.RefundPending,
	"CLOSED":     channel.RefundFailed,
	"ABNORMAL":   channel.RefundFailed,
}

// Refund asks WeChat to refund part or all of a charge: POST
// /v3/refund/domestic/refunds with out_trade_no, out_refund_no, reason,
// notify_url (req.NotifyURL, else Config.NotifyURL) and amount {refund,
// total, currency}. WeChat needs the charge's
// total, so req.ChargeAmount is required; the charge is named by
// out_trade_no (req.ChargeID), so req.ProviderChargeID is not needed.
// Repeating it with the same RefundID is safe: WeChat de-duplicates by
// out_refund_no.
func (c *Channel) Refund(ctx context.Context, req channel.RefundRequest) (channel.Refund, error) {
	if err := validRefundID(req.RefundID); err != nil {
		return channel.Refund{}, err
	}
	if err := validChargeID(req.ChargeID); err != nil {
		return channel.Refund{}, err
	}
	refund, err := fen(req.Amount, "Amount")
	if err != nil {
		return channel.Refund{}, err
	}
	total, err := fen(req.ChargeAmount, "ChargeAmount")
	if err != nil {
		return channel.Refund{}, err
	}
	if refund > total {
		return channel.Refund{}, channel.Errorf(channel.ErrMalformed, "Amount", "wechatpay: refund exceeds the charge's total")
	}
	if len(req.Reason) > maxReason {
		return channel.Refund{}, channel.Errorf(channel.ErrMalformed, "Reason", "wechatpay: reason is at most %d bytes", maxReason)
	}
	notify, err := c.notifyURL(req.NotifyURL)
	if err != nil {
		return channel.Refund{}, err
	}
	body := refundRequest{
		OutTradeNo:  req.ChargeID,
		OutRefundNo: req.RefundID,
		Reason:      req.Reason,
		NotifyURL:   notify,
		Amount:      refundAmount{Refund: refund, Total: total, Currency: currency},
	}
	resp, err := c.call(ctx, "refund", http.MethodPost, "/v3/refund/domestic/refunds", body, nil)
	if err != nil {
		return channel.Refund{}, err
	}
	r, err := decodeRefund(resp.Body)
	if err != nil {
		return channel.Refund{}, err
	}
	if r.RefundID != req.RefundID {
		return channel.Refund{}, channel.Errorf(channel.ErrMalformed, "out_refund_no", "wechatpay: answer is for another refund")
	}
	if r.ChargeID == "" {
		r.ChargeID = req.ChargeID
	}
	return r, nil
}

// QueryRefund asks WeChat for a refund by out_refund_no: GET
// /v3/refund/domestic/refunds/{out_refund_no}. When chargeID is given, the
// refund must belong to it.
func (c *Channel) QueryRefund(ctx context.Context, chargeID, refundID string) (channel.Refund, error) {
	if err := validRefundID(refundID); err != nil {
		return channel.Refund{}, err
	}
	if chargeID != "" {
		if err := validChargeID(chargeID); err != nil {
			return channel.Refund{}, err
		}
	}
	resp, err := c.call(ctx, "query refund", http.MethodGet, "/v3/refund/domestic/refunds/"+url.PathEscape(refundID), nil, nil)
	if err != nil {
		return channel.Refund{}, err
	}
	r, err := decodeRefund(resp.Body)
	if err != nil {
		return channel.Refund{}, err
	}
	if r.RefundID != refundID {
		return channel.Refund{}, channel.Errorf(channel.ErrMalformed, "out_refund_no", "wechatpay: answer is for another refund")
	}
	if chargeID != "" && r.ChargeID != chargeID {
		return channel.Refund{}, channel.Errorf(channel.ErrUnknownCharge, "out_trade_no", "wechatpay: the refund belongs to another charge")
	}
	return r, nil
}

// decodeRefund turns a created or queried refund into a Refund.
func decodeRefund(body []byte) (channel.Refund, error) {
	var o refundObject
	if err := decodeJSON(body, &o); err != nil {
		return channel.Refund{}, channel.Errorf(channel.ErrMalformed, "", "wechatpay: refund is not JSON")
	}
	if !validOrderNo(o.OutRefundNo, 1, 64) {
		return channel.Refund{}, missingField("out_refund_no")
	}
	status, ok := refundStates[o.Status]
	if !ok {
		return channel.Refund{}, channel.Errorf(channel.ErrMalformed, "status", "wechatpay: unknown refund status %q", clip(o.Status))
	}
	r := channel.Refund{RefundID: o.OutRefundNo, ChargeID: o.OutTradeNo, ProviderID: o.RefundID, Status: status}
	if o.Amount != nil {
		m, err := wireAmount(o.Amount.Refund, o.Amount.Currency)
		if err != nil {
			return channel.Refund{}, err
		}
		r.Amount = m
	}
	return r, nil
}
