package sandbox

import (
	"time"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/internal/randid"
)

// The decoders of provider answers. Each is strict (unknown fields and
// trailing data are refused) and checks every field it hands on, so a
// success is a well-formed object; every failure is ErrMalformed.

func malformed(what string) error {
	return channel.Errorf(channel.ErrMalformed, "", "provider sent a malformed %s", what)
}

// decodeCharge parses a charge answer.
func decodeCharge(body []byte) (channel.Charge, error) {
	var w chargeWire
	if err := decodeStrict(body, &w); err != nil {
		return channel.Charge{}, malformed("charge")
	}
	status := channel.Status(w.Status)
	switch status {
	case channel.StatusPending, channel.StatusSucceeded, channel.StatusFailed, channel.StatusClosed:
	default:
		return channel.Charge{}, malformed("charge status")
	}
	if !validID(w.ChargeID, maxChargeIDLen) || !randid.Valid(w.ProviderID, prefixCharge) || !validMoney(w.Amount) || w.PaidAt < 0 {
		return channel.Charge{}, malformed("charge")
	}
	if (status == channel.StatusSucceeded) != (w.PaidAt > 0) {
		return channel.Charge{}, malformed("charge paid_at")
	}
	ch := channel.Charge{
		ChargeID:      w.ChargeID,
		ProviderID:    w.ProviderID,
		Status:        status,
		Amount:        w.Amount,
		Action:        w.Action,
		FailureReason: w.FailureReason,
	}
	if w.PaidAt > 0 {
		ch.PaidAt = time.Unix(w.PaidAt, 0).UTC()
	}
	return ch, nil
}

// decodeRefund parses a refund answer.
func decodeRefund(body []byte) (channel.Refund, error) {
	var w refundWire
	if err := decodeStrict(body, &w); err != nil {
		return channel.Refund{}, malformed("refund")
	}
	status := channel.RefundStatus(w.Status)
	switch status {
	case channel.RefundPending, channel.RefundSucceeded, channel.RefundFailed:
	default:
		return channel.Refund{}, malformed("refund status")
	}
	if !validID(w.RefundID, maxOtherIDLen) || !validID(w.ChargeID, maxChargeIDLen) || !randid.Valid(w.ProviderID, prefixRefund) || !validMoney(w.Amount) {
		return channel.Refund{}, malformed("refund")
	}
	return channel.Refund{RefundID: w.RefundID, ChargeID: w.ChargeID, ProviderID: w.ProviderID, Status: status, Amount: w.Amount}, nil
}

// decodeAgreement parses an agreement answer.
func decodeAgreement(body []byte) (channel.Agreement, error) {
	var w agreementWire
	if err := decodeStrict(body, &w); err != nil {
		return channel.Agreement{}, malformed("agreement")
	}
	status := channel.AgreementStatus(w.Status)
	switch status {
	case channel.AgreementPending, channel.AgreementSigned, channel.AgreementTerminated:
	default:
		return channel.Agreement{}, malformed("agreement status")
	}
	if !validID(w.AgreementID, maxOtherIDLen) || !randid.Valid(w.ProviderID, prefixAgreement) {
		return channel.Agreement{}, malformed("agreement")
	}
	return channel.Agreement{AgreementID: w.AgreementID, ProviderID: w.ProviderID, Status: status, Action: w.Action}, nil
}
