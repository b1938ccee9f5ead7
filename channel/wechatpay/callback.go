package wechatpay

import (
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/pay"
)

// Event types this package maps.
const (
	EventTransactionSuccess = "TRANSACTION.SUCCESS"
	EventRefundSuccess      = "REFUND.SUCCESS"
	EventRefundAbnormal     = "REFUND.ABNORMAL"
	EventRefundClosed       = "REFUND.CLOSED"
	EventEntrustSign        = "ENTRUST.SIGN"
	EventEntrustTerminate   = "ENTRUST.TERMINATE"
)

// refundNotice is the resource of the REFUND.* callbacks. The payer's
// user_received_account is deliberately not read.
type refundNotice struct {
	MchID         string        `json:"mchid"`
	OutTradeNo    string        `json:"out_trade_no"`
	TransactionID string        `json:"transaction_id"`
	OutRefundNo   string        `json:"out_refund_no"`
	RefundStatus  string        `json:"refund_status"`
	Amount        *refundAmount `json:"amount"`
}

// ParseCallback reads a WeChat Pay callback (at most MaxCallbackBytes),
// verifies and decrypts it with VerifyNotification, and maps it:
//
//   - TRANSACTION.SUCCESS → charge.succeeded (out_trade_no, transaction_id,
//     amount.total);
//   - REFUND.SUCCESS → refund.succeeded; REFUND.ABNORMAL and REFUND.CLOSED →
//     refund.failed (out_trade_no, transaction_id, out_refund_no,
//     amount.refund);
//   - ENTRUST.SIGN → agreement.signed; ENTRUST.TERMINATE →
//     agreement.terminated (out_contract_code, contract_id).
//
// Event.ID is the envelope id. Other event types, once verified, are
// ErrUnsupported. A resource for another merchant number is ErrMalformed.
func (c *Channel) ParseCallback(r *http.Request) (channel.Event, error) {
	if r.Method != http.MethodPost {
		return channel.Event{}, channel.Errorf(channel.ErrMalformed, "method", "wechatpay: callbacks are POST")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxCallbackBytes+1))
	_ = r.Body.Close()
	if err != nil {
		return channel.Event{}, channel.Errorf(channel.ErrMalformed, "body", "wechatpay: callback body unreadable")
	}
	if len(body) > MaxCallbackBytes {
		return channel.Event{}, channel.Errorf(channel.ErrMalformed, "body", "wechatpay: callback body exceeds %d bytes", MaxCallbackBytes)
	}
	n, err := c.VerifyNotification(r.Context(), r.Header, body)
	if err != nil {
		return channel.Event{}, err
	}
	return c.event(n)
}

// event maps a verified notification onto a channel event.
func (c *Channel) event(n Notification) (channel.Event, error) {
	ev := channel.Event{ID: n.ID, Channel: ChannelName, Created: n.CreateTime}
	switch n.EventType {
	case EventTransactionSuccess:
		return c.chargeEvent(ev, n.Plaintext)
	case EventRefundSuccess, EventRefundAbnormal, EventRefundClosed:
		return c.refundEvent(ev, n.EventType, n.Plaintext)
	case EventEntrustSign, EventEntrustTerminate:
		return agreementEvent(ev, n.EventType, c.cfg.MchID, n.Plaintext)
	}
	return channel.Event{}, channel.Errorf(channel.ErrUnsupported, "event_type", "wechatpay: event type %q is not mapped", clip(n.EventType))
}

func (c *Channel) chargeEvent(ev channel.Event, plain []byte) (channel.Event, error) {
	var t transaction
	if err := decodeJSON(plain, &t); err != nil {
		return channel.Event{}, channel.Errorf(channel.ErrMalformed, "resource", "wechatpay: transaction resource is not JSON")
	}
	if t.MchID != c.cfg.MchID {
		return channel.Event{}, channel.Errorf(channel.ErrMalformed, "mchid", "wechatpay: callback is for another merchant")
	}
	if t.TradeState != "SUCCESS" || t.Amount == nil {
		return channel.Event{}, channel.Errorf(channel.ErrMalformed, "trade_state", "wechatpay: TRANSACTION.SUCCESS without a successful trade and amount")
	}
	ch, err := t.charge()
	if err != nil {
		return channel.Event{}, err
	}
	ev.Type = channel.EventChargeSucceeded
	ev.ChargeID = ch.ChargeID
	ev.ProviderChargeID = ch.ProviderID
	ev.Amount = ch.Amount
	return ev, nil
}

