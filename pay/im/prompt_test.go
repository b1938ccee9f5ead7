package im

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/paykit-go/paykit/pay"
)

// Fixed IDs in the shapes pay.NewID makes.
const (
	hICustomer = "cus_aaaaaaaaaaaaaaaaaaaaaaaaaa"
	hIBill     = "bill_bbbbbbbbbbbbbbbbbbbbbbbbbb"
	hIBill2    = "bill_cccccccccccccccccccccccccc"
	hIWallet   = "wal_dddddddddddddddddddddddddd"
	hITxn      = "txn_eeeeeeeeeeeeeeeeeeeeeeeeee"
	hIPassword = "Secr3t-pw!"
)

// hIPayRequest is a valid pay request with hIPassword.
func hIPayRequest() Request {
	return Request{Kind: RequestPay, CustomerID: hICustomer, BillID: hIBill, WalletID: hIWallet,
		Amount: pay.Money{Amount: 8640, Currency: "CNY"}, Password: hIPassword}
}

// Every request kind round-trips through EncodeRequest and DecodeRequest,
// and its JSON is the documented shape.
func TestRequestRoundTrip(t *testing.T) {
	for _, c := range []struct {
		r    Request
		json string
	}{
		{Request{Kind: RequestStart, CustomerID: hICustomer}, `{"kind":"start","customer_id":"` + hICustomer + `"}`},
		{Request{Kind: RequestChooseBill, CustomerID: hICustomer, BillID: hIBill}, `{"kind":"choose_bill","customer_id":"` + hICustomer + `","bill_id":"` + hIBill + `"}`},
		{hIPayRequest(), `{"kind":"pay","customer_id":"` + hICustomer + `","bill_id":"` + hIBill + `","wallet_id":"` + hIWallet + `","amount":{"amount":8640,"currency":"CNY"},"password":"` + hIPassword + `"}`},
		{Request{Kind: RequestCancel, CustomerID: hICustomer}, `{"kind":"cancel","customer_id":"` + hICustomer + `"}`},
	} {
		b, err := EncodeRequest(c.r)
		if err != nil {
			t.Fatalf("%s: %v", c.r.Kind, err)
		}
		if string(b) != c.json {
			t.Errorf("%s: JSON %s, want %s", c.r.Kind, b, c.json)
		}
		got, err := DecodeRequest(b)
		if err != nil {
			t.Fatalf("%s: %v", c.r.Kind, err)
		}
		if diff := cmp.Diff(c.r, got); diff != "" {
			t.Errorf("%s: round trip (-want +got):\n%s", c.r.Kind, diff)
		}
	}
	// Whitespace and field order are free; they are not a second meaning.
	got, err := DecodeRequest([]byte(" {\n \"customer_id\" : \"" + hICustomer + "\",\t\"kind\":\"start\" }\n"))
	if err != nil || got != (Request{Kind: RequestStart, CustomerID: hICustomer}) {
		t.Errorf("spaced JSON: %v, %v", got, err)
	}
}

