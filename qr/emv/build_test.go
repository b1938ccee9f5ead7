package emv

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/pay"
)

// canonical re-orders a parsed payload's top-level objects the way Build
// writes them (ascending IDs, 63 last) and recomputes the CRC. It is the
// expected output of Build for payloads whose templates are already in
// order, computed without Build.
func canonical(t *testing.T, objs []DataObject) string {
	t.Helper()
	objs = slices.DeleteFunc(slices.Clone(objs), func(o DataObject) bool { return o.ID == "63" })
	slices.SortFunc(objs, func(a, b DataObject) int { return strings.Compare(a.ID, b.ID) })
	s, err := EncodeObjects(objs)
	if err != nil {
		t.Fatal(err)
	}
	return withCRC(s)
}

// TestBuildVectors: every vector rebuilds to its canonical form (the Pix
// vector, already canonical, byte for byte), which parses to the same
// fields, and building that again changes nothing.
func TestBuildVectors(t *testing.T) {
	canonicalCount := 0
	for _, pv := range loadVectors(t).Payloads {
		t.Run(pv.Name, func(t *testing.T) {
			p, err := Parse(pv.Payload)
			if err != nil {
				t.Fatal(err)
			}
			out, err := p.Build()
			if err != nil {
				t.Fatal(err)
			}
			if want := canonical(t, p.Objects); out != want {
				t.Fatalf("Build = %q\nwant    %q", out, want)
			}
			if out == pv.Payload {
				canonicalCount++
			}
			q, err := Parse(out)
			if err != nil {
				t.Fatalf("Parse(Build) = %v", err)
			}
			if diff := cmp.Diff(p, q, ignoreRaw); diff != "" {
				t.Fatalf("Parse(Build(p)) differs (-p +q):\n%s", diff)
			}
			if again, err := q.Build(); err != nil || again != out {
				t.Fatalf("Build is not a fixed point: %q, %v", again, err)
			}
		})
	}
	// Exactly one vector (pix_bcb_manual) is in canonical order.
	if canonicalCount != 1 {
		t.Fatalf("%d vectors rebuilt byte for byte; want 1 (pix_bcb_manual)", canonicalCount)
	}
	pix := vector(t, "pix_bcb_manual")
	p, _ := Parse(pix)
	if out, err := p.Build(); err != nil || out != pix {
		t.Fatalf("Build(Parse(pix)) = %q, %v; want the input", out, err)
	}
}

// TestBuildStaticCollectionCode: a merchant's static counter-top code
// (system C), built from fields, is exactly the expected text, with
// sub-objects and accounts sorted whatever order the caller used.
func TestBuildStaticCollectionCode(t *testing.T) {
	p := Payload{
		Initiation: Static,
		MerchantAccounts: []Template{
			{ID: "30", GUI: "com.paykit.collect", Fields: []DataObject{{"02", "term-07"}, {"01", "mch_8K2P"}}},
			{ID: "26", GUI: "A000000677010111", Fields: []DataObject{{"01", "0066812345678"}}},
		},
		MCC: "5812", Currency: "156", Country: "CN", MerchantName: "Lotus Noodle Bar", MerchantCity: "Hangzhou",
		AdditionalData: AdditionalData{TerminalLabel: "counter-1", StoreLabel: "West Lake"},
		Language:       Language{Preference: "ZH", MerchantName: "莲花面馆", MerchantCity: "杭州"},
	}
	got, err := p.Build()
	if err != nil {
		t.Fatal(err)
	}
	want := withCRC("000201" + "010211" +
		tlv("26", tlv("00", "A000000677010111")+tlv("01", "0066812345678")) +
		tlv("30", tlv("00", "com.paykit.collect")+tlv("01", "mch_8K2P")+tlv("02", "term-07")) +
		"52045812" + "5303156" + "5802CN" + tlv("59", "Lotus Noodle Bar") + tlv("60", "Hangzhou") +
		tlv("62", tlv("03", "West Lake")+tlv("07", "counter-1")) +
		tlv("64", "0002ZH"+tlv("01", "莲花面馆")+tlv("02", "杭州")))
	if got != want {
		t.Fatalf("Build =\n%q\nwant\n%q", got, want)
	}
	if !strings.Contains(got, "64200002ZH0104莲花面馆0202杭州") {
		t.Fatalf("the language template's length is not in characters: %q", got)
	}
	q, err := Parse(got)
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(p.MerchantAccounts)
	slices.Reverse(p.MerchantAccounts[1].Fields)
	if diff := cmp.Diff(p, q, ignoreRaw); diff != "" {
		t.Fatalf("Parse(Build(p)) (-p +q):\n%s", diff)
	}
	if err := q.Complete(); err != nil {
		t.Fatalf("Complete = %v", err)
	}
}

