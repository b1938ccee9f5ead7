package emv

import (
	"errors"
	"strings"
	"testing"

	"github.com/paykit-go/paykit/pay"
)

// withCRC completes body (a payload up to its CRC) with "6304" and the
// correct CRC.
func withCRC(body string) string {
	body += "6304"
	return body + crcOf(body)
}

// isErr reports whether err matches kind and no other sentinel of this
// package, so a test can't pass on the wrong refusal.
func isErr(err error, kind *pay.Error) bool {
	if !errors.Is(err, kind) {
		return false
	}
	for _, other := range sentinels {
		if other != kind && errors.Is(err, other) {
			return false
		}
	}
	return true
}

var sentinels = []*pay.Error{ErrNotMPM, ErrEncoding, ErrTooLong, ErrID, ErrLength, ErrDuplicate,
	ErrCRCMissing, ErrCRCNotLast, ErrCRC, ErrValue, ErrIncomplete, ErrCurrency}

// TestParseRefuses: each malformed payload is refused with its own
// sentinel, naming the data object at fault (Param).
func TestParseRefuses(t *testing.T) {
	good := withCRC("000201" + "0102" + "11" + "2620" + "0006x.test" + "0106123456" + "5303156" + "5802CN")
	if _, err := Parse(good); err != nil {
		t.Fatalf("the base payload is refused: %v", err)
	}
	flip := func(s string, i int) string {
		b := []byte(s)
		b[i] ^= 0x01
		return string(b)
	}
	for _, tc := range []struct {
		name  string
		in    string
		kind  *pay.Error
		param string
	}{
		{"empty", "", ErrNotMPM, "00"},
		{"a URL", "https://pay.example/x", ErrNotMPM, "00"},
		{"format version 02", "000202" + good[6:], ErrNotMPM, "00"},
		{"CRC off by one bit", flip(good, len(good)-1), ErrCRC, "63"},
		{"payload bit flipped", strings.Replace(good, "5802CN", "5802CO", 1), ErrCRC, "63"},
		{"CRC not hex", good[:len(good)-4] + "12G4", ErrCRC, "63"},
		{"CRC three digits", withCRC("000201")[:6] + "6303ABC", ErrCRC, "63"},
		{"CRC missing", "000201" + "5802CN", ErrCRCMissing, "63"},
		{"CRC not last", good + "5902AB", ErrCRCNotLast, "63"},
		{"two CRCs, the last correct", withCRC("000201" + "63041234" + "5802CN"), ErrDuplicate, "63"},
		{"CRC in the middle only", "000201" + "6304ABCD" + "5802CN", ErrCRCNotLast, "63"},
		{"length not digits", withCRC("000201" + "59A4ABCD"), ErrLength, "59"},
		{"length zero", withCRC("000201" + "5900"), ErrLength, "59"},
		{"length past the end", "000201" + "5999ABC", ErrLength, "59"},
		{"truncated header", "000201" + "59", ErrLength, ""},
		{"truncated CRC", good[:len(good)-2], ErrLength, "63"},
		{"ID not digits", withCRC("000201" + "A102CN"), ErrID, ""},
		{"duplicate top level", withCRC("000201" + "5802CN" + "5802TH"), ErrDuplicate, "58"},
		{"duplicate in a template", withCRC("000201" + "6214" + "0503abc" + "0503def"), ErrDuplicate, "62.05"},
		{"bad length in a template", withCRC("000201" + "6207" + "0599abc"), ErrLength, "62.05"},
		{"template not TLV", withCRC("000201" + "2606" + "x.test"), ErrID, "26"},
		{"template without GUI", withCRC("000201" + "2608" + "0104acct"), ErrIncomplete, "26.00"},
		{"unreserved without GUI", withCRC("000201" + "9108" + "0104acct"), ErrIncomplete, "91.00"},
		{"too long", withCRC("000201" + strings.Repeat("6504abcd", 63)), ErrTooLong, ""},
		{"invalid UTF-8", withCRC("000201" + "5902\xff\xfe"), ErrEncoding, ""},
		{"newline", withCRC("000201"+"5802CN") + "\n", ErrEncoding, ""},
		{"C1 control", withCRC("000201" + "5901\u0085"), ErrEncoding, ""},
		{"initiation 13", withCRC("000201" + "010213"), ErrValue, "01"},
		{"MCC with a letter", withCRC("000201" + "520441a1"), ErrValue, "52"},
		{"currency letters", withCRC("000201" + "5303CNY"), ErrValue, "53"},
		{"amount with a comma", withCRC("000201" + "540512,50"), ErrValue, "54"},
		{"amount two dots", withCRC("000201" + "54051.2.5"), ErrValue, "54"},
		{"amount leading dot", withCRC("000201" + "5402.5"), ErrValue, "54"},
		{"amount signed", withCRC("000201" + "5402-5"), ErrValue, "54"},
		{"amount 14 characters", withCRC("000201" + "541412345678901234"), ErrValue, "54"},
		{"tip indicator 04", withCRC("000201" + "550204"), ErrValue, "55"},
		{"fee fixed letters", withCRC("000201" + "5601x"), ErrValue, "56"},
		{"fee percent 6 characters", withCRC("000201" + "5706100.00"), ErrValue, "57"},
		{"country lower case", withCRC("000201" + "5802cn"), ErrValue, "58"},
		{"country three letters", withCRC("000201" + "5803CHN"), ErrValue, "58"},
		{"language not letters", withCRC("000201" + "6406" + "0002Z1"), ErrValue, "64.00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(tc.in)
			if !isErr(err, tc.kind) {
				t.Fatalf("Parse = %v; want %s", err, tc.kind.Code)
			}
			var pe *pay.Error
			if !errors.As(err, &pe) || pe.Param != tc.param {
				t.Errorf("Param = %q; want %q (%v)", pe.Param, tc.param, err)
			}
			if p.Objects != nil || p.MerchantName != "" || p.Country != "" {
				t.Errorf("a refused payload returned fields: %+v", p)
			}
		})
	}
}

