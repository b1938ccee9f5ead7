package channel

import (
	"time"

	"github.com/paykit-go/paykit/pay"
)

// ChargeRequest asks a channel to create a charge.
type ChargeRequest struct {
	// ChargeID is the merchant-side order number (WeChat out_trade_no,
	// Alipay out_trade_no, Stripe metadata and idempotency key). The
	// aggregator passes its payment ID. Required; 6–32 characters of
	// [A-Za-z0-9_-] so every provider accepts it.
	ChargeID string
	// Scenario says what the payer does next. Required.
	Scenario Scenario
	// Amount is what the payer pays. Required, positive.
	Amount pay.Money
	// Description is shown to the payer (WeChat description, Alipay subject).
	Description string
	// AuthCode is the payer's code scanned by the merchant (ScenarioScanned).
	AuthCode string
	// AgreementID is the provider's number of the standing agreement to
	// debit (Agreement.ProviderID: a WeChat contract_id, an Alipay
	// agreement_no, a Stripe PaymentMethod), for ScenarioAgreement.
	AgreementID string
	// Payer identifies the payer at the provider where the scenario needs it
	// (a WeChat openid for JSAPI, a Stripe customer ID). Optional.
	Payer string
	// NotifyURL overrides where the provider posts its callback.
	NotifyURL string
	// ReturnURL is where a web payment page sends the payer afterwards.
	ReturnURL string
	// ExpiresAt, when set, is when the provider should close the charge
	// if it is still unpaid.
	ExpiresAt time.Time
}

// Status is the state of a charge, at the provider or in the aggregator.
type Status string

// Charge states.
const (
	StatusPending   Status = "pending"
	StatusSucceeded Status = "succeeded"
	StatusFailed    Status = "failed"
	StatusClosed    Status = "closed"
)

// Final reports whether no ordinary transition leaves s (a late success
// after closed or failed is the documented exception).
func (s Status) Final() bool { return s != StatusPending }

// Action is what the payer (or the merchant's device) does next to pay a
// pending charge. At most the fields of the charge's scenario are set.
type Action struct {
	// QRCode is the text to render as a QR code for the payer to scan.
	QRCode string `json:"qr_code,omitempty"`
	// RedirectURL is a payment page to open.
	RedirectURL string `json:"redirect_url,omitempty"`
	// AppParams are the values a native SDK needs (prepay_id and its
	// signature, an order string, a client secret).
	AppParams map[string]string `json:"app_params,omitempty"`
}

// Charge is a channel's view of a charge.
type Charge struct {
	// ChargeID is the merchant-side order number the charge was created with.
	ChargeID string
	// ProviderID is the provider's transaction ID, once it has one.
	ProviderID string
	// Status is the provider's state mapped onto the shared vocabulary.
	Status Status
	// Amount is the amount the provider reports.
	Amount pay.Money
	// Action is what the payer does next, for a pending charge.
	Action Action
	// PaidAt is when the provider says the payer paid.
	PaidAt time.Time
	// FailureReason is the provider's reason for a failed charge, safe to show.
	FailureReason string
}

// RefundRequest asks a channel to refund a succeeded charge.
type RefundRequest struct {
	// RefundID is the merchant-side refund number (out_refund_no,
	// out_request_no, Stripe idempotency key). Required.
	RefundID string
	// ChargeID is the charge to refund. Required.
	ChargeID string
	// ProviderChargeID is the provider's transaction ID, where known.
	ProviderChargeID string
	// Amount is how much to refund. Required, positive.
	Amount pay.Money
	// ChargeAmount is the original charge's total (WeChat requires it).
	ChargeAmount pay.Money
	// Reason is a short reason recorded with the provider.
	Reason string
	// NotifyURL overrides where the provider posts the refund's callback
	// (for providers that take one per refund).
	NotifyURL string
}

// RefundStatus is the state of a refund.
type RefundStatus string

// Refund states.
const (
	RefundPending   RefundStatus = "pending"
	RefundSucceeded RefundStatus = "succeeded"
	RefundFailed    RefundStatus = "failed"
)

// Refund is a channel's view of a refund.
type Refund struct {
	RefundID   string
	ChargeID   string
	ProviderID string
	Status     RefundStatus
	Amount     pay.Money
}

// AgreementRequest asks a channel to start signing a standing debit agreement.
type AgreementRequest struct {
	// AgreementID is the merchant-side agreement number (WeChat
	// out_contract_code, Alipay external_agreement_no). Required.
	AgreementID string
	// UserID is the merchant-side user the agreement is for. Required.
	UserID string
	// DisplayName is shown to the payer while signing.
	DisplayName string
	// NotifyURL overrides where the provider posts the signing result.
	NotifyURL string
	// ReturnURL is where the signing page sends the payer afterwards.
	ReturnURL string
}

// AgreementStatus is the state of a standing debit agreement.
type AgreementStatus string

// Agreement states.
const (
	AgreementPending    AgreementStatus = "pending"
	AgreementSigned     AgreementStatus = "signed"
	AgreementTerminated AgreementStatus = "terminated"
)

// Agreement is a channel's view of a standing debit agreement.
type Agreement struct {
	AgreementID string
	// ProviderID is the provider's contract or agreement number.
	ProviderID string
	Status     AgreementStatus
	// Action is how the payer signs a pending agreement.
	Action Action
}
