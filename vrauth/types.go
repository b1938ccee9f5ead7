package vrauth

import (
	"time"

	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/verify"
)

// ID prefixes of the records the service issues.
const (
	PrefixUser          = "vru"
	PrefixTerminal      = "vrt"
	PrefixAuthorization = "vra"
	PrefixAgreement     = "vrg"
)

// Verification is how a user's mobile number is confirmed at enrollment.
type Verification string

// Enrollment verification methods.
const (
	VerifySMS    Verification = "sms"    // a 6-digit code sent to the number
	VerifyReview Verification = "review" // an operator approves or rejects
)

// UserStatus is where a user's enrollment stands.
type UserStatus string

// Enrollment states: pending_sms or pending_review → verified or rejected.
const (
	UserPendingSMS    UserStatus = "pending_sms"
	UserPendingReview UserStatus = "pending_review"
	UserVerified      UserStatus = "verified"
	UserRejected      UserStatus = "rejected"
)

// User is an enrolled headset-payment user.
type User struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Mobile string `json:"mobile"`
	// Verification is how the mobile number is confirmed.
	Verification Verification `json:"verification"`
	Status       UserStatus   `json:"status"`
	// ReviewNote is the operator's note on a manual review.
	ReviewNote string `json:"review_note,omitempty"`
	// PaymentsEnabled is the user's switch for headset payments.
	PaymentsEnabled bool `json:"payments_enabled"`
	// Headsets are the headsets registered for the user, each with its
	// own switch.
	Headsets  []Headset `json:"headsets"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// headset returns the registered headset with id.
func (u *User) headset(id string) (*Headset, bool) {
	for i := range u.Headsets {
		if u.Headsets[i].ID == id {
			return &u.Headsets[i], true
		}
	}
	return nil, false
}

// Headset is a VR headset that may pay for a user while its switch is on.
type Headset struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Enabled bool      `json:"enabled"`
	AddedAt time.Time `json:"added_at"`
}

// Terminal is a trusted terminal: a phone or PC browser of the user's that
// receives approval links at Address (a mobile number or e-mail address,
// through the Sender).
type Terminal struct {
	ID      string `json:"id"`
	UserID  string `json:"user_id"`
	Name    string `json:"name"`
	Address string `json:"address"`
	// Activated is set once the terminal opened its activation link; only
	// an activated terminal may enter user codes.
	Activated bool      `json:"activated"`
	CreatedAt time.Time `json:"created_at"`

	// Secrets, kept as SHA-256 hashes and never in JSON: the single-use
	// activation token (until ActivationExpires) and, once activated, the
	// terminal's cookie secret.
	ActivationHash    [32]byte  `json:"-"`
	ActivationExpires time.Time `json:"-"`
	SecretHash        [32]byte  `json:"-"`
}

// Item is one line of an order.
type Item struct {
	Name      string    `json:"name"`
	Quantity  int       `json:"quantity"`
	UnitPrice pay.Money `json:"unit_price"`
}

// Order is what the headset buys. An authorization is bound to it: the
// amount charged, the merchant credited and the channel used are the
// order's, whatever the approving page is sent.
type Order struct {
	MerchantID  string    `json:"merchant_id"`
	Description string    `json:"description,omitempty"`
	Items       []Item    `json:"items"`
	Amount      pay.Money `json:"amount"`
	// Channel, when set, is the only channel the purchase may use;
	// otherwise the approving user picks among the enabled ones.
	Channel string `json:"channel,omitempty"`
}

// Mode is how a headset purchase is paid and confirmed.
type Mode string

// Purchase modes. Which verification methods each needs is the policy's
// call (verify.Rule.Flow names the mode).
const (
	// ModeCrossTerminal: the user approves on a trusted terminal and pays
	// there through the chosen channel's payment page.
	ModeCrossTerminal Mode = "cross_terminal"
	// ModeProxyDebit: paykit debits the user's signed agreement; the
	// headset confirms with the payment password.
	ModeProxyDebit Mode = "proxy_debit"
)

// Status is where an authorization stands.
type Status string

// Authorization states: pending (waiting for verification) → approved (the
// channel is charging) → succeeded or failed; pending → denied or expired.
const (
	StatusPending   Status = "pending"
	StatusApproved  Status = "approved"
	StatusSucceeded Status = "succeeded"
	StatusFailed    Status = "failed"
	StatusDenied    Status = "denied"
	StatusExpired   Status = "expired"
)

// final reports whether s is an end state whose result goes to the headset.
func (s Status) final() bool {
	return s == StatusSucceeded || s == StatusFailed || s == StatusDenied || s == StatusExpired
}

// Authorization is one headset purchase and how it was confirmed: the
// order it is bound to, the verification the policy required, the methods
// that passed, and the payment it produced.
type Authorization struct {
	ID        string `json:"id"`
	UserID    string `json:"user_id"`
	HeadsetID string `json:"headset_id"`
	Order     Order  `json:"order"`
	Mode      Mode   `json:"mode"`
	Status    Status `json:"status"`
	// Requirement is what the policy asked for this purchase.
	Requirement verify.Requirement `json:"requirement"`
	// Methods are the verification methods that passed, in order.
	Methods []verify.Method `json:"methods"`
	// Channel is the channel charged, once chosen.
	Channel string `json:"channel,omitempty"`
	// PaymentID is the aggregator's payment, once charged.
	PaymentID string `json:"payment_id,omitempty"`
	// AgreementID is the proxy-debit agreement debited.
	AgreementID   string `json:"agreement_id,omitempty"`
	FailureReason string `json:"failure_reason,omitempty"`
	// ApprovedBy is the trusted terminal that approved.
	ApprovedBy string `json:"approved_by,omitempty"`
	// Delivered is set once the headset received the final result.
	Delivered bool      `json:"delivered"`
	ExpiresAt time.Time `json:"expires_at"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`

	// Engine state, persisted by the Store but never sent in JSON.
	UserCode     string        `json:"-"` // the user code, normalized (8 letters)
	DeviceHash   [32]byte      `json:"-"` // SHA-256 of the device code
	Links        []Link        `json:"-"` // approval links sent
	CodeFailures int           `json:"-"` // wrong user-code entries
	Interval     time.Duration `json:"-"` // current polling interval
	LastPoll     time.Time     `json:"-"`
	Reserved     int64         `json:"-"` // amount counted against the agreement's day
	ReservedDay  string        `json:"-"` // the day it was counted against
}

// Link is one approval link: the hash of its token and the trusted
// terminal it was sent to. Possessing the link proves the terminal.
type Link struct {
	Hash       [32]byte
	TerminalID string
}

// Result is what the headset learns when its authorization ends.
type Result struct {
	AuthorizationID string    `json:"authorization_id"`
	Status          Status    `json:"status"`
	PaymentID       string    `json:"payment_id,omitempty"`
	Amount          pay.Money `json:"amount"`
	Channel         string    `json:"channel,omitempty"`
	// Methods are the verification methods recorded with the payment.
	Methods       []verify.Method `json:"methods"`
	FailureReason string          `json:"failure_reason,omitempty"`
}

// Started is what a headset gets when it places an order: the
// authorization, the secret device code it polls or waits with, and for a
// cross-terminal approval the user code, verification URLs and a QR image
// to show in the headset.
type Started struct {
	Authorization Authorization `json:"authorization"`
	// DeviceCode authenticates the headset's result calls. Secret.
	DeviceCode string `json:"device_code"`
	// UserCode is 8 characters from BCDFGHJKLMNPQRSTVWXZ, shown as
	// XXXX-XXXX, typed at VerificationURI on a trusted terminal.
	UserCode                string `json:"user_code,omitempty"`
	VerificationURI         string `json:"verification_uri,omitempty"`
	VerificationURIComplete string `json:"verification_uri_complete,omitempty"`
	// QRPNG is a PNG QR code of VerificationURIComplete.
	QRPNG []byte `json:"qr_png,omitempty"`
	// ExpiresIn and Interval are seconds, as in RFC 8628.
	ExpiresIn int64 `json:"expires_in"`
	Interval  int64 `json:"interval"`
}

// Agreement is a proxy-debit agreement: a standing agreement signed in a
// channel (the aggregator's agreement record) plus the limits paykit
// enforces on every debit under it.
type Agreement struct {
	ID     string `json:"id"`
	UserID string `json:"user_id"`
	// Channel and ChannelAgreementID name the aggregator's agreement.
	Channel            string `json:"channel"`
	ChannelAgreementID string `json:"channel_agreement_id"`
	// Status is the channel agreement's status (pending, signed,
	// terminated), read from the aggregator, so a channel's termination
	// callback ends it here too.
	Status string `json:"status"`
	// SignURL is where the user signs while the agreement is pending.
	SignURL    string    `json:"sign_url,omitempty"`
	PerPayment pay.Money `json:"per_payment"`
	PerDay     pay.Money `json:"per_day"`
	// Day and SpentToday are the per-day limit's running total (UTC day).
	Day        string    `json:"day"`
	SpentToday int64     `json:"spent_today"`
	CreatedAt  time.Time `json:"created_at"`
}
