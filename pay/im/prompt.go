package im

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/pay/account"
)

// PromptKind says what a prompt asks for or reports.
type PromptKind string

// The prompt kinds.
const (
	// PromptChooseBill lists the customer's outstanding bills (Bills) for
	// them to choose one (a RequestChooseBill). An empty list means no
	// arrears.
	PromptChooseBill PromptKind = "choose_bill"
	// PromptEnterPassword asks for the payment password to pay BillID's
	// Amount (a RequestPay); AttemptsLeft, when not 0, is how many wrong
	// passwords remain before the lockout.
	PromptEnterPassword PromptKind = "enter_password"
	// PromptResult reports the outcome: Paid with the TransactionID,
	// whether the bill was Cleared, or Reason why it was not paid.
	PromptResult PromptKind = "result"
	// PromptError reports a refused request: Code is the error's code
	// (ErrBill's "im_bill" …), Message says why in words.
	PromptError PromptKind = "error"
)

// Prompt limits.
const (
	// MaxBills is the most bills one PromptChooseBill lists.
	MaxBills = 20
	// MaxPrompt is the longest encoded prompt DecodePrompt reads.
	MaxPrompt = MaxPayload
	// maxDescription, maxReason and maxCode bound the prompt's texts in
	// bytes (maxDescription as pay/account's bill descriptions).
	maxDescription = 500
	maxReason      = 500
	maxCode        = 64
	maxAttempts    = 99
)

// BillItem is one outstanding bill in a PromptChooseBill.
type BillItem struct {
	// ID is the bill (bill_…), what the client sends back to choose it.
	ID string `json:"id"`
	// Description says what the bill is for ("Water, June"); may be empty.
	Description string `json:"description,omitempty"`
	// Amount is what the bill asks.
	Amount pay.Money `json:"amount"`
}

// Prompt is what the payment subsystem answers, sealed, to a request:
// what to enter next, or the result. The fields a kind uses are named in
// its comment above; the others must be zero. Text renders it for an IM
// client that shows plain text.
type Prompt struct {
	// Kind is what the prompt asks for or reports.
	Kind PromptKind `json:"kind"`
	// InReplyTo is the message ID of the request answered, if any.
	InReplyTo string `json:"in_reply_to,omitempty"`
	// Bills are the outstanding bills, oldest first: choose_bill.
	Bills []BillItem `json:"bills,omitempty"`
	// BillID is the bill concerned: enter_password, result (required when
	// paid).
	BillID string `json:"bill_id,omitempty"`
	// Amount is the bill's amount: enter_password, result (required when
	// paid).
	Amount pay.Money `json:"amount,omitzero"`
	// AttemptsLeft is how many wrong passwords remain before the lockout,
	// 0 when not stated: enter_password.
	AttemptsLeft int `json:"attempts_left,omitempty"`
	// Paid says the amount was deducted: result.
	Paid bool `json:"paid,omitempty"`
	// Cleared says the bill is no longer outstanding: result (only when
	// Paid).
	Cleared bool `json:"cleared,omitempty"`
	// TransactionID is the payment's transaction (txn_…): result, when
	// Paid.
	TransactionID string `json:"transaction_id,omitempty"`
	// Reason says why the bill was not paid: result, when not Paid
	// (required then).
	Reason string `json:"reason,omitempty"`
	// Code is the error's code: error.
	Code string `json:"code,omitempty"`
	// Message is the error in words: error.
	Message string `json:"message,omitempty"`
}

// EncodePrompt validates p and returns its JSON, the payload to Seal. A
// prompt DecodePrompt would refuse is pay.ErrInvalidRequest naming the
// field.
func EncodePrompt(p Prompt) ([]byte, error) {
	if param, why := p.problem(); param != "" {
		return nil, pay.Errorf(pay.ErrInvalidRequest, param, "%s", why)
	}
	return json.Marshal(p)
}

// DecodePrompt reads a prompt as strictly as DecodeRequest reads a request
// (at most MaxPrompt bytes), then checks the fields of its kind: IDs with
// their prefixes, positive amounts, texts without control characters, at
// most MaxBills bills, none twice, and nothing the kind does not use.
// Anything else is ErrMalformed (ErrTooLarge when too long) naming the
// field.
func DecodePrompt(b []byte) (Prompt, error) {
	var p Prompt
	if err := decodeStrict(b, MaxPrompt, &p); err != nil {
		return Prompt{}, err
	}
	if param, why := p.problem(); param != "" {
		return Prompt{}, malformed(param, why)
	}
	return p, nil
}

