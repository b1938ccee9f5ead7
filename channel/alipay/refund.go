package alipay

import (
	"context"
	"errors"
	"unicode/utf8"

	"github.com/paykit-go/paykit/channel"
)

// API methods for refunds.
const (
	methodRefund      = "alipay.trade.refund"
	methodRefundQuery = "alipay.trade.fastpay.refund.query"
)

// refundSuccess is the refund_status of a refund that was paid out.
const refundSuccess = "REFUND_SUCCESS"

// maxReasonRunes is the length limit of refund_reason.
const maxReasonRunes = 256

type refundBiz struct {
	OutTradeNo   string `json:"out_trade_no"`
	TradeNo      string `json:"trade_no,omitempty"`
	RefundAmount string `json:"refund_amount"`
	OutRequestNo string `json:"out_request_no"`
	RefundReason string `json:"refund_reason,omitempty"`
}

type refundResult struct {
	TradeNo      string `json:"trade_no"`
	OutTradeNo   string `json:"out_trade_no"`
	OutRequestNo string `json:"out_request_no"`
	FundChange   string `json:"fund_change"`
	RefundAmount string `json:"refund_amount"`
	RefundStatus string `json:"refund_status"`
}

// Refund refunds req.Amount of a paid trade with alipay.trade.refund,
// out_request_no = req.RefundID. Alipay refunds synchronously: fund_change=Y
// means the money moved and the refund succeeded. A repeat of a refund that
// already went through answers fund_change=N, so the adapter then asks
// alipay.trade.fastpay.refund.query; if that cannot confirm the refund the
// result is pending, to be queried again, never failed (which could invite
// a second refund); if the query itself fails the error is
// channel.ErrOutcomeUnknown.
func (c *Channel) Refund(ctx context.Context, req channel.RefundRequest) (channel.Refund, error) {
	if err := checkNumber("refund_id", req.RefundID, maxTradeNoLen); err != nil {
		return channel.Refund{}, err
	}
	if err := checkNumber("charge_id", req.ChargeID, maxTradeNoLen); err != nil {
		return channel.Refund{}, err
	}
	if req.ProviderChargeID != "" {
		if err := checkNumber("provider_charge_id", req.ProviderChargeID, maxTradeNoLen); err != nil {
			return channel.Refund{}, err
		}
	}
	amount, err := toYuan(req.Amount, "amount")
	if err != nil {
		return channel.Refund{}, err
	}
	if utf8.RuneCountInString(req.Reason) > maxReasonRunes {
		return channel.Refund{}, channel.Errorf(channel.ErrMalformed, "reason", "alipay: reason is longer than %d characters", maxReasonRunes)
	}
	k := call{method: methodRefund, mutating: true, biz: refundBiz{
		OutTradeNo:   req.ChargeID,
		TradeNo:      req.ProviderChargeID,
		RefundAmount: amount,
		OutRequestNo: req.RefundID,
		RefundReason: req.Reason,
	}}
	var res refundResult
	if err := c.invoke(ctx, k, &res); err != nil {
		return channel.Refund{}, err
	}
	if res.OutTradeNo != "" && res.OutTradeNo != req.ChargeID {
		return channel.Refund{}, mismatchedAnswer(k.method)
	}
	out := channel.Refund{RefundID: req.RefundID, ChargeID: req.ChargeID, ProviderID: res.TradeNo, Status: channel.RefundPending, Amount: req.Amount}
	if res.FundChange == "Y" {
		out.Status = channel.RefundSucceeded
		return out, nil
	}
	got, err := c.QueryRefund(ctx, req.ChargeID, req.RefundID)
	switch {
	case errors.Is(err, channel.ErrUnknownCharge):
		return out, nil
	case err != nil:
		return channel.Refund{}, channel.Errorf(channel.ErrOutcomeUnknown, "", "alipay: refund %s was accepted without moving money and could not be confirmed: %v", req.RefundID, err)
	}
	if got.Amount != req.Amount {
		return channel.Refund{}, channel.Errorf(channel.ErrAmountMismatch, "amount", "alipay: refund %s was made for %s, not %s", req.RefundID, got.Amount, req.Amount)
	}
	return got, nil
}

// QueryRefund asks alipay.trade.fastpay.refund.query for the refund
// out_request_no = refundID of trade chargeID. REFUND_SUCCESS is succeeded,
// with the refund's own amount. Alipay answers a refund it never received,
// or one that failed, without a refund_status; that is
// channel.ErrUnknownCharge.
func (c *Channel) QueryRefund(ctx context.Context, chargeID, refundID string) (channel.Refund, error) {
	if err := checkNumber("charge_id", chargeID, maxTradeNoLen); err != nil {
		return channel.Refund{}, err
	}
	if err := checkNumber("refund_id", refundID, maxTradeNoLen); err != nil {
		return channel.Refund{}, err
	}
	k := call{method: methodRefundQuery, biz: map[string]string{"out_trade_no": chargeID, "out_request_no": refundID}}
	var res refundResult
	if err := c.invoke(ctx, k, &res); err != nil {
		return channel.Refund{}, err
	}
	if (res.OutTradeNo != "" && res.OutTradeNo != chargeID) || (res.OutRequestNo != "" && res.OutRequestNo != refundID) {
		return channel.Refund{}, mismatchedAnswer(k.method)
	}
	switch res.RefundStatus {
	case refundSuccess:
	case "":
		return channel.Refund{}, channel.Errorf(channel.ErrUnknownCharge, "refund_id", "alipay: no successful refund %s of %s (never received, or failed)", refundID, chargeID)
	default:
		return channel.Refund{}, channel.Errorf(channel.ErrMalformed, "refund_status", "alipay: unknown refund_status %q", clip(res.RefundStatus))
	}
	amount, err := fromYuan(res.RefundAmount, "refund_amount")
	if err != nil {
		return channel.Refund{}, err
	}
	return channel.Refund{RefundID: refundID, ChargeID: chargeID, ProviderID: res.TradeNo, Status: channel.RefundSucceeded, Amount: amount}, nil
}