// DecodeRequest refuses everything but a well-formed request of its kind
// with ErrMalformed (ErrTooLarge past MaxRequest) naming the field, and
// never puts the password, or any value from the input, in the error.
func TestDecodeRequestRejects(t *testing.T) {
	pw := `"password":"` + hIPassword + `"`
	head := `{"kind":"pay","customer_id":"` + hICustomer + `","bill_id":"` + hIBill + `","wallet_id":"` + hIWallet + `",`
	amount := `"amount":{"amount":8640,"currency":"CNY"}`
	for _, c := range []struct {
		name, in, param string
		want            *pay.Error
	}{
		{"empty", ``, "", ErrMalformed},
		{"not JSON", `kind=pay`, "", ErrMalformed},
		{"array", `[` + head + amount + `,` + pw + `}]`, "", ErrMalformed},
		{"string", `"` + hIPassword + `"`, "", ErrMalformed},
		{"truncated", head + amount + `,` + pw, "", ErrMalformed},
		{"trailing object", head + amount + `,` + pw + `}{}`, "", ErrMalformed},
		{"trailing garbage", head + amount + `,` + pw + `} x`, "", ErrMalformed},
		{"unknown field", head + amount + `,` + pw + `,"pin":"1234"}`, "pin", ErrMalformed},
		{"unknown nested field", head + `"amount":{"amount":8640,"currency":"CNY","x":1},` + pw + `}`, "x", ErrMalformed},
		{"upper-case name", head + amount + `,"Password":"` + hIPassword + `"}`, "", ErrMalformed},
		{"Kelvin sign in a name", `{"` + "\u212a" + `ind":"start","customer_id":"` + hICustomer + `"}`, "", ErrMalformed},
		{"repeated field", head + amount + `,` + pw + `,` + pw + `}`, "password", ErrMalformed},
		{"repeated kind", `{"kind":"pay","kind":"start","customer_id":"` + hICustomer + `"}`, "kind", ErrMalformed},
		{"null", head + amount + `,"password":null}`, "", ErrMalformed},
		{"invalid UTF-8", head + amount + `,"password":"` + hIPassword + "\xff" + `"}`, "", ErrMalformed},
		{"too deep", head + `"amount":{"amount":{"a":{"b":{}}}},` + pw + `}`, "", ErrMalformed},
		{"amount as a number", head + `"amount":8640,` + pw + `}`, "amount", ErrMalformed},
		{"amount as a float", head + `"amount":{"amount":86.4,"currency":"CNY"},` + pw + `}`, "amount.amount", ErrMalformed},
		{"password as a number", head + amount + `,"password":123456}`, "password", ErrMalformed},
		{"no kind", `{"customer_id":"` + hICustomer + `"}`, "kind", ErrMalformed},
		{"unknown kind", `{"kind":"refund","customer_id":"` + hICustomer + `"}`, "kind", ErrMalformed},
		{"no customer", `{"kind":"start"}`, "customer_id", ErrMalformed},
		{"bad customer", `{"kind":"start","customer_id":"wal_x"}`, "customer_id", ErrMalformed},
		{"start with a password", `{"kind":"start","customer_id":"` + hICustomer + `",` + pw + `}`, "password", ErrMalformed},
		{"cancel with a bill", `{"kind":"cancel","customer_id":"` + hICustomer + `","bill_id":"` + hIBill + `"}`, "bill_id", ErrMalformed},
		{"choose without a bill", `{"kind":"choose_bill","customer_id":"` + hICustomer + `"}`, "bill_id", ErrMalformed},
		{"choose with a wallet", `{"kind":"choose_bill","customer_id":"` + hICustomer + `","bill_id":"` + hIBill + `","wallet_id":"` + hIWallet + `"}`, "wallet_id", ErrMalformed},
		{"choose with an amount", `{"kind":"choose_bill","customer_id":"` + hICustomer + `","bill_id":"` + hIBill + `",` + amount + `}`, "amount", ErrMalformed},
		{"pay with a wallet as bill", `{"kind":"pay","customer_id":"` + hICustomer + `","bill_id":"` + hIWallet + `","wallet_id":"` + hIWallet + `",` + amount + `,` + pw + `}`, "bill_id", ErrMalformed},
		{"pay without a wallet", `{"kind":"pay","customer_id":"` + hICustomer + `","bill_id":"` + hIBill + `",` + amount + `,` + pw + `}`, "wallet_id", ErrMalformed},
		{"pay without an amount", head + pw + `}`, "amount.currency", ErrMalformed},
		{"pay zero", head + `"amount":{"amount":0,"currency":"CNY"},` + pw + `}`, "amount.amount", ErrMalformed},
		{"pay negative", head + `"amount":{"amount":-1,"currency":"CNY"},` + pw + `}`, "amount.amount", ErrMalformed},
		{"pay in an unknown currency", head + `"amount":{"amount":1,"currency":"XYZ"},` + pw + `}`, "amount.currency", ErrMalformed},
		{"pay without a password", head + amount + `}`, "password", ErrMalformed},
		{"password with a newline", head + amount + `,"password":"` + hIPassword + `\n"}`, "password", ErrMalformed},
		{"password too long", head + amount + `,"password":"` + hIPassword + strings.Repeat("x", maxPassword) + `"}`, "password", ErrMalformed},
		{"too large", head + amount + `,"password":"` + hIPassword + strings.Repeat(" ", MaxRequest) + `"}`, "", ErrTooLarge},
	} {
		r, err := DecodeRequest([]byte(c.in))
		var pe *pay.Error
		if !errors.Is(err, c.want) || !errors.As(err, &pe) {
			t.Errorf("%s: err = %v, want %s", c.name, err, c.want.Code)
			continue
		}
		if pe.Param != c.param {
			t.Errorf("%s: param %q, want %q (%v)", c.name, pe.Param, c.param, err)
		}
		if r != (Request{}) {
			t.Errorf("%s: a Request with the error", c.name)
		}
		for _, secret := range []string{hIPassword, "123456", "8640", "86.4", "\u212a"} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("%s: the error %q contains %q", c.name, err, secret)
			}
		}
	}
}