// TestBuildRefuses: Build refuses what Parse would refuse, each with its
// sentinel, and returns no text.
func TestBuildRefuses(t *testing.T) {
	acct := []Template{{ID: "26", GUI: "x.test"}}
	long := strings.Repeat("x", 100)
	for _, tc := range []struct {
		name  string
		p     Payload
		kind  *pay.Error
		param string
	}{
		{"initiation 13", Payload{Initiation: "13"}, ErrValue, "01"},
		{"MCC three digits", Payload{MCC: "581"}, ErrValue, "52"},
		{"currency letters", Payload{Currency: "CNY"}, ErrValue, "53"},
		{"amount comma", Payload{Amount: "12,50"}, ErrValue, "54"},
		{"amount negative", Payload{Amount: "-1"}, ErrValue, "54"},
		{"amount too long", Payload{Amount: "12345678901234"}, ErrValue, "54"},
		{"tip indicator 9", Payload{TipIndicator: "9"}, ErrValue, "55"},
		{"fee percent", Payload{FeePercent: "3%"}, ErrValue, "57"},
		{"country name", Payload{Country: "China"}, ErrValue, "58"},
		{"language code", Payload{Language: Language{Preference: "zho"}}, ErrValue, "64.00"},
		{"name too long", Payload{MerchantName: long}, ErrLength, "59"},
		{"template too long", Payload{MerchantAccounts: []Template{{ID: "26", GUI: "x", Fields: []DataObject{{"01", long[:60]}, {"02", long[:40]}}}}}, ErrLength, "26"},
		{"sub-object empty", Payload{MerchantAccounts: []Template{{ID: "26", GUI: "x", Fields: []DataObject{{"01", ""}}}}}, ErrLength, "26.01"},
		{"scheme account empty", Payload{SchemeAccounts: []DataObject{{"02", ""}}}, ErrLength, "02"},
		{"merchant template ID 25", Payload{MerchantAccounts: []Template{{ID: "25", GUI: "x"}}}, ErrID, "25"},
		{"merchant template ID 52", Payload{MerchantAccounts: []Template{{ID: "52", GUI: "x"}}}, ErrID, "52"},
		{"merchant template ID x1", Payload{MerchantAccounts: []Template{{ID: "x1", GUI: "x"}}}, ErrID, "?"},
		{"scheme account ID 26", Payload{SchemeAccounts: []DataObject{{"26", "v"}}}, ErrID, "26"},
		{"scheme account ID 1", Payload{SchemeAccounts: []DataObject{{"1", "v"}}}, ErrID, "?"},
		{"RFU ID 80", Payload{RFU: []DataObject{{"80", "v"}}}, ErrID, "80"},
		{"unreserved ID 79", Payload{Unreserved: []Template{{ID: "79", GUI: "x"}}}, ErrID, "79"},
		{"template sub-ID not digits", Payload{MerchantAccounts: []Template{{ID: "26", GUI: "x", Fields: []DataObject{{"a1", "v"}}}}}, ErrID, "26"},
		{"additional Other holds 05", Payload{AdditionalData: AdditionalData{Other: []DataObject{{"05", "r"}}}}, ErrID, "62.05"},
		{"language Other holds 01", Payload{Language: Language{Other: []DataObject{{"01", "n"}}}}, ErrID, "64.01"},
		{"no GUI", Payload{MerchantAccounts: []Template{{ID: "27", Fields: []DataObject{{"01", "v"}}}}}, ErrIncomplete, "27.00"},
		{"unreserved no GUI", Payload{Unreserved: []Template{{ID: "80"}}}, ErrIncomplete, "80.00"},
		{"duplicate templates", Payload{MerchantAccounts: append(slices.Clone(acct), acct...)}, ErrDuplicate, "26"},
		{"field 00 beside the GUI", Payload{MerchantAccounts: []Template{{ID: "26", GUI: "x", Fields: []DataObject{{"00", "y"}}}}}, ErrDuplicate, "26.00"},
		{"duplicate sub-objects", Payload{AdditionalData: AdditionalData{Other: []DataObject{{"50", "a"}, {"50", "b"}}}}, ErrDuplicate, "62.50"},
		{"control character", Payload{MerchantName: "a\tb"}, ErrEncoding, "59"},
		{"invalid UTF-8", Payload{MerchantCity: "\xff"}, ErrEncoding, "60"},
		{"over 512 characters", Payload{RFU: []DataObject{{"65", long[:99]}, {"66", long[:99]}, {"67", long[:99]}, {"68", long[:99]}, {"69", long[:99]}}}, ErrTooLong, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := tc.p.Build()
			if !isErr(err, tc.kind) || s != "" {
				t.Fatalf("Build = %q, %v; want %s", s, err, tc.kind.Code)
			}
			var pe *pay.Error
			if !errors.As(err, &pe) || pe.Param != tc.param {
				t.Errorf("Param = %q; want %q (%v)", pe.Param, tc.param, err)
			}
		})
	}
	// 512 characters exactly is allowed: 6 + 4×(4+99) + (4+82) + 8.
	p := Payload{RFU: []DataObject{{"65", long[:99]}, {"66", long[:99]}, {"67", long[:99]}, {"68", long[:99]}, {"69", long[:82]}}}
	s, err := p.Build()
	if err != nil || len(s) != 512 {
		t.Fatalf("Build = %d characters, %v; want 512", len(s), err)
	}
	if _, err := Parse(s); err != nil {
		t.Fatalf("Parse of 512 characters: %v", err)
	}
	p.RFU[4].Value += "x"
	if _, err := p.Build(); !isErr(err, ErrTooLong) {
		t.Fatalf("513 characters: %v", err)
	}
}

