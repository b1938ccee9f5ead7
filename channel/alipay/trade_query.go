package alipay

import (
	"context"

	"github.com/paykit-go/paykit/channel"
)

// QueryCharge asks alipay.trade.query for the trade. WAIT_BUYER_PAY is
// pending, TRADE_SUCCESS and TRADE_FINISHED succeeded, TRADE_CLOSED closed
// (Alipay also reports a fully refunded trade as TRADE_CLOSED). A trade
// Alipay does not know (including a precreated QR code nobody has scanned
// yet) is channel.ErrUnknownCharge.
func (c *Channel) QueryCharge(ctx context.Context, chargeID string) (channel.Charge, error) {
	if err := checkNumber("charge_id", chargeID, maxTradeNoLen); err != nil {
		return channel.Charge{}, err
	}
	k := call{method: methodQuery, biz: map[string]string{"out_trade_no": chargeID}}
	var res tradeResult
	if err := c.invoke(ctx, k, &res); err != nil {
		return channel.Charge{}, err
	}
	if res.OutTradeNo != chargeID {
		return channel.Charge{}, mismatchedAnswer(k.method)
	}
	ch := channel.Charge{ChargeID: chargeID, ProviderID: res.TradeNo}
	switch res.TradeStatus {
	case "WAIT_BUYER_PAY":
		ch.Status = channel.StatusPending
	case "TRADE_SUCCESS", "TRADE_FINISHED":
		ch.Status = channel.StatusSucceeded
	case "TRADE_CLOSED":
		ch.Status = channel.StatusClosed
	default:
		return channel.Charge{}, channel.Errorf(channel.ErrMalformed, "trade_status", "alipay: unknown trade_status %q", clip(res.TradeStatus))
	}
	amount, err := fromYuan(res.TotalAmount, "total_amount")
	if err != nil {
		return channel.Charge{}, err
	}
	ch.Amount = amount
	if ch.Status == channel.StatusSucceeded && res.SendPayDate != "" {
		if t, err := parseTime(res.SendPayDate); err == nil {
			ch.PaidAt = t
		}
	}
	return ch, nil
}

// CloseCharge closes an unpaid trade with alipay.trade.close. A trade that
// is already paid is channel.ErrDeclined; one Alipay does not know is
// channel.ErrUnknownCharge (a precreated QR code that nobody scanned has no
// trade yet: set ExpiresAt to bound how long it can be paid).
func (c *Channel) CloseCharge(ctx context.Context, chargeID string) error {
	if err := checkNumber("charge_id", chargeID, maxTradeNoLen); err != nil {
		return err
	}
	k := call{method: methodClose, biz: map[string]string{"out_trade_no": chargeID}, mutating: true}
	var res tradeResult
	if err := c.invoke(ctx, k, &res); err != nil {
		return err
	}
	if res.OutTradeNo != "" && res.OutTradeNo != chargeID {
		return mismatchedAnswer(k.method)
	}
	return nil
}