func (c *Channel) refundEvent(ev channel.Event, eventType string, plain []byte) (channel.Event, error) {
	var r refundNotice
	if err := decodeJSON(plain, &r); err != nil {
		return channel.Event{}, channel.Errorf(channel.ErrMalformed, "resource", "wechatpay: refund resource is not JSON")
	}
	if r.MchID != c.cfg.MchID {
		return channel.Event{}, channel.Errorf(channel.ErrMalformed, "mchid", "wechatpay: callback is for another merchant")
	}
	want := strings.TrimPrefix(eventType, "REFUND.") // SUCCESS, ABNORMAL or CLOSED
	if r.RefundStatus != want {
		return channel.Event{}, channel.Errorf(channel.ErrMalformed, "refund_status", "wechatpay: refund_status does not match %s", eventType)
	}
	if !validOrderNo(r.OutTradeNo, 1, 32) || !validOrderNo(r.OutRefundNo, 1, 64) || r.Amount == nil {
		return channel.Event{}, missingField("out_trade_no, out_refund_no or amount")
	}
	m, err := wireAmount(r.Amount.Refund, currency)
	if err != nil {
		return channel.Event{}, err
	}
	ev.Type = channel.EventRefundSucceeded
	if eventType != EventRefundSuccess {
		ev.Type = channel.EventRefundFailed
		ev.Reason = "refund " + want
	}
	ev.ChargeID = r.OutTradeNo
	ev.ProviderChargeID = r.TransactionID
	ev.RefundID = r.OutRefundNo
	ev.Amount = m
	return ev, nil
}

func agreementEvent(ev channel.Event, eventType, mchID string, plain []byte) (channel.Event, error) {
	var k contract
	if err := decodeJSON(plain, &k); err != nil {
		return channel.Event{}, channel.Errorf(channel.ErrMalformed, "resource", "wechatpay: contract resource is not JSON")
	}
	if !validToken(k.OutContractCode, 1, 32) {
		return channel.Event{}, missingField("out_contract_code")
	}
	if k.MchID != "" && k.MchID != mchID {
		return channel.Event{}, channel.Errorf(channel.ErrMalformed, "mchid", "wechatpay: callback is for another merchant")
	}
	ev.Type = channel.EventAgreementSigned
	if eventType == EventEntrustTerminate {
		ev.Type = channel.EventAgreementTerminated
	}
	ev.AgreementID = k.OutContractCode
	ev.ProviderAgreementID = k.ContractID
	return ev, nil
}

// Acknowledge answers a callback the way WeChat Pay expects. Success (err
// nil, or ErrDuplicate: already applied) is 200 with an empty body. A
// callback that can never be accepted (ErrBadSignature, ErrStale,
// ErrMalformed, ErrUnsupported) is 400 and anything else 500, both with
// {"code":"FAIL","message":"…"}; WeChat retries every non-2xx answer on its
// own schedule (up to 15 times over about 24 h). The message is a fixed short
// phrase per kind, never err's text.
func (c *Channel) Acknowledge(w http.ResponseWriter, err error) {
	if err == nil || errors.Is(err, channel.ErrDuplicate) {
		w.WriteHeader(http.StatusOK)
		return
	}
	status, msg := http.StatusInternalServerError, "temporary failure, retry later"
	switch {
	case errors.Is(err, channel.ErrBadSignature):
		status, msg = http.StatusBadRequest, "signature verification failed"
	case errors.Is(err, channel.ErrStale):
		status, msg = http.StatusBadRequest, "timestamp outside the accepted window"
	case errors.Is(err, channel.ErrMalformed):
		status, msg = http.StatusBadRequest, "malformed notification"
	case errors.Is(err, channel.ErrUnsupported):
		status, msg = http.StatusBadRequest, "unsupported event type"
	}
	pay.WriteJSON(w, status, apiError{Code: "FAIL", Message: msg})
}
