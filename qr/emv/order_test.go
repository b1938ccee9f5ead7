package emv

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/pay"
)

// TestOrderVectors: what a POS gets from each vector: the receiving
// accounts with GUI and fields, the amount as pay.Money in the currency's
// letters, the reference, the merchant.
func TestOrderVectors(t *testing.T) {
	for _, tc := range []struct {
		name string
		want Order
	}{
		{"emvco_example_nonascii", Order{
			Accounts: []Account{
				{ID: "29", GUI: "D15600000000", Fields: []DataObject{{"05", "A93FO3230Q"}}},
				{ID: "31", GUI: "D15600000001", Fields: []DataObject{{"03", "12345678"}}},
			},
			Amount: pay.Money{Amount: 2372, Currency: "CNY"}, HasAmount: true, Tip: TipPrompt, Dynamic: true,
			MerchantName: "BEST TRANSPORT", MerchantCity: "BEIJING", Country: "CN", MCC: "4111",
			Alt: Language{Preference: "ZH", MerchantName: "最佳运输", MerchantCity: "北京"},
		}},
		{"pix_bcb_manual", Order{
			Accounts: []Account{{ID: "26", GUI: "br.gov.bcb.pix", Fields: []DataObject{{"01", "123e4567-e12b-12d1-a456-426655440000"}}}},
			Amount:   pay.Money{Currency: "BRL"}, Reference: Prompt,
			MerchantName: "Fulano de Tal", MerchantCity: "BRASILIA", Country: "BR", MCC: "0000",
		}},
		{"promptpay_static", Order{
			Accounts: []Account{{ID: "29", GUI: "A000000677010111", Fields: []DataObject{{"01", "0066801234567"}}}},
			Amount:   pay.Money{Currency: "THB"}, Country: "TH",
		}},
		{"promptpay_amount", Order{
			Accounts: []Account{{ID: "29", GUI: "A000000677010111", Fields: []DataObject{{"01", "0066000000000"}}}},
			Amount:   pay.Money{Amount: 422, Currency: "THB"}, HasAmount: true, Dynamic: true, Country: "TH",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(vector(t, tc.name))
			if err != nil {
				t.Fatal(err)
			}
			o, err := p.Order()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, o); diff != "" {
				t.Fatalf("Order (-want +got):\n%s", diff)
			}
		})
	}
}

