package emv

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/paykit-go/paykit/pay"
)

// Order is what a POS or payer's app needs from a scanned payload to start
// a payment: where the money goes, how much, and what to show and quote.
type Order struct {
	// Accounts are the receiving accounts, in ID order: card scheme
	// accounts (02–25) first, then merchant account templates (26–51).
	// The payer pays through one whose network it supports.
	Accounts []Account `json:"accounts"`
	// Amount is the amount to pay; its Currency is always set. When
	// HasAmount is false the payload carries no amount (a static code) and
	// the payer enters it; Amount.Amount is then 0.
	Amount    pay.Money `json:"amount"`
	HasAmount bool      `json:"has_amount"`
	// Tip says whether a tip or convenience fee applies (see Total).
	Tip Tip `json:"tip"`
	// Fee is the fixed convenience fee, when Tip is TipFixed.
	Fee pay.Money `json:"fee,omitzero"`
	// FeeBasisPoints is the percentage convenience fee in hundredths of a
	// percent (350 is 3.5 %), when Tip is TipPercent.
	FeeBasisPoints int64 `json:"fee_basis_points,omitempty"`
	// Reference is the merchant's reference for the payment: the reference
	// label (62.05), else the bill number (62.01). Prompt ("***") asks the
	// app to prompt the payer for it.
	Reference string `json:"reference,omitempty"`
	// Dynamic is true for a code made for this one payment (ID 01 is "12").
	Dynamic bool `json:"dynamic"`
	// The merchant, as the payload names it (fields that are absent are "").
	MerchantName string   `json:"merchant_name,omitempty"`
	MerchantCity string   `json:"merchant_city,omitempty"`
	Country      string   `json:"country,omitempty"`
	PostalCode   string   `json:"postal_code,omitempty"`
	MCC          string   `json:"mcc,omitempty"`
	Alt          Language `json:"alt,omitzero"` // the name and city in another language
}

// Account is one receiving account of a payload.
type Account struct {
	// ID is the data object's ID: 02–25 for a card scheme account, 26–51
	// for a merchant account template.
	ID string `json:"id"`
	// Network names the card scheme of an account 02–25 ("Visa",
	// "Mastercard", "EMVCo" …); it is "" for a template.
	Network string `json:"network,omitempty"`
	// Value is the merchant's account with the scheme, for 02–25.
	Value string `json:"value,omitempty"`
	// GUI names the network of a template (26–51), Fields its account data.
	GUI    string       `json:"gui,omitempty"`
	Fields []DataObject `json:"fields,omitempty"`
}

// Field returns the value of a template account's sub-object id, or "".
func (a Account) Field(id string) string { return lookup(a.Fields, id) }

// Tip is how a payload asks for a tip or convenience fee (ID 55).
type Tip string

// The tips of Order.Tip.
const (
	TipNone    Tip = ""        // no tip or fee
	TipPrompt  Tip = "prompt"  // the payer's app asks for a tip
	TipFixed   Tip = "fixed"   // Order.Fee is added
	TipPercent Tip = "percent" // Order.FeeBasisPoints of the amount is added
)

// schemes names the card schemes of IDs 02–25, by ID.
var schemes = [26]string{
	2: "Visa", 3: "Visa", 4: "Mastercard", 5: "Mastercard", 6: "EMVCo", 7: "EMVCo", 8: "EMVCo",
	9: "Discover", 10: "Discover", 11: "American Express", 12: "American Express", 13: "JCB", 14: "JCB",
	15: "UnionPay", 16: "UnionPay", 17: "EMVCo", 18: "EMVCo", 19: "EMVCo", 20: "EMVCo", 21: "EMVCo",
	22: "EMVCo", 23: "EMVCo", 24: "EMVCo", 25: "EMVCo",
}