// EncodeRequest refuses what DecodeRequest would, as pay.ErrInvalidRequest,
// without the password.
func TestEncodeRequestRejects(t *testing.T) {
	for name, change := range map[string]func(*Request){
		"no customer":       func(r *Request) { r.CustomerID = "" },
		"no password":       func(r *Request) { r.Password = "" },
		"control in pw":     func(r *Request) { r.Password = hIPassword + "\x00" },
		"no kind":           func(r *Request) { r.Kind = "" },
		"start with a bill": func(r *Request) { *r = Request{Kind: RequestStart, CustomerID: hICustomer, Password: hIPassword} },
		"no currency":       func(r *Request) { r.Amount.Currency = "" },
	} {
		r := hIPayRequest()
		change(&r)
		b, err := EncodeRequest(r)
		if b != nil || !errors.Is(err, pay.ErrInvalidRequest) {
			t.Errorf("%s: EncodeRequest = %s, %v", name, b, err)
			continue
		}
		if strings.Contains(err.Error(), hIPassword) {
			t.Errorf("%s: the error contains the password", name)
		}
	}
}

// A request shows its elements but never its password: with every fmt
// verb, %v of a struct holding it, and in slog's text and JSON output.
func TestRequestRedactsPassword(t *testing.T) {
	r := hIPayRequest()
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("request", "req", r)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("request", "req", r, slog.Any("ptr", &r))
	outs := []string{r.String(), r.GoString(), logs.String(), fmt.Sprintf("%v", struct{ R Request }{r})}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%d", "%x", "%X", "%10.3s"} {
		outs = append(outs, fmt.Sprintf(verb, r), fmt.Sprintf(verb, &r))
	}
	for _, out := range outs {
		if strings.Contains(out, hIPassword) || strings.Contains(out, fmt.Sprintf("%x", hIPassword)) || strings.Contains(out, fmt.Sprintf("%X", hIPassword)) {
			t.Fatalf("the password shows in %q", out)
		}
	}
	if want := "im.Request{kind=pay customer=" + hICustomer + " bill=" + hIBill + " wallet=" + hIWallet + " amount=86.40 CNY password=[redacted]}"; r.String() != want {
		t.Errorf("String() = %q, want %q", r.String(), want)
	}
	if !strings.Contains(logs.String(), `"password":"[redacted]"`) || !strings.Contains(logs.String(), `"bill_id":"`+hIBill+`"`) {
		t.Errorf("the JSON log lacks the elements or the redaction: %s", logs.String())
	}
	start := Request{Kind: RequestStart, CustomerID: hICustomer}
	if strings.Contains(start.String(), "password") {
		t.Errorf("a request without a password mentions one: %s", start)
	}
}

