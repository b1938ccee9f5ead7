package channel

import (
	"maps"
	"slices"
	"time"

	"github.com/paykit-go/paykit/pay"
)

// PrefixPayment and PrefixRefund prefix the IDs the aggregator issues. They
// double as the order and refund numbers sent to providers, so they fit every
// provider's limit (32 characters of [A-Za-z0-9_]).
const (
	PrefixPayment = pay.PrefixPayment
	PrefixRefund  = "rf"
	PrefixAgree   = "agr"
)

// PaymentRequest asks the aggregator to charge a payer through a channel.
type PaymentRequest struct {
	// MerchantID is who is paid; the ledger credits this merchant. Required.
	MerchantID string `json:"merchant_id"`
	// UserID is the payer in the merchant's system; per-user channel
	// switches apply to it. Optional.
	UserID string `json:"user_id,omitempty"`
	// Channel is the channel the payer chose. Required.
	Channel string `json:"channel"`
	// Scenario is how the payer pays. Required.
	Scenario Scenario `json:"scenario"`
	// Amount to charge. Required, positive.
	Amount pay.Money `json:"amount"`
	// Description is shown to the payer.
	Description string `json:"description,omitempty"`
	// AuthCode is the payer's code, for ScenarioScanned.
	AuthCode string `json:"auth_code,omitempty"`
	// AgreementID is the aggregator's agreement ID, for ScenarioAgreement.
	AgreementID string `json:"agreement_id,omitempty"`
	// Payer identifies the payer at the provider where a scenario needs it.
	Payer string `json:"payer,omitempty"`
	// Failover allows the next enabled channel when the chosen one is
	// certainly unavailable (never once a channel may have accepted).
	Failover bool `json:"failover,omitempty"`
	// ExpiresIn, when positive, asks the provider to close the charge if it
	// is still unpaid after this many seconds.
	ExpiresIn int64 `json:"expires_in,omitempty"`
}

// Payment is the aggregator's record of one charge and its refunds.
type Payment struct {
	ID          string    `json:"id"`
	MerchantID  string    `json:"merchant_id"`
	UserID      string    `json:"user_id,omitempty"`
	Channel     string    `json:"channel"`
	Scenario    Scenario  `json:"scenario"`
	Amount      pay.Money `json:"amount"`
	Description string    `json:"description,omitempty"`
	Status      Status    `json:"status"`
	// ProviderID is the channel's transaction ID once known.
	ProviderID string `json:"provider_id,omitempty"`
	// Action is what the payer does next while the payment is pending.
	Action        Action `json:"action"`
	FailureReason string `json:"failure_reason,omitempty"`
	// LateSuccess is set when the channel reported success after the
	// payment was closed; the aggregator then refunds it in full.
	LateSuccess bool `json:"late_success,omitempty"`
	// Refunded is the total of succeeded refunds.
	Refunded pay.Money       `json:"refunded"`
	Refunds  []RefundRecord  `json:"refunds,omitempty"`
	Attempts []ChargeAttempt `json:"attempts"`
	// AgreementID is the agreement debited, for ScenarioAgreement.
	AgreementID string    `json:"agreement_id,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// ChargeAttempt records one channel the aggregator tried for a payment.
type ChargeAttempt struct {
	Channel string `json:"channel"`
	// Error is the failure's error code, empty when the channel accepted.
	Error string `json:"error,omitempty"`
}

// RefundRecord is one refund of a payment.
type RefundRecord struct {
	ID         string       `json:"id"`
	Amount     pay.Money    `json:"amount"`
	Status     RefundStatus `json:"status"`
	Reason     string       `json:"reason,omitempty"`
	ProviderID string       `json:"provider_id,omitempty"`
	CreatedAt  time.Time    `json:"created_at"`
}

// Refundable is how much can still be refunded: the amount less succeeded
// and pending refunds.
func (p Payment) Refundable() pay.Money {
	left := p.Amount.Amount
	for _, r := range p.Refunds {
		if r.Status != RefundFailed {
			left -= r.Amount.Amount
		}
	}
	return pay.Money{Amount: left, Currency: p.Amount.Currency}
}

func (p Payment) refund(id string) (int, bool) {
	i := slices.IndexFunc(p.Refunds, func(r RefundRecord) bool { return r.ID == id })
	return i, i >= 0
}

func (p Payment) clone() Payment {
	p.Refunds = slices.Clone(p.Refunds)
	p.Attempts = slices.Clone(p.Attempts)
	p.Action.AppParams = maps.Clone(p.Action.AppParams)
	return p
}

// transition is the outcome of applying a charge status to a payment.
type transition int

const (
	noChange    transition = iota // already there, or a stale report ignored
	changed                       // moved to the new status
	lateSuccess                   // succeeded after closed: book, flag, refund
)

// next decides how a reported charge status moves a payment, per the state
// machine in the package doc: success is final and wins over failed and
// closed; failed and closed only leave pending (closed also leaves failed).
func next(from, to Status) transition {
	if from == to {
		return noChange
	}
	switch to {
	case StatusSucceeded:
		if from == StatusClosed {
			return lateSuccess
		}
		return changed
	case StatusFailed:
		if from == StatusPending {
			return changed
		}
	case StatusClosed:
		if from == StatusPending || from == StatusFailed {
			return changed
		}
	}
	return noChange
}
