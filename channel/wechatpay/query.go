package wechatpay

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/pay"
)

// transaction is WeChat's order object, as queried and as the resource of a
// TRANSACTION.SUCCESS callback. Only the fields the channel reads are
// listed; others (payer, promotion_detail, …) are ignored.
type transaction struct {
	MchID          string  `json:"mchid"`
	OutTradeNo     string  `json:"out_trade_no"`
	TransactionID  string  `json:"transaction_id"`
	TradeState     string  `json:"trade_state"`
	TradeStateDesc string  `json:"trade_state_desc"`
	SuccessTime    string  `json:"success_time"`
	Amount         *amount `json:"amount"`
}

// tradeStates maps WeChat's trade_state onto the shared states. REFUND means
// the payment succeeded and was (partly) refunded afterwards; ACCEPT is a
// papay debit accepted and waiting to be made.
var tradeStates = map[string]channel.Status{
	"SUCCESS":    channel.StatusSucceeded,
	"REFUND":     channel.StatusSucceeded,
	"NOTPAY":     channel.StatusPending,
	"USERPAYING": channel.StatusPending,
	"ACCEPT":     channel.StatusPending,
	"CLOSED":     channel.StatusClosed,
	"REVOKED":    channel.StatusClosed,
	"PAYERROR":   channel.StatusFailed,
}

// QueryCharge asks WeChat for an order by out_trade_no: GET
// /v3/pay/transactions/out-trade-no/{out_trade_no}?mchid=…
func (c *Channel) QueryCharge(ctx context.Context, chargeID string) (channel.Charge, error) {
	if err := validChargeID(chargeID); err != nil {
		return channel.Charge{}, err
	}
	resp, err := c.call(ctx, "query charge", http.MethodGet, orderPath(chargeID)+"?mchid="+url.QueryEscape(c.cfg.MchID), nil, nil)
	if err != nil {
		return channel.Charge{}, err
	}
	ch, err := decodeTransaction(resp.Body)
	if err != nil {
		return channel.Charge{}, err
	}
	if ch.ChargeID != chargeID {
		return channel.Charge{}, channel.Errorf(channel.ErrMalformed, "out_trade_no", "wechatpay: answer is for another order")
	}
	return ch, nil
}

// CloseCharge closes an unpaid order: POST
// /v3/pay/transactions/out-trade-no/{out_trade_no}/close {"mchid"}, answered
// 204. Closing a paid order is ErrDeclined (ORDERPAID).
func (c *Channel) CloseCharge(ctx context.Context, chargeID string) error {
	if err := validChargeID(chargeID); err != nil {
		return err
	}
	_, err := c.call(ctx, "close charge", http.MethodPost, orderPath(chargeID)+"/close", map[string]string{"mchid": c.cfg.MchID}, nil)
	return err
}

// orderPath names an order by out_trade_no.
func orderPath(chargeID string) string {
	return "/v3/pay/transactions/out-trade-no/" + url.PathEscape(chargeID)
}

// decodeTransaction turns a queried order into a Charge.
func decodeTransaction(body []byte) (channel.Charge, error) {
	var t transaction
	if err := decodeJSON(body, &t); err != nil {
		return channel.Charge{}, channel.Errorf(channel.ErrMalformed, "", "wechatpay: order is not JSON")
	}
	return t.charge()
}

func (t transaction) charge() (channel.Charge, error) {
	if !validOrderNo(t.OutTradeNo, 1, 32) {
		return channel.Charge{}, missingField("out_trade_no")
	}
	status, ok := tradeStates[t.TradeState]
	if !ok {
		return channel.Charge{}, channel.Errorf(channel.ErrMalformed, "trade_state", "wechatpay: unknown trade_state %q", clip(t.TradeState))
	}
	ch := channel.Charge{ChargeID: t.OutTradeNo, ProviderID: t.TransactionID, Status: status}
	if t.Amount != nil {
		m, err := wireAmount(t.Amount.Total, t.Amount.Currency)
		if err != nil {
			return channel.Charge{}, err
		}
		ch.Amount = m
	}
	if t.SuccessTime != "" {
		paid, err := time.Parse(time.RFC3339, t.SuccessTime)
		if err != nil {
			return channel.Charge{}, channel.Errorf(channel.ErrMalformed, "success_time", "wechatpay: success_time is not RFC 3339")
		}
		ch.PaidAt = paid
	}
	if status == channel.StatusFailed || status == channel.StatusClosed {
		ch.FailureReason = clip(t.TradeStateDesc)
	}
	return ch, nil
}

// wireAmount checks a fen amount from WeChat; an empty currency means CNY.
func wireAmount(total int64, cur string) (pay.Money, error) {
	if cur == "" {
		cur = currency
	}
	if cur != currency {
		return pay.Money{}, channel.Errorf(channel.ErrMalformed, "amount.currency", "wechatpay: amount currency %q is not CNY", clip(cur))
	}
	if total < 0 {
		return pay.Money{}, channel.Errorf(channel.ErrMalformed, "amount.total", "wechatpay: amount is negative")
	}
	return pay.Money{Amount: total, Currency: cur}, nil
}