// hIPrompts are valid prompts of every kind with their Text.
func hIPrompts() []struct {
	name string
	p    Prompt
	text string
} {
	cny := func(n int64) pay.Money { return pay.Money{Amount: n, Currency: "CNY"} }
	return []struct {
		name string
		p    Prompt
		text string
	}{
		{"choose", Prompt{Kind: PromptChooseBill, InReplyTo: "aaaaaaaaaaaaaaaaaaaaaaaaaa", Bills: []BillItem{
			{ID: hIBill, Description: "Water bill", Amount: cny(8640)},
			{ID: hIBill2, Amount: cny(12000)},
		}}, "Outstanding bills:\n1) Water bill — 86.40 CNY\n2) Bill " + hIBill2 + " — 120.00 CNY\nReply with the number of the bill to pay."},
		{"choose none", Prompt{Kind: PromptChooseBill}, "You have no outstanding bills."},
		{"password", Prompt{Kind: PromptEnterPassword, BillID: hIBill, Amount: cny(8640), AttemptsLeft: 4},
			"Enter your payment password for bill " + hIBill + " (86.40 CNY) (4 attempts left)."},
		{"password last", Prompt{Kind: PromptEnterPassword, BillID: hIBill, Amount: cny(8640), AttemptsLeft: 1},
			"Enter your payment password for bill " + hIBill + " (86.40 CNY) (1 attempt left)."},
		{"password unstated", Prompt{Kind: PromptEnterPassword, BillID: hIBill, Amount: pay.Money{Amount: 500, Currency: "JPY"}},
			"Enter your payment password for bill " + hIBill + " (500 JPY)."},
		{"paid", Prompt{Kind: PromptResult, Paid: true, Cleared: true, BillID: hIBill, Amount: cny(8640), TransactionID: hITxn},
			"Paid 86.40 CNY; bill " + hIBill + " cleared. Transaction " + hITxn + "."},
		{"paid not cleared", Prompt{Kind: PromptResult, Paid: true, BillID: hIBill, Amount: cny(8640), TransactionID: hITxn},
			"Paid 86.40 CNY for bill " + hIBill + ". Transaction " + hITxn + "."},
		{"not paid", Prompt{Kind: PromptResult, BillID: hIBill, Amount: cny(8640), Reason: "insufficient funds in the wallet"},
			"Not paid: insufficient funds in the wallet."},
		{"cancelled", Prompt{Kind: PromptResult, Reason: "You cancelled."}, "Not paid: You cancelled."},
		{"error", Prompt{Kind: PromptError, Code: "im_bill", Message: "the bill is not an outstanding bill of the customer"},
			"Error (im_bill): the bill is not an outstanding bill of the customer."},
	}
}

// Every prompt kind round-trips through EncodePrompt and DecodePrompt and
// renders its text.
func TestPromptRoundTripAndText(t *testing.T) {
	for _, c := range hIPrompts() {
		b, err := EncodePrompt(c.p)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got, err := DecodePrompt(b)
		if err != nil {
			t.Fatalf("%s: %v (%s)", c.name, err, b)
		}
		if diff := cmp.Diff(c.p, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s: round trip (-want +got):\n%s", c.name, diff)
		}
		if got.Text() != c.text {
			t.Errorf("%s: Text() =\n%s\nwant\n%s", c.name, got.Text(), c.text)
		}
	}
	full := Prompt{Kind: PromptChooseBill}
	for i := range MaxBills {
		full.Bills = append(full.Bills, BillItem{ID: pay.NewID(pay.PrefixBill), Description: strings.Repeat("é", maxDescription/2), Amount: pay.Money{Amount: int64(i + 1), Currency: "CNY"}})
	}
	b, err := EncodePrompt(full)
	if err != nil || len(b) > MaxPrompt {
		t.Fatalf("the largest prompt: %d bytes, %v", len(b), err)
	}
	if _, err := DecodePrompt(b); err != nil {
		t.Fatalf("the largest prompt: %v", err)
	}
}