// ErrorPrompt turns err into a PromptError: a *pay.Error gives its code and
// message (paykit errors never carry a secret), anything else
// pay.ErrInternal's. The message is clipped to fit, digit runs masked.
func ErrorPrompt(err error) Prompt {
	pe := pay.ErrInternal
	if !errors.As(err, &pe) || !validCode(pe.Code) {
		pe = pay.ErrInternal
	}
	msg := pay.Clip(pe.Message, 200)
	if strings.TrimSpace(msg) == "" {
		msg = pe.Code
	}
	return Prompt{Kind: PromptError, Code: pe.Code, Message: msg}
}

// Err returns a PromptError as a *pay.Error with its code and message, so
// that errors.Is matches this package's sentinels (ErrBill …) and pay's by
// code; nil for any other kind.
func (p Prompt) Err() error {
	if p.Kind != PromptError {
		return nil
	}
	return &pay.Error{Code: p.Code, Message: p.Message}
}

// problem returns the field at fault in p and why, or two empty strings.
func (p Prompt) problem() (param, why string) {
	if p.InReplyTo != "" {
		if _, ok := decodeB32(p.InReplyTo, messageIDBytes); !ok {
			return "in_reply_to", "in_reply_to is not a message ID"
		}
	}
	// uses lists the fields the kind may set; every other must be zero.
	var uses string
	switch p.Kind {
	case PromptChooseBill:
		uses = "bills"
		if len(p.Bills) > MaxBills {
			return "bills", "more than " + strconv.Itoa(MaxBills) + " bills"
		}
		seen := make(map[string]bool, len(p.Bills))
		for i, b := range p.Bills {
			at := "bills[" + strconv.Itoa(i) + "]"
			if !pay.ValidID(b.ID, pay.PrefixBill) {
				return at + ".id", "not a bill ID"
			}
			if seen[b.ID] {
				return at + ".id", "the bill is listed twice"
			}
			seen[b.ID] = true
			if err := pay.CheckText(at+".description", b.Description, false, maxDescription); err != nil {
				return at + ".description", err.(*pay.Error).Message
			}
			if param, why := moneyProblem(at+".amount", b.Amount); param != "" {
				return param, why
			}
		}
	case PromptEnterPassword:
		uses = "bill_id amount attempts_left"
		if !pay.ValidID(p.BillID, pay.PrefixBill) {
			return "bill_id", "bill_id is not a bill ID"
		}
		if param, why := moneyProblem("amount", p.Amount); param != "" {
			return param, why
		}
		if p.AttemptsLeft < 0 || p.AttemptsLeft > maxAttempts {
			return "attempts_left", "attempts_left must be 0 to " + strconv.Itoa(maxAttempts)
		}
	case PromptResult:
		if p.Paid {
			uses = "bill_id amount paid cleared transaction_id reason"
			if !pay.ValidID(p.TransactionID, account.PrefixTransaction) {
				return "transaction_id", "transaction_id is not a transaction ID"
			}
		} else {
			uses = "bill_id amount reason"
			if strings.TrimSpace(p.Reason) == "" {
				return "reason", "an unpaid result needs a reason"
			}
		}
		if (p.Paid || p.BillID != "") && !pay.ValidID(p.BillID, pay.PrefixBill) {
			return "bill_id", "bill_id is not a bill ID"
		}
		if p.Paid || p.Amount != (pay.Money{}) {
			if param, why := moneyProblem("amount", p.Amount); param != "" {
				return param, why
			}
		}
		if err := pay.CheckText("reason", p.Reason, false, maxReason); err != nil {
			return "reason", err.(*pay.Error).Message
		}
	case PromptError:
		uses = "code message"
		if !validCode(p.Code) {
			return "code", "code must be 1 to 64 lower-case letters, digits and underscores"
		}
		if err := pay.CheckText("message", p.Message, true, maxReason); err != nil {
			return "message", err.(*pay.Error).Message
		}
	default:
		return "kind", "kind must be choose_bill, enter_password, result or error"
	}
	for _, f := range []struct {
		name string
		set  bool
	}{
		{"bills", len(p.Bills) > 0},
		{"bill_id", p.BillID != ""},
		{"amount", p.Amount != (pay.Money{})},
		{"attempts_left", p.AttemptsLeft != 0},
		{"paid", p.Paid},
		{"cleared", p.Cleared},
		{"transaction_id", p.TransactionID != ""},
		{"reason", p.Reason != ""},
		{"code", p.Code != ""},
		{"message", p.Message != ""},
	} {
		if f.set && !strings.Contains(" "+uses+" ", " "+f.name+" ") {
			if f.name == "cleared" && p.Kind == PromptResult {
				return "cleared", "a bill is cleared only when paid"
			}
			return f.name, f.name + " is not allowed in a " + string(p.Kind) + " prompt"
		}
	}
	return "", ""
}