// Order returns the payment p asks for. p is meant to come from Parse (a
// hand-made Payload should go through Build and Parse first, which check
// its formats). It needs at least one receiving account (02–51) and a
// currency (ErrIncomplete), a currency CurrencyAlpha knows (ErrCurrency),
// and, when present, a positive amount with no more decimals than the
// currency has (ErrValue). A fixed fee (55 = "02")
// needs ID 56 and a percentage (55 = "03") needs ID 57 between 0.01 and
// 99.99 with at most two decimals; a fee without its indicator is ignored,
// as the specification says it must be absent then.
func (p Payload) Order() (Order, error) {
	o := Order{
		Dynamic: p.Initiation == Dynamic, MerchantName: p.MerchantName, MerchantCity: p.MerchantCity,
		Country: p.Country, PostalCode: p.PostalCode, MCC: p.MCC, Alt: p.Language,
		Reference: p.AdditionalData.ReferenceLabel,
	}
	if o.Reference == "" {
		o.Reference = p.AdditionalData.BillNumber
	}
	o.Alt.Other = slices.Clone(o.Alt.Other)
	for _, a := range p.SchemeAccounts {
		acc := Account{ID: a.ID, Value: a.Value}
		if inRange(a.ID, 2, 25) {
			acc.Network = schemes[idNum(a.ID)]
		}
		o.Accounts = append(o.Accounts, acc)
	}
	for _, t := range p.MerchantAccounts {
		o.Accounts = append(o.Accounts, Account{ID: t.ID, GUI: t.GUI, Fields: slices.Clone(t.Fields)})
	}
	slices.SortStableFunc(o.Accounts, func(a, b Account) int { return strings.Compare(a.ID, b.ID) })
	if len(o.Accounts) == 0 {
		return Order{}, fail(ErrIncomplete, "26", "the payload names no receiving account (IDs 02–51)")
	}
	if p.Currency == "" {
		return Order{}, fail(ErrIncomplete, "53", "the payload has no transaction currency (ID 53)")
	}
	cur, err := CurrencyAlpha(p.Currency)
	if err != nil {
		return Order{}, err
	}
	o.Amount.Currency = cur
	if p.Amount != "" {
		m, err := money("54", p.Amount, cur)
		if err != nil {
			return Order{}, err
		}
		if m.Amount == 0 {
			return Order{}, fail(ErrValue, "54", "the transaction amount is zero")
		}
		o.Amount, o.HasAmount = m, true
	}
	switch p.TipIndicator {
	case TipIndicatorPrompt:
		o.Tip = TipPrompt
	case TipIndicatorFixed:
		if p.FeeFixed == "" {
			return Order{}, fail(ErrIncomplete, "56", "the tip indicator asks for a fixed fee but ID 56 is absent")
		}
		if o.Fee, err = money("56", p.FeeFixed, cur); err != nil {
			return Order{}, err
		}
		o.Tip = TipFixed
	case TipIndicatorPercent:
		if p.FeePercent == "" {
			return Order{}, fail(ErrIncomplete, "57", "the tip indicator asks for a percentage fee but ID 57 is absent")
		}
		if o.FeeBasisPoints, err = basisPoints(p.FeePercent); err != nil {
			return Order{}, err
		}
		o.Tip = TipPercent
	}
	return o, nil
}

// Total returns what the payer pays: the amount plus a fixed fee, or plus
// the percentage fee rounded half up to the currency's minor unit. A
// prompted tip is the payer's to add. It needs an amount (ErrIncomplete
// when the payer enters it: compute the fee on what they enter).
func (o Order) Total() (pay.Money, error) {
	if !o.HasAmount {
		return pay.Money{}, fail(ErrIncomplete, "54", "the payload has no amount; the payer enters it")
	}
	t := o.Amount
	var fee int64
	switch o.Tip {
	case TipFixed:
		if o.Fee.Currency != t.Currency {
			return pay.Money{}, fail(ErrValue, "56", "the fee's currency is not the amount's")
		}
		fee = o.Fee.Amount
	case TipPercent:
		if t.Amount < 0 || t.Amount > math.MaxInt64/10000 || o.FeeBasisPoints < 0 || o.FeeBasisPoints > 10000 {
			return pay.Money{}, fail(ErrValue, "57", "the amount or fee percentage is out of range")
		}
		fee = (t.Amount*o.FeeBasisPoints + 5000) / 10000
	}
	if fee < 0 || t.Amount > math.MaxInt64-fee {
		return pay.Money{}, fail(ErrValue, "56", "the fee is out of range")
	}
	t.Amount += fee
	return t, nil
}

// money parses a payload amount ("98.73", "98", "98.") in currency cur.
func money(id, v, cur string) (pay.Money, error) {
	m, err := pay.ParseMoney(strings.TrimSuffix(v, "."), cur)
	if err != nil || m.Amount < 0 {
		return pay.Money{}, fail(ErrValue, id, "%s (%s) is not an amount in %s", id, names[id], cur)
	}
	return m, nil
}

// basisPoints parses a fee percentage ("3", "3.5", "3.50") into hundredths
// of a percent, 1 to 9999.
func basisPoints(v string) (int64, error) {
	whole, frac, _ := strings.Cut(v, ".")
	bad := fail(ErrValue, "57", "the fee percentage is not from 0.01 to 99.99 with at most two decimals")
	if len(frac) > 2 || !digits(whole) || (frac != "" && !digits(frac)) {
		return 0, bad
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > 99 {
		return 0, bad
	}
	f, _ := strconv.ParseInt((frac + "00")[:2], 10, 64)
	bp := w*100 + f
	if bp < 1 || bp > 9999 {
		return 0, bad
	}
	return bp, nil
}