// DecodePrompt refuses what is not a well-formed prompt of its kind with
// ErrMalformed naming the field; EncodePrompt refuses the same prompts with
// pay.ErrInvalidRequest.
func TestPromptRejects(t *testing.T) {
	cny := pay.Money{Amount: 100, Currency: "CNY"}
	many := make([]BillItem, MaxBills+1)
	for i := range many {
		many[i] = BillItem{ID: pay.NewID(pay.PrefixBill), Amount: cny}
	}
	for _, c := range []struct {
		name  string
		p     Prompt
		param string
	}{
		{"no kind", Prompt{}, "kind"},
		{"unknown kind", Prompt{Kind: "ask"}, "kind"},
		{"bad reply-to", Prompt{Kind: PromptChooseBill, InReplyTo: "m1"}, "in_reply_to"},
		{"too many bills", Prompt{Kind: PromptChooseBill, Bills: many}, "bills"},
		{"bill twice", Prompt{Kind: PromptChooseBill, Bills: []BillItem{{ID: hIBill, Amount: cny}, {ID: hIBill, Amount: cny}}}, "bills[1].id"},
		{"bill not a bill", Prompt{Kind: PromptChooseBill, Bills: []BillItem{{ID: hIWallet, Amount: cny}}}, "bills[0].id"},
		{"bill without amount", Prompt{Kind: PromptChooseBill, Bills: []BillItem{{ID: hIBill}}}, "bills[0].amount.currency"},
		{"description with newline", Prompt{Kind: PromptChooseBill, Bills: []BillItem{{ID: hIBill, Amount: cny, Description: "a\nb"}}}, "bills[0].description"},
		{"description too long", Prompt{Kind: PromptChooseBill, Bills: []BillItem{{ID: hIBill, Amount: cny, Description: strings.Repeat("d", maxDescription+1)}}}, "bills[0].description"},
		{"choose with bill_id", Prompt{Kind: PromptChooseBill, BillID: hIBill}, "bill_id"},
		{"password without bill", Prompt{Kind: PromptEnterPassword, Amount: cny}, "bill_id"},
		{"password without amount", Prompt{Kind: PromptEnterPassword, BillID: hIBill}, "amount.currency"},
		{"password negative attempts", Prompt{Kind: PromptEnterPassword, BillID: hIBill, Amount: cny, AttemptsLeft: -1}, "attempts_left"},
		{"password with bills", Prompt{Kind: PromptEnterPassword, BillID: hIBill, Amount: cny, Bills: []BillItem{{ID: hIBill, Amount: cny}}}, "bills"},
		{"password with paid", Prompt{Kind: PromptEnterPassword, BillID: hIBill, Amount: cny, Paid: true}, "paid"},
		{"paid without transaction", Prompt{Kind: PromptResult, Paid: true, BillID: hIBill, Amount: cny}, "transaction_id"},
		{"paid without bill", Prompt{Kind: PromptResult, Paid: true, Amount: cny, TransactionID: hITxn}, "bill_id"},
		{"paid without amount", Prompt{Kind: PromptResult, Paid: true, BillID: hIBill, TransactionID: hITxn}, "amount.currency"},
		{"unpaid without reason", Prompt{Kind: PromptResult, BillID: hIBill}, "reason"},
		{"unpaid but cleared", Prompt{Kind: PromptResult, Cleared: true, Reason: "no"}, "cleared"},
		{"unpaid with transaction", Prompt{Kind: PromptResult, TransactionID: hITxn, Reason: "no"}, "transaction_id"},
		{"reason with control", Prompt{Kind: PromptResult, Reason: "no\x1b[2J"}, "reason"},
		{"result with code", Prompt{Kind: PromptResult, Reason: "no", Code: "x"}, "code"},
		{"error without code", Prompt{Kind: PromptError, Message: "m"}, "code"},
		{"error code upper-case", Prompt{Kind: PromptError, Code: "IM_BILL", Message: "m"}, "code"},
		{"error without message", Prompt{Kind: PromptError, Code: "im_bill"}, "message"},
		{"error with bill", Prompt{Kind: PromptError, Code: "im_bill", Message: "m", BillID: hIBill}, "bill_id"},
	} {
		b, err := EncodePrompt(c.p)
		var pe *pay.Error
		if b != nil || !errors.Is(err, pay.ErrInvalidRequest) || !errors.As(err, &pe) || pe.Param != c.param {
			t.Errorf("%s: EncodePrompt = %s, %v; want invalid_request on %s", c.name, b, err, c.param)
		}
		raw, _ := json.Marshal(c.p)
		got, err := DecodePrompt(raw)
		if !errors.Is(err, ErrMalformed) || !errors.As(err, &pe) || pe.Param != c.param {
			t.Errorf("%s: DecodePrompt = %v; want im_malformed on %s", c.name, err, c.param)
		}
		if diff := cmp.Diff(Prompt{}, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s: a Prompt with the error", c.name)
		}
	}
	for name, in := range map[string]string{
		"bills null":      `{"kind":"choose_bill","bills":null}`,
		"bill null":       `{"kind":"choose_bill","bills":[null]}`,
		"bill repeated":   `{"kind":"choose_bill","bills":[{"id":"` + hIBill + `","id":"` + hIBill2 + `","amount":{"amount":1,"currency":"CNY"}}]}`,
		"paid as string":  `{"kind":"result","paid":"true","reason":"x"}`,
		"unknown in bill": `{"kind":"choose_bill","bills":[{"id":"` + hIBill + `","amount":{"amount":1,"currency":"CNY"},"due":1}]}`,
		"too large":       `{"kind":"result","reason":"` + strings.Repeat("x", MaxPrompt) + `"}`,
	} {
		if _, err := DecodePrompt([]byte(in)); !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s: DecodePrompt = %v", name, err)
		}
	}
}