// TestRoundTripRandom: 3000 random valid payloads (every field kind,
// non-ASCII text, slices in random order) build, parse back to the same
// fields, and rebuild to the same text.
func TestRoundTripRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 63))
	built := 0
	for i := range 3000 {
		p := randomPayload(r)
		s, err := p.Build()
		if errors.Is(err, ErrTooLong) || errors.Is(err, ErrLength) {
			continue // random sizes overrun 512 or 99 now and then
		}
		if err != nil {
			t.Fatalf("#%d Build: %v\n%+v", i, err, p)
		}
		built++
		q, err := Parse(s)
		if err != nil {
			t.Fatalf("#%d Parse(Build) = %v\n%q", i, err, s)
		}
		sortPayload(&p)
		if bare := (Payload{}); q.CRC == "" || q.Objects == nil || !reflect.DeepEqual(p, withRaw(q, bare)) {
			t.Fatalf("#%d (-built +parsed):\n%s", i, cmp.Diff(p, q, ignoreRaw))
		}
		if again, err := q.Build(); err != nil || again != s {
			t.Fatalf("#%d rebuild = %q, %v; want %q", i, again, err, s)
		}
	}
	if built < 2900 { // 2996 with this seed
		t.Fatalf("only %d of 3000 random payloads fit; the generator is off", built)
	}
}

// withRaw returns p with the CRC and Objects of from (reflect.DeepEqual is
// fast enough to compare thousands of payloads under -race; cmp is not).
func withRaw(p, from Payload) Payload {
	p.CRC, p.Objects = from.CRC, from.Objects
	return p
}

func randomPayload(r *rand.Rand) Payload {
	text := func(max int) string {
		const alphabet = "ABCxyz019 .-_/*#@最佳运输北京é"
		runes := []rune(alphabet)
		b := make([]rune, 1+r.IntN(max))
		for i := range b {
			b[i] = runes[r.IntN(len(runes))]
		}
		return string(b)
	}
	maybe := func(s string) string {
		if r.IntN(2) == 0 {
			return ""
		}
		return s
	}
	num := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('0' + r.IntN(10))
		}
		return string(b)
	}
	ids := func(lo, hi, max int) []string {
		var out []string
		for _, k := range r.Perm(hi - lo + 1)[:r.IntN(max+1)] {
			out = append(out, string(rune('0'+(lo+k)/10))+string(rune('0'+(lo+k)%10)))
		}
		return out
	}
	objs := func(lo, hi, max, size int) []DataObject {
		var out []DataObject
		for _, id := range ids(lo, hi, max) {
			out = append(out, DataObject{ID: id, Value: text(size)})
		}
		return out
	}
	templates := func(lo, hi, max int) []Template {
		var out []Template
		for _, id := range ids(lo, hi, max) {
			out = append(out, Template{ID: id, GUI: text(16), Fields: objs(1, 99, 3, 12)})
		}
		return out
	}
	p := Payload{
		Initiation:       maybe([]string{Static, Dynamic}[r.IntN(2)]),
		SchemeAccounts:   objs(2, 25, 2, 16),
		MerchantAccounts: templates(26, 51, 3),
		MCC:              maybe(num(4)), Currency: maybe(num(3)),
		Amount:       maybe(num(1+r.IntN(6)) + []string{"", ".", "." + num(2)}[r.IntN(3)]),
		TipIndicator: maybe([]string{"01", "02", "03"}[r.IntN(3)]), FeeFixed: maybe(num(2) + ".5"), FeePercent: maybe("3.25"),
		Country: maybe("CN"), MerchantName: maybe(text(25)), MerchantCity: maybe(text(15)), PostalCode: maybe(num(6)),
		RFU: objs(65, 79, 1, 8), Unreserved: templates(80, 99, 1),
	}
	fields := p.AdditionalData.fields()
	for _, f := range fields {
		if r.IntN(4) == 0 {
			*f = text(10)
		}
	}
	p.AdditionalData.Other = append(objs(12, 99, 2, 10), objs(0, 0, 1, 5)...)
	if r.IntN(2) == 0 {
		p.Language = Language{Preference: maybe("ZH"), MerchantName: maybe(text(10)), MerchantCity: maybe(text(6)), Other: objs(3, 99, 1, 5)}
	}
	return p
}

