package alipay

import (
	"github.com/paykit-go/paykit/channel"
)

// Notification types (notify_type) this adapter maps.
const (
	notifyTradeStatus = "trade_status_sync"
	notifySign        = "dut_user_sign"
	notifyUnsign      = "dut_user_unsign"
)

// mapNotification turns a verified notification into an Event (without ID,
// Channel and Created, which the caller fills in).
//
// trade_status_sync:
//   - TRADE_SUCCESS or TRADE_FINISHED with out_biz_no and refund_fee is a
//     partial refund: refund.succeeded;
//   - TRADE_SUCCESS or TRADE_FINISHED otherwise: charge.succeeded for
//     total_amount;
//   - TRADE_CLOSED with out_biz_no and refund_fee is a full refund (Alipay
//     closes a fully refunded trade): refund.succeeded;
//   - TRADE_CLOSED otherwise: charge.closed, for total_amount when the
//     notification has one (it is optional) and with Amount left zero
//     when it has none, so that the aggregator does not take the absence
//     for an amount of 0.00 CNY.
//
// For refund events RefundID is out_biz_no (the refund's out_request_no)
// and Amount is left zero: the notification's refund_fee is the trade's
// total refunded so far, not this refund's amount (they differ from the
// second partial refund on), so passing it on would make the aggregator
// refuse a genuine notification as an amount mismatch. refund_fee is still
// validated; alipay.trade.fastpay.refund.query (QueryRefund) gives the
// refund's own amount.
//
// dut_user_sign with status NORMAL is agreement.signed and dut_user_unsign
// with status UNSIGN agreement.terminated, with AgreementID the
// external_agreement_no and ProviderAgreementID the agreement_no.
//
// Anything else is channel.ErrUnsupported.
func mapNotification(form map[string]string) (channel.Event, error) {
	switch typ := form["notify_type"]; typ {
	case notifyTradeStatus:
		return mapTradeNotification(form)
	case notifySign, notifyUnsign:
		want, ev := "NORMAL", channel.EventAgreementSigned
		if typ == notifyUnsign {
			want, ev = "UNSIGN", channel.EventAgreementTerminated
		}
		if form["status"] != want {
			return channel.Event{}, channel.Errorf(channel.ErrUnsupported, "status", "alipay: %s notification with status %q", typ, clip(form["status"]))
		}
		ext, no := form["external_agreement_no"], form["agreement_no"]
		if err := checkNumber("external_agreement_no", ext, maxTradeNoLen); err != nil {
			return channel.Event{}, err
		}
		if err := checkNumber("agreement_no", no, maxAgreementNoLen); err != nil {
			return channel.Event{}, err
		}
		return channel.Event{Type: ev, AgreementID: ext, ProviderAgreementID: no}, nil
	default:
		return channel.Event{}, channel.Errorf(channel.ErrUnsupported, "notify_type", "alipay: notify_type %q is not supported", clip(typ))
	}
}

func mapTradeNotification(form map[string]string) (channel.Event, error) {
	ev := channel.Event{ChargeID: form["out_trade_no"], ProviderChargeID: form["trade_no"]}
	if err := checkNumber("out_trade_no", ev.ChargeID, maxTradeNoLen); err != nil {
		return channel.Event{}, err
	}
	if ev.ProviderChargeID != "" {
		if err := checkNumber("trade_no", ev.ProviderChargeID, maxTradeNoLen); err != nil {
			return channel.Event{}, err
		}
	}
	refundID, refundFee := form["out_biz_no"], form["refund_fee"]
	refund := refundID != "" && refundFee != ""
	status := form["trade_status"]
	switch status {
	case "TRADE_SUCCESS", "TRADE_FINISHED", "TRADE_CLOSED":
	default:
		return channel.Event{}, channel.Errorf(channel.ErrUnsupported, "trade_status", "alipay: trade_status %q is not an event", clip(status))
	}
	if refund {
		if err := checkNumber("out_biz_no", refundID, maxTradeNoLen); err != nil {
			return channel.Event{}, err
		}
		amount, err := fromYuan(refundFee, "refund_fee")
		if err != nil {
			return channel.Event{}, err
		}
		if amount.Amount <= 0 {
			return channel.Event{}, channel.Errorf(channel.ErrMalformed, "refund_fee", "alipay: refund notification with refund_fee 0")
		}
		ev.Type, ev.RefundID = channel.EventRefundSucceeded, refundID
		return ev, nil
	}
	ev.Type = channel.EventChargeSucceeded
	if status == "TRADE_CLOSED" {
		ev.Type = channel.EventChargeClosed
		if form["total_amount"] == "" {
			return ev, nil // no amount reported, rather than 0.00 CNY
		}
	}
	amount, err := fromYuan(form["total_amount"], "total_amount")
	if err != nil {
		return channel.Event{}, err
	}
	ev.Amount = amount
	return ev, nil
}