// ErrorPrompt carries a paykit error's code and message; Err turns the
// prompt back into an error that errors.Is matches with the sentinel; an
// error that is not a *pay.Error becomes internal_error without its text.
func TestErrorPrompt(t *testing.T) {
	for _, c := range []struct {
		err  error
		want *pay.Error
	}{
		{pay.Errorf(ErrBill, "bill_id", "the bill was already paid"), ErrBill},
		{fmt.Errorf("store: %w", pay.Errorf(ErrAmount, "amount", "86.40 CNY was expected")), ErrAmount},
		{pay.Errorf(pay.ErrInsufficientFunds, "", "insufficient funds"), pay.ErrInsufficientFunds},
		{errors.New("dial tcp 10.0.0.1:5432: secret detail 1234567890"), pay.ErrInternal},
	} {
		p := ErrorPrompt(c.err)
		b, err := EncodePrompt(p)
		if err != nil {
			t.Fatalf("%v: %v", c.err, err)
		}
		got, err := DecodePrompt(b)
		if err != nil {
			t.Fatal(err)
		}
		if !errors.Is(got.Err(), c.want) || got.Code != c.want.Code {
			t.Errorf("ErrorPrompt(%v).Err() = %v, want %s", c.err, got.Err(), c.want.Code)
		}
		if strings.Contains(got.Text(), "secret") || strings.Contains(got.Text(), "1234567890") {
			t.Errorf("the prompt shows the cause: %s", got.Text())
		}
	}
	if (Prompt{Kind: PromptResult}).Err() != nil {
		t.Error("a result prompt has an Err")
	}
}