// sortPayload puts p's slices in ID order, as Parse returns them, and
// makes empty slices nil.
func sortPayload(p *Payload) {
	byID := func(a, b DataObject) int { return strings.Compare(a.ID, b.ID) }
	nilIfEmpty := func(s []DataObject) []DataObject {
		if len(s) == 0 {
			return nil
		}
		slices.SortFunc(s, byID)
		return s
	}
	p.SchemeAccounts, p.RFU = nilIfEmpty(p.SchemeAccounts), nilIfEmpty(p.RFU)
	p.AdditionalData.Other, p.Language.Other = nilIfEmpty(p.AdditionalData.Other), nilIfEmpty(p.Language.Other)
	for _, ts := range []*[]Template{&p.MerchantAccounts, &p.Unreserved} {
		if len(*ts) == 0 {
			*ts = nil
		}
		slices.SortFunc(*ts, func(a, b Template) int { return strings.Compare(a.ID, b.ID) })
		for i := range *ts {
			(*ts)[i].Fields = nilIfEmpty((*ts)[i].Fields)
		}
	}
}

// TestSetAmount: a pay.Money becomes currency and amount with the
// currency's decimals; unknown currencies and non-positive amounts are
// refused and change nothing.
func TestSetAmount(t *testing.T) {
	var p Payload
	for _, tc := range []struct {
		m              pay.Money
		currency, amnt string
	}{
		{pay.Money{Amount: 2372, Currency: "CNY"}, "156", "23.72"},
		{pay.Money{Amount: 500, Currency: "JPY"}, "392", "500"},
		{pay.Money{Amount: 1, Currency: "KWD"}, "414", "0.001"},
		{pay.Money{Amount: 422, Currency: "THB"}, "764", "4.22"},
	} {
		if err := p.SetAmount(tc.m); err != nil || p.Currency != tc.currency || p.Amount != tc.amnt {
			t.Fatalf("SetAmount(%v) = %q %q, %v; want %q %q", tc.m, p.Currency, p.Amount, err, tc.currency, tc.amnt)
		}
	}
	for _, m := range []pay.Money{{Amount: 1, Currency: "XYZ"}, {Amount: 0, Currency: "CNY"}, {Amount: -5, Currency: "CNY"}, {Amount: 1e15, Currency: "CNY"}} {
		if err := p.SetAmount(m); err == nil || p.Currency != "764" || p.Amount != "4.22" {
			t.Fatalf("SetAmount(%v) = %v; the payload is now %q %q", m, err, p.Currency, p.Amount)
		}
	}
}

// TestComplete: Complete lists exactly the mandatory objects absent.
func TestComplete(t *testing.T) {
	for _, tc := range []struct {
		p       Payload
		missing string
	}{
		{Payload{}, "26,52,53,58,59,60"},
		{Payload{SchemeAccounts: []DataObject{{"02", "v"}}, MCC: "1", Currency: "1", Country: "C", MerchantName: "n", MerchantCity: "c"}, ""},
		{Payload{MerchantAccounts: []Template{{ID: "26"}}, Currency: "764", Country: "TH"}, "52,59,60"},
		{Payload{SchemeAccounts: []DataObject{{"02", "v"}}, MCC: "1", Currency: "1", Country: "C", MerchantName: "n", MerchantCity: "c",
			TipIndicator: TipIndicatorFixed, Language: Language{MerchantCity: "x"}}, "56,64.00,64.01"},
		{Payload{SchemeAccounts: []DataObject{{"02", "v"}}, MCC: "1", Currency: "1", Country: "C", MerchantName: "n", MerchantCity: "c",
			TipIndicator: TipIndicatorPercent}, "57"},
	} {
		err := tc.p.Complete()
		if tc.missing == "" {
			if err != nil {
				t.Errorf("Complete = %v; want nil", err)
			}
			continue
		}
		var pe *pay.Error
		if !isErr(err, ErrIncomplete) || !errors.As(err, &pe) || pe.Param != tc.missing {
			t.Errorf("Complete = %v; want ErrIncomplete for %s", err, tc.missing)
		}
	}
}
