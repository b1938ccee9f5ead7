package emv

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/paykit-go/paykit/internal/crc16"
)

// header is how every payload begins: the payload format indicator (ID 00)
// with the only defined version, "01".
const header = "000201"

// Parse reads a merchant-presented payload, as scanned from a QR code.
//
// It checks, in this order, and stops at the first failure: the text
// begins with "000201" (ErrNotMPM); it is at most MaxLen characters
// (ErrTooLong) of valid UTF-8 without control characters (ErrEncoding); it
// splits into data objects with two-digit IDs and lengths, non-empty values
// and no ID twice (ErrID, ErrLength, ErrDuplicate); the CRC is present
// (ErrCRCMissing), last (ErrCRCNotLast), four hex digits and correct
// (ErrCRC); then each data object: templates split the same way, each
// merchant account and unreserved template has its GUI (ErrIncomplete), and
// every value with a fixed format has it (ErrValue; the formats are listed
// in the package documentation).
//
// It is lenient in two ways only, because real payloads need it: data
// objects the specification calls mandatory may be absent (a PromptPay code
// has no MCC, name or city), and data objects may come in any order after
// 00. The CRC's hex digits may be in either case.
func Parse(s string) (Payload, error) {
	if !strings.HasPrefix(s, header) {
		return Payload{}, fail(ErrNotMPM, "00", "the payload does not begin with the payload format indicator %q", header)
	}
	if len(s) > utf8.UTFMax*MaxLen { // more than MaxLen characters whatever they are
		return Payload{}, fail(ErrTooLong, "", "the payload is %d bytes long; at most %d characters are allowed", len(s), MaxLen)
	}
	if err := checkText(s, 0, ""); err != nil {
		return Payload{}, err
	}
	if n := utf8.RuneCountInString(s); n > MaxLen {
		return Payload{}, fail(ErrTooLong, "", "the payload is %d characters long; at most %d are allowed", n, MaxLen)
	}
	objs, err := scan(s, 0, "")
	if err != nil {
		return Payload{}, err
	}
	if err := checkCRC(s, objs); err != nil {
		return Payload{}, err
	}
	var p Payload
	p.Objects = make([]DataObject, len(objs))
	for i, o := range objs {
		p.Objects[i] = o.DataObject
		if err := p.set(o); err != nil {
			return Payload{}, err
		}
	}
	byID := func(a, b DataObject) int { return strings.Compare(a.ID, b.ID) }
	slices.SortFunc(p.SchemeAccounts, byID)
	slices.SortFunc(p.RFU, byID)
	tByID := func(a, b Template) int { return strings.Compare(a.ID, b.ID) }
	slices.SortFunc(p.MerchantAccounts, tByID)
	slices.SortFunc(p.Unreserved, tByID)
	return p, nil
}

// checkCRC checks that ID 63 is present, last, four hex digits, and the
// CRC-16/CCITT-FALSE of the UTF-8 bytes before its value.
func checkCRC(s string, objs []object) error {
	i := slices.IndexFunc(objs, func(o object) bool { return o.ID == "63" })
	switch {
	case i < 0:
		return fail(ErrCRCMissing, "63", "the payload has no CRC (ID 63)")
	case i != len(objs)-1:
		return fail(ErrCRCNotLast, "63", "the CRC (ID 63) at character %d is followed by %d more data objects", objs[i].at, len(objs)-1-i)
	}
	v := objs[i].Value
	if len(v) != 4 || !hex(v) {
		return fail(ErrCRC, "63", "the CRC (ID 63) is not four hex digits")
	}
	if want := crcOf(s[:len(s)-4]); !strings.EqualFold(v, want) {
		return fail(ErrCRC, "63", "the CRC (ID 63) does not match the payload")
	}
	return nil
}

// crcOf is the CRC value for a payload that ends in "6304": four
// upper-case hex digits.
func crcOf(s string) string { return fmt.Sprintf("%04X", crc16.Checksum([]byte(s))) }

