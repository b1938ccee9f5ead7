package channel

import (
	"time"

	"github.com/paykit-go/paykit/pay"
)

// EventType says what a verified provider callback reports.
type EventType string

// Callback event types.
const (
	EventChargeSucceeded     EventType = "charge.succeeded"
	EventChargeFailed        EventType = "charge.failed"
	EventChargeClosed        EventType = "charge.closed"
	EventRefundSucceeded     EventType = "refund.succeeded"
	EventRefundFailed        EventType = "refund.failed"
	EventAgreementSigned     EventType = "agreement.signed"
	EventAgreementTerminated EventType = "agreement.terminated"
)

// Event is a provider callback after its signature and freshness were
// verified, in the shared vocabulary.
type Event struct {
	// ID is the provider's own ID for this notification (WeChat id,
	// Alipay notify_id, Stripe event id); callbacks are de-duplicated by it.
	ID string
	// Channel is the name of the channel that received it.
	Channel string
	// Type says what happened.
	Type EventType
	// Created is when the provider says it sent the notification.
	Created time.Time
	// ChargeID is the merchant-side order number, for charge and refund events.
	ChargeID string
	// ProviderChargeID is the provider's transaction ID.
	ProviderChargeID string
	// RefundID is the merchant-side refund number, for refund events.
	RefundID string
	// AgreementID is the merchant-side agreement number, for agreement events.
	AgreementID string
	// ProviderAgreementID is the provider's contract number.
	ProviderAgreementID string
	// Amount is the charge or refund amount the provider reports. The
	// aggregator rejects a callback whose amount differs from its record.
	Amount pay.Money
	// Reason is the provider's failure reason, safe to show.
	Reason string
}
