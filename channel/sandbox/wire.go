package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/pay"
)

// The JSON bodies of the provider API. Times are unix seconds; zero is
// omitted.

// chargeRequestWire is the body of POST /v1/charges.
type chargeRequestWire struct {
	ChargeID    string    `json:"charge_id"`
	Scenario    string    `json:"scenario"`
	Amount      pay.Money `json:"amount"`
	Description string    `json:"description,omitempty"`
	AuthCode    string    `json:"auth_code,omitempty"`
	AgreementID string    `json:"agreement_id,omitempty"`
	Payer       string    `json:"payer,omitempty"`
	NotifyURL   string    `json:"notify_url,omitempty"`
	ReturnURL   string    `json:"return_url,omitempty"`
	ExpiresAt   int64     `json:"expires_at,omitempty"`
}

// chargeWire is a charge as the provider reports it.
type chargeWire struct {
	ChargeID      string         `json:"charge_id"`
	ProviderID    string         `json:"provider_id"`
	Status        string         `json:"status"`
	Amount        pay.Money      `json:"amount"`
	Action        channel.Action `json:"action"`
	PaidAt        int64          `json:"paid_at,omitempty"`
	FailureReason string         `json:"failure_reason,omitempty"`
}

// refundRequestWire is the body of POST /v1/refunds.
type refundRequestWire struct {
	RefundID  string    `json:"refund_id"`
	ChargeID  string    `json:"charge_id"`
	Amount    pay.Money `json:"amount"`
	Reason    string    `json:"reason,omitempty"`
	NotifyURL string    `json:"notify_url,omitempty"`
}

// refundWire is a refund as the provider reports it.
type refundWire struct {
	RefundID   string    `json:"refund_id"`
	ChargeID   string    `json:"charge_id"`
	ProviderID string    `json:"provider_id"`
	Status     string    `json:"status"`
	Amount     pay.Money `json:"amount"`
}

// agreementRequestWire is the body of POST /v1/agreements.
type agreementRequestWire struct {
	AgreementID string `json:"agreement_id"`
	UserID      string `json:"user_id"`
	DisplayName string `json:"display_name,omitempty"`
	NotifyURL   string `json:"notify_url,omitempty"`
	ReturnURL   string `json:"return_url,omitempty"`
}

// agreementWire is an agreement as the provider reports it.
type agreementWire struct {
	AgreementID string         `json:"agreement_id"`
	ProviderID  string         `json:"provider_id"`
	Status      string         `json:"status"`
	Action      channel.Action `json:"action"`
}

// reasonWire is the optional body of decline and terminate.
type reasonWire struct {
	Reason string `json:"reason,omitempty"`
}

// errorWire is every error answer.
type errorWire struct {
	Error errorBody `json:"error"`
}

type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// callbackWire is the body of a callback.
type callbackWire struct {
	ID      string           `json:"id"`
	Type    string           `json:"type"`
	Created int64            `json:"created"`
	Data    callbackDataWire `json:"data"`
}

type callbackDataWire struct {
	ChargeID            string     `json:"charge_id,omitempty"`
	ProviderID          string     `json:"provider_id,omitempty"`
	RefundID            string     `json:"refund_id,omitempty"`
	AgreementID         string     `json:"agreement_id,omitempty"`
	ProviderAgreementID string     `json:"provider_agreement_id,omitempty"`
	Amount              *pay.Money `json:"amount,omitempty"`
	Reason              string     `json:"reason,omitempty"`
}

// faultWire is the body of POST /control/faults.
type faultWire struct {
	Op      Op        `json:"op"`
	Kind    FaultKind `json:"kind"`
	Times   int       `json:"times,omitempty"`
	DelayMS int64     `json:"delay_ms,omitempty"`
	Reason  string    `json:"reason,omitempty"`
}

// holdWire is the body of POST /control/callbacks/hold.
type holdWire struct {
	Hold bool `json:"hold"`
}

// callbacksWire is the answer of GET /control/callbacks.
type callbacksWire struct {
	Callbacks []Callback `json:"callbacks"`
}

var errTrailing = errors.New("trailing data after the JSON value")

// decodeStrict decodes exactly one JSON value into v, refusing unknown
// fields and trailing data.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errTrailing
	}
	return nil
}

// validMoney reports whether m is a positive amount of a known currency.
func validMoney(m pay.Money) bool { return m.ValidatePositive("amount") == nil }

// clipText quotes untrusted or provider text in an error (pay.Clip).
func clipText(s string) string { return pay.Clip(s, 160) }
