package channel

import (
	"context"
	"net/http"
	"slices"
)

// Scenario is how the payer meets the charge: the shape of what the channel
// hands back and of what the payer does next.
type Scenario string

// The scenarios a channel may support.
const (
	// ScenarioQR returns a code for the payer to scan (WeChat Native,
	// Alipay precreate).
	ScenarioQR Scenario = "qr"
	// ScenarioInApp returns parameters for a native app or mini-program SDK
	// (WeChat APP/JSAPI prepay, Alipay app order string, a Stripe client
	// secret).
	ScenarioInApp Scenario = "in_app"
	// ScenarioWeb returns a URL of a payment page to open (WeChat H5,
	// Alipay page pay, Stripe's hosted redirect).
	ScenarioWeb Scenario = "web"
	// ScenarioScanned charges a code the merchant scanned from the payer's
	// phone (WeChat micropay, Alipay barcode pay); AuthCode carries it.
	ScenarioScanned Scenario = "scanned"
	// ScenarioAgreement debits the payer under a standing agreement signed
	// earlier (WeChat papay, Alipay agreement pay, a Stripe off-session
	// payment method); AgreementID names it.
	ScenarioAgreement Scenario = "agreement"
)

// Scenarios lists every scenario in a stable order.
var Scenarios = []Scenario{ScenarioQR, ScenarioInApp, ScenarioWeb, ScenarioScanned, ScenarioAgreement}

// Valid reports whether s is one of the defined scenarios.
func (s Scenario) Valid() bool { return slices.Contains(Scenarios, s) }

// Capabilities say what a channel can do, so the aggregator offers a payer
// only channels that can serve the scenario at hand.
type Capabilities struct {
	// Scenarios the channel can create charges for.
	Scenarios []Scenario `json:"scenarios"`
	// Currencies the channel accepts (ISO 4217). Empty means any.
	Currencies []string `json:"currencies,omitempty"`
	// Refunds reports whether charges can be refunded through the channel.
	Refunds bool `json:"refunds"`
	// PartialRefunds reports whether a refund may be less than the charge.
	PartialRefunds bool `json:"partial_refunds"`
	// Agreements reports whether the channel implements [AgreementChannel].
	Agreements bool `json:"agreements"`
}

// Supports reports whether the channel can charge in scenario s and
// currency cur; an empty cur checks the scenario only.
func (c Capabilities) Supports(s Scenario, cur string) bool {
	return slices.Contains(c.Scenarios, s) && (cur == "" || len(c.Currencies) == 0 || slices.Contains(c.Currencies, cur))
}

// Channel is one third-party payment channel speaking its provider's wire
// format. Implementations must be safe for concurrent use.
//
// Every call that reaches the provider signs its request and verifies the
// provider's answer before trusting it. Errors follow one contract, which the
// aggregator's failover depends on:
//   - errors.Is(err, ErrUnavailable): the provider certainly did not accept
//     the request (it could not be reached, or refused it before acting), so
//     another channel may be tried without risk of a double charge;
//   - errors.Is(err, ErrOutcomeUnknown): the request may have been accepted
//     (a timeout after sending, a torn response); query before retrying
//     elsewhere;
//   - errors.Is(err, ErrDeclined): the provider answered and refused.
type Channel interface {
	// Name is the channel's registry name ("wechatpay", "alipay", …).
	Name() string
	// Capabilities says which scenarios and currencies the channel serves.
	Capabilities() Capabilities
	// CreateCharge asks the provider to create a charge. Repeating it with
	// the same ChargeID is safe: the provider de-duplicates by it.
	CreateCharge(ctx context.Context, req ChargeRequest) (Charge, error)
	// QueryCharge asks the provider for the current state of a charge.
	QueryCharge(ctx context.Context, chargeID string) (Charge, error)
	// CloseCharge closes an unpaid charge so it can no longer be paid.
	CloseCharge(ctx context.Context, chargeID string) error
	// Refund refunds all or part of a succeeded charge. Repeating it with the
	// same RefundID is safe.
	Refund(ctx context.Context, req RefundRequest) (Refund, error)
	// QueryRefund asks the provider for the current state of a refund.
	QueryRefund(ctx context.Context, chargeID, refundID string) (Refund, error)
	// ParseCallback verifies an incoming provider callback (signature,
	// freshness window) and returns it as a typed Event. It reads and
	// consumes r.Body. Any error means the callback must not be trusted.
	ParseCallback(r *http.Request) (Event, error)
	// Acknowledge answers a callback the way the provider expects: success
	// when err is nil, otherwise a failure that makes the provider retry
	// later (or, for a permanent rejection, that it may log).
	Acknowledge(w http.ResponseWriter, err error)
}

// AgreementChannel is a Channel that can sign and terminate standing debit
// agreements (WeChat papay entrusted deduction, Alipay agreement pay), which
// ScenarioAgreement charges then debit without the payer present.
type AgreementChannel interface {
	Channel
	// SignAgreement starts signing: the payer opens the returned URL (or
	// app parameters) and confirms in the provider's app. The signed result
	// arrives as an EventAgreementSigned callback.
	SignAgreement(ctx context.Context, req AgreementRequest) (Agreement, error)
	// QueryAgreement asks the provider for an agreement's state.
	QueryAgreement(ctx context.Context, agreementID string) (Agreement, error)
	// TerminateAgreement ends an agreement; later debits under it fail.
	TerminateAgreement(ctx context.Context, agreementID, reason string) error
}
