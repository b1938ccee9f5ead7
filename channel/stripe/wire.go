package stripe

import (
	"bytes"
	"encoding/json"
	"strings"
)

// The Stripe objects this package reads, limited to the fields it uses.
// Unknown fields are ignored, so newer API versions decode unchanged.

// expandable is a Stripe reference that is either an ID string, null, or
// (when expanded) the object itself; only its id and created are kept.
type expandable struct {
	ID      string
	Created int64
}

// UnmarshalJSON accepts "id", null or {"id":…,"created":…}.
func (e *expandable) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*e = expandable{}
		return nil
	case len(b) > 0 && b[0] == '"':
		e.Created = 0
		return json.Unmarshal(b, &e.ID)
	}
	var obj struct {
		ID      string `json:"id"`
		Created int64  `json:"created"`
	}
	if err := json.Unmarshal(b, &obj); err != nil {
		return err
	}
	e.ID, e.Created = obj.ID, obj.Created
	return nil
}

type paymentError struct {
	Type        string `json:"type"`
	Code        string `json:"code"`
	DeclineCode string `json:"decline_code"`
	Message     string `json:"message"`
}

// paymentIntent is a PaymentIntent (object "payment_intent").
type paymentIntent struct {
	ID               string            `json:"id"`
	Object           string            `json:"object"`
	Amount           int64             `json:"amount"`
	AmountReceived   int64             `json:"amount_received"`
	Currency         string            `json:"currency"`
	Status           string            `json:"status"`
	ClientSecret     string            `json:"client_secret"`
	Metadata         map[string]string `json:"metadata"`
	Livemode         bool              `json:"livemode"`
	Created          int64             `json:"created"`
	LastPaymentError *paymentError     `json:"last_payment_error"`
	LatestCharge     expandable        `json:"latest_charge"`
	Customer         expandable        `json:"customer"`
	PaymentMethod    expandable        `json:"payment_method"`
}

// checkoutSession is a Checkout Session (object "checkout.session").
type checkoutSession struct {
	ID                string            `json:"id"`
	Object            string            `json:"object"`
	AmountTotal       int64             `json:"amount_total"`
	Currency          string            `json:"currency"`
	Status            string            `json:"status"`
	PaymentStatus     string            `json:"payment_status"`
	URL               string            `json:"url"`
	ClientReferenceID string            `json:"client_reference_id"`
	Metadata          map[string]string `json:"metadata"`
	Livemode          bool              `json:"livemode"`
	PaymentIntent     expandable        `json:"payment_intent"`
}

// refundObject is a Refund (object "refund").
type refundObject struct {
	ID            string            `json:"id"`
	Object        string            `json:"object"`
	Amount        int64             `json:"amount"`
	Currency      string            `json:"currency"`
	Status        string            `json:"status"`
	FailureReason string            `json:"failure_reason"`
	Metadata      map[string]string `json:"metadata"`
	PaymentIntent expandable        `json:"payment_intent"`
	Livemode      bool              `json:"livemode"`
}

// setupIntent is a SetupIntent (object "setup_intent").
type setupIntent struct {
	ID            string            `json:"id"`
	Object        string            `json:"object"`
	Status        string            `json:"status"`
	Usage         string            `json:"usage"`
	ClientSecret  string            `json:"client_secret"`
	Customer      expandable        `json:"customer"`
	PaymentMethod expandable        `json:"payment_method"`
	Metadata      map[string]string `json:"metadata"`
	Livemode      bool              `json:"livemode"`
}

// paymentMethod is a PaymentMethod (object "payment_method"); Customer is
// empty once it was detached.
type paymentMethod struct {
	ID       string            `json:"id"`
	Object   string            `json:"object"`
	Customer expandable        `json:"customer"`
	Metadata map[string]string `json:"metadata"`
	Livemode bool              `json:"livemode"`
}

// customer is a Customer (object "customer").
type customer struct {
	ID       string            `json:"id"`
	Object   string            `json:"object"`
	Metadata map[string]string `json:"metadata"`
	Livemode bool              `json:"livemode"`
}

// list is a list ("list") or search result ("search_result") page.
type list[T any] struct {
	Object  string `json:"object"`
	Data    []T    `json:"data"`
	HasMore bool   `json:"has_more"`
}

// Metadata keys this package writes on Stripe objects and reads back.
const (
	metaChargeID    = "charge_id"
	metaRefundID    = "refund_id"
	metaAgreementID = "agreement_id"
	metaUserID      = "user_id"
	metaReason      = "reason"
)

// validID reports whether s is a Stripe ID with the given prefix ("pi_")
// made only of letters, digits and underscores, so it is safe in a URL path.
func validID(s, prefix string) bool {
	if !strings.HasPrefix(s, prefix) || len(s) == len(prefix) || len(s) > 255 {
		return false
	}
	for i := len(prefix); i < len(s); i++ {
		b := s[i]
		if !(b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b == '_') {
			return false
		}
	}
	return true
}

// validMerchantID reports whether s is a merchant-side ID (charge, refund,
// agreement or user) this package will put into metadata, search queries
// and Idempotency-Keys: 1 to 64 characters of [A-Za-z0-9_-].
func validMerchantID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !(b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b == '_' || b == '-') {
			return false
		}
	}
	return true
}
