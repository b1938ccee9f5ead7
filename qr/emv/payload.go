package emv

import (
	"slices"
	"strings"
)

// Values of the point of initiation method (ID 01).
const (
	// Static: the same code serves many payments; the payer usually enters
	// the amount. System C's counter-top collection code is static.
	Static = "11"
	// Dynamic: the code is made for one payment and usually carries its amount.
	Dynamic = "12"
)

// Values of the tip or convenience indicator (ID 55).
const (
	TipIndicatorPrompt  = "01" // the payer's app asks for a tip
	TipIndicatorFixed   = "02" // a fixed convenience fee, in ID 56
	TipIndicatorPercent = "03" // a percentage convenience fee, in ID 57
)

// Prompt is the value "***" that, in an additional data field such as the
// reference or customer label, asks the payer's app to prompt for it.
const Prompt = "***"

// Payload is a parsed or to-be-built merchant-presented payload. Every data
// object has a place: the common ones in named fields (empty when absent),
// the rest in the slices, so nothing a payload carries is lost. The payload
// format indicator (ID 00) is always "01" and the CRC (ID 63) is computed,
// so neither is a field Build reads.
//
// Parse fills the slices in ascending ID order; Build sorts a copy, so the
// order a caller uses doesn't matter.
type Payload struct {
	// Initiation is the point of initiation method (ID 01): Static,
	// Dynamic or "" (absent).
	Initiation string `json:"initiation,omitempty"`
	// SchemeAccounts are the primitive merchant account information objects
	// 02–25 that card schemes assign (02–03 Visa, 04–05 Mastercard, 09–10
	// Discover, 11–12 American Express, 13–14 JCB, 15–16 UnionPay; 06–08
	// and 17–25 EMVCo).
	SchemeAccounts []DataObject `json:"scheme_accounts,omitempty"`
	// MerchantAccounts are the merchant account information templates 26–51,
	// one per payment network the merchant is reachable on (Pix, PromptPay,
	// UPI …), each naming its network by GUI.
	MerchantAccounts []Template `json:"merchant_accounts,omitempty"`
	// MCC is the merchant category code (ID 52), four digits (ISO 18245).
	MCC string `json:"mcc,omitempty"`
	// Currency is the transaction currency (ID 53), the three-digit ISO 4217
	// numeric code ("156" for CNY); see CurrencyAlpha.
	Currency string `json:"currency,omitempty"`
	// Amount is the transaction amount (ID 54) in major units with "." as
	// the decimal mark ("23.72", "98", "98."); absent when the payer enters it.
	Amount string `json:"amount,omitempty"`
	// TipIndicator is the tip or convenience indicator (ID 55): one of the
	// TipIndicator constants, or "".
	TipIndicator string `json:"tip_indicator,omitempty"`
	// FeeFixed is the fixed convenience fee (ID 56), in the Amount's format.
	FeeFixed string `json:"fee_fixed,omitempty"`
	// FeePercent is the percentage convenience fee (ID 57), such as "3.5".
	FeePercent string `json:"fee_percent,omitempty"`
	// Country is the merchant's country (ID 58), ISO 3166-1 alpha-2 ("CN").
	Country string `json:"country,omitempty"`
	// MerchantName is the merchant's name (ID 59).
	MerchantName string `json:"merchant_name,omitempty"`
	// MerchantCity is the merchant's city (ID 60).
	MerchantCity string `json:"merchant_city,omitempty"`
	// PostalCode is the merchant's postal code (ID 61).
	PostalCode string `json:"postal_code,omitempty"`
	// AdditionalData is the additional data field template (ID 62).
	AdditionalData AdditionalData `json:"additional_data,omitzero"`
	// Language is the merchant information language template (ID 64): the
	// name and city in another language.
	Language Language `json:"language,omitzero"`
	// RFU are data objects 65–79, reserved for EMVCo, kept as read.
	RFU []DataObject `json:"rfu,omitempty"`
	// Unreserved are the unreserved templates 80–99, each with a GUI.
	Unreserved []Template `json:"unreserved,omitempty"`

	// CRC is the CRC (ID 63) as read: four hex digits. Build ignores it.
	CRC string `json:"crc,omitempty"`
	// Objects are the payload's top-level data objects as read, in the
	// order read, 00 and 63 included; templates' values are their raw text.
	// Build ignores it: it writes from the fields above.
	Objects []DataObject `json:"objects,omitempty"`
}

// Template is a data object whose value is a sequence of data objects led
// by a globally unique identifier (sub-ID 00): a merchant account template
// (26–51) or an unreserved template (80–99).
type Template struct {
	// ID is the template's ID.
	ID string `json:"id"`
	// GUI identifies whose template it is: an application identifier
	// ("A000000677010111" for PromptPay), a reverse domain name
	// ("br.gov.bcb.pix") or a UUID.
	GUI string `json:"gui"`
	// Fields are the sub-objects 01–99, meaning what the network defines
	// (Pix puts the key in 01, PromptPay the phone or tax ID in 01 or 02).
	Fields []DataObject `json:"fields,omitempty"`
}

// Field returns the value of sub-object id, or "" when there is none.
func (t Template) Field(id string) string { return lookup(t.Fields, id) }

