package im

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"unicode/utf8"

	"github.com/paykit-go/paykit/pay"
)

// RequestKind says what a client asks the payment subsystem for.
type RequestKind string

// The request kinds, one per step of a conversation.
const (
	// RequestStart asks for the customer's outstanding bills (arrears);
	// the subsystem answers with a PromptChooseBill.
	RequestStart RequestKind = "start"
	// RequestChooseBill picks the bill to pay (BillID); the subsystem
	// answers with a PromptEnterPassword.
	RequestChooseBill RequestKind = "choose_bill"
	// RequestPay pays the chosen bill (BillID) from the payment account
	// (WalletID) with the payment password; Amount must equal the bill's.
	// The subsystem answers with a PromptResult.
	RequestPay RequestKind = "pay"
	// RequestCancel ends the conversation without paying.
	RequestCancel RequestKind = "cancel"
)

// MaxRequest is the longest encoded request DecodeRequest reads.
const MaxRequest = 2 << 10

// maxPassword bounds the password's bytes in a request (the password rule
// allows up to 64 characters).
const maxPassword = 256

// Request is what a client sends, sealed, to the payment subsystem: one
// step of a conversation, with the payment elements that step needs.
// Every kind names the payer (CustomerID); the other fields are required
// by, and only allowed in, the kinds their comments name.
//
// The payment password travels only inside the sealed envelope: String,
// GoString, Format and LogValue redact it, so a Request logged or printed
// with any verb never shows it. EncodeRequest (JSON) does carry it.
type Request struct {
	// Kind is the step.
	Kind RequestKind `json:"kind"`
	// CustomerID is the payer (cus_…).
	CustomerID string `json:"customer_id"`
	// BillID is the bill (bill_…): choose_bill and pay.
	BillID string `json:"bill_id,omitempty"`
	// WalletID is the payment account the bill is paid from (wal_…): pay.
	WalletID string `json:"wallet_id,omitempty"`
	// Amount is what the client agrees to pay; it must equal the bill's
	// amount: pay.
	Amount pay.Money `json:"amount,omitzero"`
	// Password is the payment password: pay.
	Password string `json:"password,omitempty"`
}

// EncodeRequest validates r and returns its JSON, the payload to Seal. A
// request that DecodeRequest would refuse is pay.ErrInvalidRequest naming
// the field; the error never contains the password.
func EncodeRequest(r Request) ([]byte, error) {
	if param, why := r.problem(); param != "" {
		return nil, pay.Errorf(pay.ErrInvalidRequest, param, "%s", why)
	}
	return json.Marshal(r)
}

// DecodeRequest reads a request strictly: at most MaxRequest bytes of
// UTF-8 JSON holding one object, field names exactly as EncodeRequest
// writes them, none unknown, none repeated, no nulls, nothing after the
// object; then the fields the kind needs, well formed (IDs with their
// prefixes, a positive amount in a known currency), and no others. Anything
// else is ErrMalformed (ErrTooLarge when too long) naming the field; the
// error never contains the password or other values from the input.
func DecodeRequest(b []byte) (Request, error) {
	var r Request
	if err := decodeStrict(b, MaxRequest, &r); err != nil {
		return Request{}, err
	}
	if param, why := r.problem(); param != "" {
		return Request{}, malformed(param, why)
	}
	return r, nil
}

// problem returns the field at fault in r and why, or two empty strings.
func (r Request) problem() (param, why string) {
	if !pay.ValidID(r.CustomerID, pay.PrefixCustomer) {
		return "customer_id", "customer_id is not a customer ID"
	}
	needBill, needPay := false, false
	switch r.Kind {
	case RequestStart, RequestCancel:
	case RequestChooseBill:
		needBill = true
	case RequestPay:
		needBill, needPay = true, true
	default:
		return "kind", "kind must be start, choose_bill, pay or cancel"
	}
	if needBill && !pay.ValidID(r.BillID, pay.PrefixBill) {
		return "bill_id", "bill_id is not a bill ID"
	}
	if !needBill && r.BillID != "" {
		return "bill_id", "bill_id is not allowed in a " + string(r.Kind) + " request"
	}
	if !needPay {
		switch {
		case r.WalletID != "":
			return "wallet_id", "wallet_id is only allowed in a pay request"
		case r.Amount != pay.Money{}:
			return "amount", "amount is only allowed in a pay request"
		case r.Password != "":
			return "password", "password is only allowed in a pay request"
		}
		return "", ""
	}
	if !pay.ValidID(r.WalletID, pay.PrefixWallet) {
		return "wallet_id", "wallet_id is not a wallet ID"
	}
	if err := r.Amount.ValidatePositive("amount"); err != nil {
		var pe *pay.Error
		if errors.As(err, &pe) {
			return pe.Param, pe.Message
		}
		return "amount", "amount is not valid"
	}
	if r.Password == "" || len(r.Password) > maxPassword {
		return "password", fmt.Sprintf("password must be 1 to %d bytes", maxPassword)
	}
	for _, c := range r.Password {
		if c < 0x20 || c == 0x7f {
			return "password", "password contains control characters"
		}
	}
	return "", ""
}