// moneyProblem checks a positive amount in a known currency.
func moneyProblem(param string, m pay.Money) (string, string) {
	if err := m.ValidatePositive(param); err != nil {
		if pe, ok := err.(*pay.Error); ok {
			return pe.Param, pe.Message
		}
		return param, "not a positive amount"
	}
	return "", ""
}

// validCode reports whether c looks like a paykit error code.
func validCode(c string) bool {
	if c == "" || len(c) > maxCode {
		return false
	}
	for i := 0; i < len(c); i++ {
		if !(c[i] >= 'a' && c[i] <= 'z' || c[i] >= '0' && c[i] <= '9' || c[i] == '_') {
			return false
		}
	}
	return true
}

// Text renders p as the plain text an IM client shows, one line per item:
//
//	Outstanding bills:
//	1) Water, June — 86.40 CNY
//	Reply with the number of the bill to pay.
//
//	Enter your payment password for bill bill_… (86.40 CNY) (4 attempts left).
//	Paid 86.40 CNY; bill bill_… cleared. Transaction txn_….
//	Not paid: the payment password is locked.
//	Error (im_bill): the bill is not an outstanding bill of the customer.
//
// Texts from the prompt are shown through pay.Clip, so a prompt that was
// not validated still renders on one line per item.
func (p Prompt) Text() string {
	clip := func(s string) string { return pay.Clip(s, maxReason) }
	id := func(s, prefix string) string {
		if pay.ValidID(s, prefix) {
			return s // an ID may hold a run of digits Clip would mask
		}
		return clip(s)
	}
	var b strings.Builder
	switch p.Kind {
	case PromptChooseBill:
		if len(p.Bills) == 0 {
			return "You have no outstanding bills."
		}
		b.WriteString("Outstanding bills:\n")
		for i, bill := range p.Bills {
			what := "Bill " + id(bill.ID, pay.PrefixBill)
			if strings.TrimSpace(bill.Description) != "" {
				what = clip(bill.Description)
			}
			b.WriteString(strconv.Itoa(i+1) + ") " + what + " — " + bill.Amount.String() + "\n")
		}
		b.WriteString("Reply with the number of the bill to pay.")
	case PromptEnterPassword:
		b.WriteString("Enter your payment password for bill " + id(p.BillID, pay.PrefixBill) + " (" + p.Amount.String() + ")")
		switch p.AttemptsLeft {
		case 0:
		case 1:
			b.WriteString(" (1 attempt left)")
		default:
			b.WriteString(" (" + strconv.Itoa(p.AttemptsLeft) + " attempts left)")
		}
		b.WriteString(".")
	case PromptResult:
		switch {
		case p.Paid && p.Cleared:
			b.WriteString("Paid " + p.Amount.String() + "; bill " + id(p.BillID, pay.PrefixBill) + " cleared.")
		case p.Paid:
			b.WriteString("Paid " + p.Amount.String() + " for bill " + id(p.BillID, pay.PrefixBill) + ".")
		default:
			b.WriteString("Not paid: " + sentence(clip(p.Reason)))
		}
		if p.Paid && p.TransactionID != "" {
			b.WriteString(" Transaction " + id(p.TransactionID, account.PrefixTransaction) + ".")
		}
	case PromptError:
		code := p.Code
		if !validCode(code) {
			code = clip(code)
		}
		b.WriteString("Error (" + code + "): " + sentence(clip(p.Message)))
	default:
		b.WriteString("Unknown prompt (" + clip(string(p.Kind)) + ").")
	}
	return b.String()
}

// sentence ends s with a full stop unless it ends with punctuation.
func sentence(s string) string {
	if strings.HasSuffix(s, ".") || strings.HasSuffix(s, "!") || strings.HasSuffix(s, "?") || strings.HasSuffix(s, "…") {
		return s
	}
	return s + "."
}