// AdditionalData is the additional data field template (ID 62). Each
// string is "" when absent; Prompt ("***") asks the payer's app to prompt
// for it.
type AdditionalData struct {
	BillNumber          string `json:"bill_number,omitempty"`           // 01: invoice or bill number
	MobileNumber        string `json:"mobile_number,omitempty"`         // 02: for top-ups and bill payments
	StoreLabel          string `json:"store_label,omitempty"`           // 03: the store
	LoyaltyNumber       string `json:"loyalty_number,omitempty"`        // 04
	ReferenceLabel      string `json:"reference_label,omitempty"`       // 05: the merchant's reference for the transaction
	CustomerLabel       string `json:"customer_label,omitempty"`        // 06: a customer ID, subscription or account number
	TerminalLabel       string `json:"terminal_label,omitempty"`        // 07: the terminal
	Purpose             string `json:"purpose,omitempty"`               // 08: purpose of the transaction
	ConsumerDataRequest string `json:"consumer_data_request,omitempty"` // 09: what the app must collect: A address, M mobile, E email
	MerchantTaxID       string `json:"merchant_tax_id,omitempty"`       // 10
	MerchantChannel     string `json:"merchant_channel,omitempty"`      // 11: media, location and presence of the code
	// Other are sub-objects 00 and 12–99: RFU for EMVCo (12–49) and
	// payment-system-specific templates (50–99), kept as read.
	Other []DataObject `json:"other,omitempty"`
}

// additionalIDs names the typed fields of AdditionalData by sub-ID.
var additionalIDs = [...]string{"01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11"}

// fields returns pointers to the typed fields, in additionalIDs order.
func (a *AdditionalData) fields() [11]*string {
	return [11]*string{&a.BillNumber, &a.MobileNumber, &a.StoreLabel, &a.LoyaltyNumber, &a.ReferenceLabel,
		&a.CustomerLabel, &a.TerminalLabel, &a.Purpose, &a.ConsumerDataRequest, &a.MerchantTaxID, &a.MerchantChannel}
}

// Field returns the value of sub-object id ("05" is ReferenceLabel), or ""
// when there is none.
func (a AdditionalData) Field(id string) string {
	for i, f := range a.fields() {
		if additionalIDs[i] == id {
			return *f
		}
	}
	return lookup(a.Other, id)
}

// IsZero reports whether a holds nothing, so that Build leaves ID 62 out.
func (a AdditionalData) IsZero() bool {
	for _, f := range a.fields() {
		if *f != "" {
			return false
		}
	}
	return len(a.Other) == 0
}

// Language is the merchant information language template (ID 64).
type Language struct {
	Preference   string `json:"preference,omitempty"`    // 00: ISO 639-1 language code, "ZH"
	MerchantName string `json:"merchant_name,omitempty"` // 01: the name in that language
	MerchantCity string `json:"merchant_city,omitempty"` // 02: the city in that language
	// Other are sub-objects 03–99, RFU for EMVCo, kept as read.
	Other []DataObject `json:"other,omitempty"`
}

// IsZero reports whether l holds nothing, so that Build leaves ID 64 out.
func (l Language) IsZero() bool {
	return l.Preference == "" && l.MerchantName == "" && l.MerchantCity == "" && len(l.Other) == 0
}

// lookup returns the value of id in objs, or "".
func lookup(objs []DataObject, id string) string {
	if i := slices.IndexFunc(objs, func(o DataObject) bool { return o.ID == id }); i >= 0 {
		return objs[i].Value
	}
	return ""
}

// Complete reports, as ErrIncomplete whose Param lists the IDs, which data
// objects the specification makes mandatory are absent: a merchant account
// (02–51, reported as "26"), the MCC (52), currency (53), country (58),
// merchant name (59) and city (60); the fixed fee (56) or percentage (57)
// its tip indicator calls for; and, in a language template, the language
// (64.00) and name (64.01). Parse and Build don't require these, because
// real payloads omit them; a writer that wants the letter of the
// specification calls Complete before Build.
func (p Payload) Complete() error {
	var missing []string
	if len(p.SchemeAccounts) == 0 && len(p.MerchantAccounts) == 0 {
		missing = append(missing, "26")
	}
	for _, f := range []struct{ id, v string }{{"52", p.MCC}, {"53", p.Currency}, {"58", p.Country}, {"59", p.MerchantName}, {"60", p.MerchantCity}} {
		if f.v == "" {
			missing = append(missing, f.id)
		}
	}
	if p.TipIndicator == TipIndicatorFixed && p.FeeFixed == "" {
		missing = append(missing, "56")
	}
	if p.TipIndicator == TipIndicatorPercent && p.FeePercent == "" {
		missing = append(missing, "57")
	}
	if !p.Language.IsZero() {
		if p.Language.Preference == "" {
			missing = append(missing, "64.00")
		}
		if p.Language.MerchantName == "" {
			missing = append(missing, "64.01")
		}
	}
	if len(missing) == 0 {
		return nil
	}
	list := strings.Join(missing, ",")
	return fail(ErrIncomplete, list, "mandatory data objects are absent: %s", list)
}