// TestParseErrorsDontEcho: an error names IDs and offsets, never a value:
// a merchant's 16-digit scheme account next to a bad field stays out.
func TestParseErrorsDontEcho(t *testing.T) {
	const pan = "4111111111111111"
	for _, s := range []string{
		withCRC("000201" + "0216" + pan + "5303CNY"),
		withCRC("000201" + "0216" + pan + "0216" + pan),
		withCRC("000201" + "2620" + "0104" + pan[:4] + "0106" + pan[:6] + "0216" + pan),
		withCRC("000201" + "0216" + pan)[:30] + "0000",
		"000201" + "0216" + pan + "6304FFFF",
	} {
		_, err := Parse(s)
		if err == nil {
			t.Fatalf("Parse(%q) accepted", s)
		}
		if msg := err.Error(); strings.Contains(msg, pan[:6]) || strings.Contains(msg, "CNY") {
			t.Errorf("error echoes a value: %s", msg)
		}
	}
}

// TestParseErrorOffsets: errors say where, in characters: the bad length
// after six Chinese characters is at character 32, though at byte 44.
func TestParseErrorOffsets(t *testing.T) {
	s := withCRC("000201" + "6420" + "0002ZH" + "0104最佳运输" + "0202北京" + "59A1x")
	_, err := Parse(s)
	if !isErr(err, ErrLength) || !strings.Contains(err.Error(), "character 32") {
		t.Fatalf("Parse = %v; want ErrLength at character 32", err)
	}
	// Inside a template, the offset counts from the payload's start.
	s = withCRC("000201" + "6420" + "0002ZH" + "0104最佳运输" + "02x2北京")
	_, err = Parse(s)
	if !isErr(err, ErrLength) || !strings.Contains(err.Error(), "character 26") {
		t.Fatalf("Parse = %v; want ErrLength at character 26", err)
	}
}