// set files one top-level data object into p.
func (p *Payload) set(o object) error {
	id, v := o.ID, o.Value
	n := idNum(id)
	switch {
	case n == 0:
		// The header check fixed it at "01".
	case n >= 2 && n <= 25:
		p.SchemeAccounts = append(p.SchemeAccounts, o.DataObject)
	case n >= 26 && n <= 51, n >= 80 && n <= 99:
		t, err := parseTemplate(o)
		if err != nil {
			return err
		}
		if n <= 51 {
			p.MerchantAccounts = append(p.MerchantAccounts, t)
		} else {
			p.Unreserved = append(p.Unreserved, t)
		}
	case n == 62:
		return p.AdditionalData.parse(o)
	case n == 63:
		p.CRC = v
	case n == 64:
		return p.Language.parse(o)
	case n >= 65 && n <= 79:
		p.RFU = append(p.RFU, o.DataObject)
	default: // 01 and 52–61: primitiveIDs[0] and [1:]
		if err := checkFormat(id, v); err != nil {
			return err
		}
		i := 0
		if n > 1 {
			i = n - 51
		}
		*p.primitives()[i] = v
	}
	return nil
}

// primitiveIDs are the top-level primitives with a named field, in the
// order Build writes them (01 before the accounts, the rest after).
var primitiveIDs = [...]string{"01", "52", "53", "54", "55", "56", "57", "58", "59", "60", "61"}

// primitives returns pointers to the fields of primitiveIDs, in that order.
func (p *Payload) primitives() [len(primitiveIDs)]*string {
	return [...]*string{&p.Initiation, &p.MCC, &p.Currency, &p.Amount, &p.TipIndicator, &p.FeeFixed,
		&p.FeePercent, &p.Country, &p.MerchantName, &p.MerchantCity, &p.PostalCode}
}

// inner splits a template's value.
func inner(o object) ([]object, error) { return scan(o.Value, o.at+4, o.ID) }

// parseTemplate reads a merchant account or unreserved template.
func parseTemplate(o object) (Template, error) {
	subs, err := inner(o)
	if err != nil {
		return Template{}, err
	}
	t := Template{ID: o.ID}
	for _, s := range subs {
		if s.ID == "00" {
			t.GUI = s.Value
		} else {
			t.Fields = append(t.Fields, s.DataObject)
		}
	}
	if t.GUI == "" {
		return Template{}, fail(ErrIncomplete, join(o.ID, "00"), "template %s at character %d has no globally unique identifier (sub-ID 00)", o.ID, o.at)
	}
	slices.SortFunc(t.Fields, func(a, b DataObject) int { return strings.Compare(a.ID, b.ID) })
	return t, nil
}

// parse reads the additional data field template.
func (a *AdditionalData) parse(o object) error {
	subs, err := inner(o)
	if err != nil {
		return err
	}
	fields := a.fields()
	for _, s := range subs {
		if n := idNum(s.ID); n >= 1 && n <= len(fields) {
			*fields[n-1] = s.Value
		} else {
			a.Other = append(a.Other, s.DataObject)
		}
	}
	slices.SortFunc(a.Other, func(a, b DataObject) int { return strings.Compare(a.ID, b.ID) })
	return nil
}

// parse reads the merchant information language template.
func (l *Language) parse(o object) error {
	subs, err := inner(o)
	if err != nil {
		return err
	}
	for _, s := range subs {
		switch s.ID {
		case "00":
			if err := checkFormat("64.00", s.Value); err != nil {
				return err
			}
			l.Preference = s.Value
		case "01":
			l.MerchantName = s.Value
		case "02":
			l.MerchantCity = s.Value
		default:
			l.Other = append(l.Other, s.DataObject)
		}
	}
	slices.SortFunc(l.Other, func(a, b DataObject) int { return strings.Compare(a.ID, b.ID) })
	return nil
}

// hex reports whether s is all hex digits, either case.
func hex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'F' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