// String describes r without its password.
func (r Request) String() string {
	var b strings.Builder
	b.WriteString("im.Request{kind=" + string(r.Kind) + " customer=" + r.CustomerID)
	if r.BillID != "" {
		b.WriteString(" bill=" + r.BillID)
	}
	if r.WalletID != "" {
		b.WriteString(" wallet=" + r.WalletID)
	}
	if r.Amount != (pay.Money{}) {
		b.WriteString(" amount=" + r.Amount.String())
	}
	if r.Password != "" {
		b.WriteString(" password=" + redacted)
	}
	b.WriteString("}")
	return pay.Clip(b.String(), 400)
}

// redacted stands for a secret in String and LogValue.
const redacted = "[redacted]"

// GoString keeps the password out of %#v.
func (r Request) GoString() string { return r.String() }

// Format prints String for every verb, so that no verb (%d, %x …) falls
// through to the fields and prints the password.
func (r Request) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, r.String()) }

// LogValue keeps the password out of structured logs (slog's JSON handler
// would otherwise marshal the fields).
func (r Request) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("kind", string(r.Kind)), slog.String("customer_id", r.CustomerID)}
	if r.BillID != "" {
		attrs = append(attrs, slog.String("bill_id", r.BillID))
	}
	if r.WalletID != "" {
		attrs = append(attrs, slog.String("wallet_id", r.WalletID))
	}
	if r.Amount != (pay.Money{}) {
		attrs = append(attrs, slog.String("amount", r.Amount.String()))
	}
	if r.Password != "" {
		attrs = append(attrs, slog.String("password", redacted))
	}
	return slog.GroupValue(attrs...)
}

// Limits of the strict JSON reader.
const (
	maxJSONDepth = 4  // a prompt: object, bills array, bill object, amount object
	maxJSONKey   = 32 // longer than any field name
)

// decodeStrict decodes the JSON object in b into v, refusing what
// encoding/json lets through: invalid UTF-8, field names in another case
// (encoding/json matches names case-insensitively, with Unicode folding),
// repeated names (the last would win), nulls (they would read as absent),
// unknown fields, nesting deeper than any message needs, and anything after
// the object. Its errors name fields, never values.
func decodeStrict(b []byte, limit int, v any) error {
	if len(b) > limit {
		return pay.Errorf(ErrTooLarge, "", "longer than %d bytes", limit)
	}
	if !utf8.Valid(b) {
		return malformed("", "not valid UTF-8")
	}
	if err := scanJSON(b); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			// te.Value can quote a number from the input; only the field
			// (a name scanJSON allowed) is shown.
			return malformed(te.Field, te.Field+" has the wrong type")
		}
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return malformed(strings.Trim(name, `"`), "unknown field "+name)
		}
		return malformed("", "not a message of this kind")
	}
	return nil
}

// scanJSON checks b's shape token by token: one object, field names of
// 1–32 lower-case letters and underscores, none repeated within an object,
// no null, at most maxJSONDepth levels, nothing after the object.
func scanJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var stack []*jsonLevel
	done := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return malformed("", "not valid JSON")
		}
		if done {
			return malformed("", "data after the object")
		}
		var top *jsonLevel
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top == nil {
			if tok != json.Delim('{') {
				return malformed("", "not a JSON object")
			}
		}
		if top != nil && top.object && top.wantKey {
			if tok == json.Delim('}') {
				stack = stack[:len(stack)-1]
				done = valueDone(stack)
				continue
			}
			key, _ := tok.(string)
			if !validJSONKey(key) {
				return malformed("", "a field name is not lower-case letters and underscores")
			}
			if top.keys[key] {
				return malformed(key, "the field "+key+" is repeated")
			}
			top.keys[key] = true
			top.wantKey = false
			continue
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			if len(stack) == maxJSONDepth {
				return malformed("", "nested too deeply")
			}
			stack = append(stack, &jsonLevel{object: tok == json.Delim('{'), wantKey: true, keys: map[string]bool{}})
			continue
		case json.Delim(']'), json.Delim('}'):
			stack = stack[:len(stack)-1]
		case nil:
			return malformed("", "null is not allowed")
		}
		done = valueDone(stack)
	}
	if !done {
		return malformed("", "not a JSON object")
	}
	return nil
}

// jsonLevel is an object or array scanJSON is inside.
type jsonLevel struct {
	object  bool            // an object, not an array
	wantKey bool            // an object expecting a field name or its end
	keys    map[string]bool // the object's field names so far
}

// valueDone records that a value ended inside the innermost level of
// stack, and reports whether it was the top-level value.
func valueDone(stack []*jsonLevel) bool {
	if len(stack) == 0 {
		return true
	}
	if top := stack[len(stack)-1]; top.object {
		top.wantKey = true
	}
	return false
}

// validJSONKey reports whether k can be one of this package's field names.
func validJSONKey(k string) bool {
	if k == "" || len(k) > maxJSONKey {
		return false
	}
	for i := 0; i < len(k); i++ {
		if (k[i] < 'a' || k[i] > 'z') && k[i] != '_' {
			return false
		}
	}
	return true
}
