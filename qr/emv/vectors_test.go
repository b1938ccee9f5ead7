package emv

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// vectorFile is ../shared/vectors/emv_mpm.json relative to the repository
// root, three levels up from this package.
var vectorFile = filepath.Join("..", "..", "..", "shared", "vectors", "emv_mpm.json")

type vectorFileT struct {
	CRCCheck struct{ Input, CRC string } `json:"crc_check"`
	Payloads []struct {
		Name    string
		Payload string
		Expect  map[string]json.RawMessage
	}
}

// readVectors reads the vector file, or fails when it is absent.
func readVectors() (vectorFileT, error) {
	var v vectorFileT
	raw, err := os.ReadFile(vectorFile)
	if err != nil {
		return v, err
	}
	return v, json.Unmarshal(raw, &v)
}

// loadVectors reads the vector file, skipping t when it is absent.
func loadVectors(t testing.TB) vectorFileT {
	t.Helper()
	v, err := readVectors()
	if errors.Is(err, fs.ErrNotExist) {
		t.Skip("shared vectors not present:", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Payloads) == 0 || v.CRCCheck.Input == "" {
		t.Fatal("vector file has no payloads or no CRC check")
	}
	return v
}

// simpleKeys maps an expect key to the top-level ID whose value it names
// and the Payload field that must hold the same value.
var simpleKeys = map[string]struct {
	id    string
	field func(Payload) string
}{
	"point_of_initiation": {"01", func(p Payload) string { return p.Initiation }},
	"mcc":                 {"52", func(p Payload) string { return p.MCC }},
	"currency":            {"53", func(p Payload) string { return p.Currency }},
	"amount":              {"54", func(p Payload) string { return p.Amount }},
	"country":             {"58", func(p Payload) string { return p.Country }},
	"merchant_name":       {"59", func(p Payload) string { return p.MerchantName }},
	"merchant_city":       {"60", func(p Payload) string { return p.MerchantCity }},
	"crc":                 {"63", func(p Payload) string { return p.CRC }},
}

var (
	accountGUIKey = regexp.MustCompile(`^merchant_account_(\d\d)_gui$`)
	additionalKey = regexp.MustCompile(`^additional_data_(\d\d)_[a-z_]+$`)
)

// TestVectors: every payload of the shared vectors parses, and each
// expectation holds both in the typed field and in the raw data object it
// comes from. An expect key this test doesn't know fails it, so a new
// vector can't pass unchecked.
func TestVectors(t *testing.T) {
	v := loadVectors(t)
	checked := 0
	for _, pv := range v.Payloads {
		t.Run(pv.Name, func(t *testing.T) {
			p, err := Parse(pv.Payload)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if len(pv.Expect) == 0 {
				t.Fatal("vector has no expectations")
			}
			for key, raw := range pv.Expect {
				checked++
				if key == "note" { // prose for the reader of the vector file
					continue
				}
				if key == "alt_language" {
					var want map[string]string
					if err := json.Unmarshal(raw, &want); err != nil {
						t.Fatalf("%s: %v", key, err)
					}
					got := map[string]string{"language": p.Language.Preference, "name": p.Language.MerchantName, "city": p.Language.MerchantCity}
					for k, w := range want {
						g, ok := got[k]
						if !ok {
							t.Fatalf("alt_language.%s: unknown key", k)
						}
						if g != w {
							t.Errorf("alt_language.%s = %q; want %q", k, g, w)
						}
					}
					continue
				}
				var want string
				if err := json.Unmarshal(raw, &want); err != nil {
					t.Fatalf("%s is not a string: %v", key, err)
				}
				if s, ok := simpleKeys[key]; ok {
					if got := s.field(p); got != want {
						t.Errorf("%s = %q; want %q", key, got, want)
					}
					if got := lookup(p.Objects, s.id); got != want {
						t.Errorf("raw data object %s = %q; want %q", s.id, got, want)
					}
					continue
				}
				if m := accountGUIKey.FindStringSubmatch(key); m != nil {
					var gui string
					for _, a := range p.MerchantAccounts {
						if a.ID == m[1] {
							gui = a.GUI
						}
					}
					if gui != want {
						t.Errorf("%s = %q; want %q", key, gui, want)
					}
					subs, err := ParseObjects(lookup(p.Objects, m[1]))
					if err != nil || lookup(subs, "00") != want {
						t.Errorf("raw %s.00 = %q, %v; want %q", m[1], lookup(subs, "00"), err, want)
					}
					continue
				}
				if m := additionalKey.FindStringSubmatch(key); m != nil {
					if got := p.AdditionalData.Field(m[1]); got != want {
						t.Errorf("%s = %q; want %q", key, got, want)
					}
					continue
				}
				t.Fatalf("unknown expect key %q: teach this test what it means", key)
			}
		})
	}
	if checked == 0 {
		t.Fatal("no expectation was checked")
	}
}

// TestVectorCRCCheck: the vector file's CRC check value, and the standard
// CRC-16/CCITT-FALSE check value 29B1 of "123456789".
func TestVectorCRCCheck(t *testing.T) {
	if got := crcOf("123456789"); got != "29B1" {
		t.Fatalf("CRC of 123456789 = %s; want 29B1", got)
	}
	v := loadVectors(t)
	if got := crcOf(v.CRCCheck.Input); got != v.CRCCheck.CRC {
		t.Fatalf("CRC of %q = %s; want %s", v.CRCCheck.Input, got, v.CRCCheck.CRC)
	}
	// Each vector's last four characters are the CRC of the rest.
	for _, pv := range v.Payloads {
		s := pv.Payload
		if !strings.HasSuffix(s[:len(s)-4], "6304") || crcOf(s[:len(s)-4]) != s[len(s)-4:] {
			t.Errorf("%s: CRC %s; computed %s", pv.Name, s[len(s)-4:], crcOf(s[:len(s)-4]))
		}
	}
}
