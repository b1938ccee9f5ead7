package emv

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// vector returns the shared vector payload called name.
func vector(t testing.TB, name string) string {
	t.Helper()
	for _, pv := range loadVectors(t).Payloads {
		if pv.Name == name {
			return pv.Payload
		}
	}
	t.Fatalf("no vector %q", name)
	return ""
}

// ignoreRaw leaves out what Parse records as read, to compare the fields.
var ignoreRaw = cmpopts.IgnoreFields(Payload{}, "CRC", "Objects")

// TestParseVectorsFully: each vector parses to exactly these fields, every
// data object of the payload in its place (the EMVCo example's two merchant
// account templates, unreserved template 91, tip prompt, four additional
// data fields and the Chinese language template), and nothing else.
func TestParseVectorsFully(t *testing.T) {
	for _, tc := range []struct {
		name    string
		want    Payload
		objects []string // IDs of Payload.Objects, in the order read
	}{
		{"emvco_example_nonascii", Payload{
			Initiation: Dynamic,
			MerchantAccounts: []Template{
				{ID: "29", GUI: "D15600000000", Fields: []DataObject{{"05", "A93FO3230Q"}}},
				{ID: "31", GUI: "D15600000001", Fields: []DataObject{{"03", "12345678"}}},
			},
			MCC: "4111", Currency: "156", Amount: "23.72", TipIndicator: TipIndicatorPrompt,
			Country: "CN", MerchantName: "BEST TRANSPORT", MerchantCity: "BEIJING",
			AdditionalData: AdditionalData{StoreLabel: "1234", CustomerLabel: Prompt, TerminalLabel: "A6008667", ConsumerDataRequest: "ME"},
			Language:       Language{Preference: "ZH", MerchantName: "最佳运输", MerchantCity: "北京"},
			Unreserved:     []Template{{ID: "91", GUI: "A011223344998877", Fields: []DataObject{{"07", "12345678"}}}},
		}, []string{"00", "01", "29", "31", "52", "58", "59", "60", "64", "54", "53", "55", "62", "91", "63"}},
		{"pix_bcb_manual", Payload{
			MerchantAccounts: []Template{{ID: "26", GUI: "br.gov.bcb.pix", Fields: []DataObject{{"01", "123e4567-e12b-12d1-a456-426655440000"}}}},
			MCC:              "0000", Currency: "986", Country: "BR", MerchantName: "Fulano de Tal", MerchantCity: "BRASILIA",
			AdditionalData: AdditionalData{ReferenceLabel: Prompt},
		}, []string{"00", "26", "52", "53", "58", "59", "60", "62", "63"}},
		{"promptpay_static", Payload{
			Initiation:       Static,
			MerchantAccounts: []Template{{ID: "29", GUI: "A000000677010111", Fields: []DataObject{{"01", "0066801234567"}}}},
			Currency:         "764", Country: "TH",
		}, []string{"00", "01", "29", "58", "53", "63"}},
		{"promptpay_amount", Payload{
			Initiation:       Dynamic,
			MerchantAccounts: []Template{{ID: "29", GUI: "A000000677010111", Fields: []DataObject{{"01", "0066000000000"}}}},
			Currency:         "764", Amount: "4.22", Country: "TH",
		}, []string{"00", "01", "29", "58", "53", "54", "63"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := vector(t, tc.name)
			p, err := Parse(s)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, p, ignoreRaw); diff != "" {
				t.Errorf("Parse (-want +got):\n%s", diff)
			}
			var ids []string
			rebuilt := ""
			for _, o := range p.Objects {
				ids = append(ids, o.ID)
				enc, err := EncodeObjects([]DataObject{o})
				if err != nil {
					t.Fatal(err)
				}
				rebuilt += enc
			}
			if diff := cmp.Diff(tc.objects, ids); diff != "" {
				t.Errorf("Objects IDs (-want +got):\n%s", diff)
			}
			if rebuilt != s {
				t.Errorf("Objects re-encoded = %q; want the payload %q", rebuilt, s)
			}
			if p.CRC != s[len(s)-4:] {
				t.Errorf("CRC = %q", p.CRC)
			}
		})
	}
}

// TestParseLenient: what real payloads do and Parse accepts: IDs in any
// order after 00 (top level and inside templates), a lower-case CRC, no
// mandatory fields, an amount with a bare decimal mark, non-ASCII text.
func TestParseLenient(t *testing.T) {
	for _, tc := range []struct {
		name string
		body string // the payload up to "6304"
		want Payload
	}{
		{"minimal", "000201", Payload{}},
		{"out of order", "000201" + "5802TH" + "5303764" + "0102" + "11",
			Payload{Initiation: Static, Currency: "764", Country: "TH"}},
		{"template subs out of order", "000201" + tlv("26", tlv("01", "acct")+tlv("00", "x.test")+tlv("02", "zz")),
			Payload{MerchantAccounts: []Template{{ID: "26", GUI: "x.test", Fields: []DataObject{{"01", "acct"}, {"02", "zz"}}}}}},
		{"bare decimal mark", "000201" + "540398.", Payload{Amount: "98."}},
		{"other additional data", "000201" + tlv("62", tlv("50", tlv("00", "abcd"))+tlv("05", "r1")),
			Payload{AdditionalData: AdditionalData{ReferenceLabel: "r1", Other: []DataObject{{"50", "0004abcd"}}}}},
		{"scheme accounts and RFU", "000201" + "0404mc01" + "0204visa" + "7002zz",
			Payload{SchemeAccounts: []DataObject{{"02", "visa"}, {"04", "mc01"}}, RFU: []DataObject{{"70", "zz"}}}},
		{"non-ASCII name", "000201" + "5904Café" + tlv("64", "0104Café"), Payload{MerchantName: "Café", Language: Language{MerchantName: "Café"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := withCRC(tc.body)
			p, err := Parse(s)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, p, ignoreRaw); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	// A lower-case CRC is the same CRC.
	s := withCRC("000201" + "5802TH")
	lower := s[:len(s)-4] + toLower(s[len(s)-4:])
	if lower == s {
		s = withCRC("000201" + "5802CN")
		lower = s[:len(s)-4] + toLower(s[len(s)-4:])
	}
	if lower == s {
		t.Fatal("test needs a CRC with a letter")
	}
	if p, err := Parse(lower); err != nil || p.Country == "" {
		t.Fatalf("lower-case CRC: %v", err)
	}
}

func toLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// tlv writes one data object, its length in characters.
func tlv(id, v string) string {
	n := len([]rune(v))
	return id + string(rune('0'+n/10)) + string(rune('0'+n%10)) + v
}