// TestOrder covers scheme accounts, the bill number as reference, fees,
// totals, and each refusal.
func TestOrder(t *testing.T) {
	base := func() Payload {
		return Payload{
			SchemeAccounts:   []DataObject{{"04", "5555444433332222"}, {"02", "4111111111111111"}},
			MerchantAccounts: []Template{{ID: "26", GUI: "x.test", Fields: []DataObject{{"01", "acct"}}}},
			Currency:         "156", Amount: "100.00",
			AdditionalData: AdditionalData{BillNumber: "INV-7"},
		}
	}
	p := base()
	o, err := p.Order()
	if err != nil {
		t.Fatal(err)
	}
	wantAccounts := []Account{
		{ID: "02", Network: "Visa", Value: "4111111111111111"},
		{ID: "04", Network: "Mastercard", Value: "5555444433332222"},
		{ID: "26", GUI: "x.test", Fields: []DataObject{{"01", "acct"}}},
	}
	if diff := cmp.Diff(wantAccounts, o.Accounts); diff != "" {
		t.Fatalf("Accounts (-want +got):\n%s", diff)
	}
	if o.Reference != "INV-7" || o.Accounts[2].Field("01") != "acct" {
		t.Fatalf("Reference %q, Field %q", o.Reference, o.Accounts[2].Field("01"))
	}
	p.AdditionalData.ReferenceLabel = "REF-1"
	if o, _ := p.Order(); o.Reference != "REF-1" {
		t.Fatalf("the reference label must win over the bill number: %q", o.Reference)
	}

	// Totals: a fixed fee; a percentage rounded half up; a prompted tip.
	for _, tc := range []struct {
		amount, tip, fixed, percent string
		cur                         string
		want                        int64
	}{
		{"100.00", "02", "2.50", "", "156", 10250},
		{"100.00", "03", "", "3.5", "156", 10350},
		{"0.10", "03", "", "5", "156", 11},      // 0.5 fen rounds up
		{"0.10", "03", "", "4.99", "156", 10},   // 0.499 rounds down
		{"999", "03", "", "99.99", "392", 1998}, // JPY has no decimals: 998.9001 → 999
		{"12.34", "01", "", "", "156", 1234},
		{"12.34", "", "9", "9", "156", 1234}, // fees without their indicator are ignored
		{"98.", "", "", "", "840", 9800},
	} {
		p := base()
		p.Currency, p.Amount, p.TipIndicator, p.FeeFixed, p.FeePercent = tc.cur, tc.amount, tc.tip, tc.fixed, tc.percent
		o, err := p.Order()
		if err != nil {
			t.Fatalf("%+v: Order = %v", tc, err)
		}
		total, err := o.Total()
		if err != nil || total.Amount != tc.want {
			t.Fatalf("%+v: Total = %v, %v; want %d", tc, total, err, tc.want)
		}
	}

	for _, tc := range []struct {
		name  string
		edit  func(*Payload)
		kind  *pay.Error
		param string
	}{
		{"no account", func(p *Payload) { p.SchemeAccounts, p.MerchantAccounts = nil, nil }, ErrIncomplete, "26"},
		{"no currency", func(p *Payload) { p.Currency = "" }, ErrIncomplete, "53"},
		{"unknown currency", func(p *Payload) { p.Currency = "999" }, ErrCurrency, "53"},
		{"too many decimals", func(p *Payload) { p.Currency, p.Amount = "392", "100.5" }, ErrValue, "54"},
		{"zero amount", func(p *Payload) { p.Amount = "0.00" }, ErrValue, "54"},
		{"fixed fee absent", func(p *Payload) { p.TipIndicator = "02" }, ErrIncomplete, "56"},
		{"fixed fee decimals", func(p *Payload) { p.TipIndicator, p.FeeFixed = "02", "1.001" }, ErrValue, "56"},
		{"percent absent", func(p *Payload) { p.TipIndicator = "03" }, ErrIncomplete, "57"},
		{"percent 100", func(p *Payload) { p.TipIndicator, p.FeePercent = "03", "100" }, ErrValue, "57"},
		{"percent 0", func(p *Payload) { p.TipIndicator, p.FeePercent = "03", "0.00" }, ErrValue, "57"},
		{"percent 3 decimals", func(p *Payload) { p.TipIndicator, p.FeePercent = "03", "1.125" }, ErrValue, "57"},
	} {
		p := base()
		tc.edit(&p)
		o, err := p.Order()
		var pe *pay.Error
		if !isErr(err, tc.kind) || !errors.As(err, &pe) || pe.Param != tc.param {
			t.Errorf("%s: Order = %v; want %s on %s", tc.name, err, tc.kind.Code, tc.param)
		}
		if o.Accounts != nil || o.Amount != (pay.Money{}) {
			t.Errorf("%s: a refused order returned fields", tc.name)
		}
	}

	// No amount: the payer enters it, and Total says so.
	p = base()
	p.Amount = ""
	o, err = p.Order()
	if err != nil || o.HasAmount || o.Amount != (pay.Money{Currency: "CNY"}) {
		t.Fatalf("static order = %+v, %v", o, err)
	}
	if _, err := o.Total(); !isErr(err, ErrIncomplete) {
		t.Fatalf("Total without an amount = %v", err)
	}
}

// TestCurrencyTable: every alphabetic code of the table is an ISO 4217
// code golang.org/x/text knows, the table maps both ways one to one, the
// brief's currencies are all there, and anything else is ErrCurrency.
func TestCurrencyTable(t *testing.T) {
	if len(numericToAlpha) != len(alphaToNumeric) {
		t.Fatalf("table is not one to one: %d numeric, %d alphabetic", len(numericToAlpha), len(alphaToNumeric))
	}
	for n, a := range numericToAlpha {
		if len(n) != 3 || !digits(n) {
			t.Errorf("numeric code %q", n)
		}
		if _, err := pay.CurrencyExponent(a); err != nil {
			t.Errorf("%s: %v", a, err)
		}
		if got, err := CurrencyNumeric(a); err != nil || got != n {
			t.Errorf("CurrencyNumeric(%s) = %s, %v; want %s", a, got, err, n)
		}
	}
	for n, a := range map[string]string{"156": "CNY", "840": "USD", "978": "EUR", "764": "THB", "986": "BRL", "702": "SGD",
		"344": "HKD", "392": "JPY", "826": "GBP", "356": "INR", "360": "IDR", "458": "MYR", "704": "VND", "608": "PHP",
		"410": "KRW", "036": "AUD"} {
		if got, err := CurrencyAlpha(n); err != nil || got != a {
			t.Errorf("CurrencyAlpha(%s) = %s, %v; want %s", n, got, err, a)
		}
	}
	for _, n := range []string{"", "999", "36", "0036", "CNY", "15a"} {
		if _, err := CurrencyAlpha(n); !isErr(err, ErrCurrency) {
			t.Errorf("CurrencyAlpha(%q) = %v", n, err)
		}
	}
	for _, a := range []string{"", "cny", "XYZ", "156"} {
		if _, err := CurrencyNumeric(a); !isErr(err, ErrCurrency) {
			t.Errorf("CurrencyNumeric(%q) = %v", a, err)
		}
	}
}
