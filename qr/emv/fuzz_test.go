package emv

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/pay"
)

// fuzzSeeds are payloads and pieces of them: valid, each refusal, and
// the edges (512 characters, non-ASCII, templates nested in templates).
func fuzzSeeds() []string {
	seeds := []string{
		"", "000201", "00020163", withCRC("000201"), withCRC("000201" + "5802CN"),
		withCRC("000201" + "010211" + tlv("26", tlv("00", "x.test")+tlv("01", "acct")) + "5303156" + "540523.72" + "5802CN"),
		withCRC("000201" + tlv("62", tlv("50", tlv("00", "g")+tlv("01", "v"))+tlv("05", Prompt))),
		withCRC("000201" + tlv("64", "0002ZH"+tlv("01", "最佳运输")+tlv("02", "北京"))),
		withCRC("000201" + "5802CN" + "5802TH"), withCRC("000201" + "5900"), "000201" + "5999ABC",
		withCRC("000201"+"5802CN") + "5902AB", "000201" + "6304ABCD" + "5802CN", withCRC("000201" + "2608" + "0104acct"),
		withCRC("000201" + "550203" + "57043.25" + "0204visa" + "7002zz" + tlv("91", tlv("00", "g"))),
		withCRC("000201" + tlv("65", strings.Repeat("x", 99)) + tlv("66", strings.Repeat("y", 99)) + tlv("67", strings.Repeat("z", 99)) +
			tlv("68", strings.Repeat("x", 99)) + tlv("69", strings.Repeat("y", 82))),
	}
	raw, err := readVectors()
	if err == nil {
		for _, pv := range raw.Payloads {
			seeds = append(seeds, pv.Payload, pv.Payload[:len(pv.Payload)-1]+"0", strings.Replace(pv.Payload, "5802", "5803", 1))
		}
	}
	return seeds
}

// FuzzParse: Parse never panics; a refusal is exactly one sentinel; what it
// accepts re-encodes from Payload.Objects to the input (nothing lost),
// builds, parses back to the same fields, and rebuilds to the same text;
// a canonical input rebuilds to itself. Order never panics either.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkParse(t, s) })
}

// FuzzParseWithCRC is FuzzParse on the fuzzer's text completed with a
// correct CRC, so mutations reach the templates and field formats instead
// of stopping at the CRC.
func FuzzParseWithCRC(f *testing.F) {
	for _, s := range fuzzSeeds() {
		if i := strings.LastIndex(s, "6304"); i >= 0 {
			s = s[:i]
		}
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) { checkParse(t, withCRC(body)) })
}

// FuzzParseObjects: ParseObjects never panics, and what it accepts
// EncodeObjects writes back unchanged.
func FuzzParseObjects(f *testing.F) {
	for _, s := range []string{"", "0002ZH0104最佳运输0202北京", "0503***", "0000", "05", "0599x", "0101a0101b", "a101x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		objs, err := ParseObjects(s)
		if err != nil {
			oneSentinel(t, err)
			return
		}
		if out, err := EncodeObjects(objs); err != nil || out != s {
			t.Fatalf("EncodeObjects(ParseObjects(%q)) = %q, %v", s, out, err)
		}
	})
}

func checkParse(t *testing.T, s string) {
	p, err := Parse(s)
	if err != nil {
		oneSentinel(t, err)
		if !cmp.Equal(p, Payload{}) {
			t.Fatalf("a refusal returned fields: %+v", p)
		}
		return
	}
	if enc, err := EncodeObjects(p.Objects); err != nil || enc != s {
		t.Fatalf("Objects re-encode to %q, %v; want the input %q", enc, err, s)
	}
	out, err := p.Build()
	if err != nil {
		t.Fatalf("Parse accepted %q but Build refuses its fields: %v", s, err)
	}
	q, err := Parse(out)
	if err != nil {
		t.Fatalf("Parse(Build) = %v\nin  %q\nout %q", err, s, out)
	}
	if diff := cmp.Diff(p, q, ignoreRaw); diff != "" {
		t.Fatalf("Parse(Build(Parse(s))) differs (-first +second):\n%s", diff)
	}
	if again, err := q.Build(); err != nil || again != out {
		t.Fatalf("rebuild = %q, %v; want %q", again, err, out)
	}
	if out == s && !cmp.Equal(p, q) {
		t.Fatalf("a canonical input parsed differently after Build:\n%s", cmp.Diff(p, q))
	}
	if o, err := p.Order(); err == nil {
		if len(o.Accounts) == 0 || o.Amount.Currency == "" || (o.HasAmount && o.Amount.Amount <= 0) {
			t.Fatalf("Order = %+v", o)
		}
		_, _ = o.Total()
	} else {
		oneSentinel(t, err)
	}
}

// oneSentinel fails t unless err is a *pay.Error matching exactly one of
// this package's sentinels.
func oneSentinel(t *testing.T, err error) {
	t.Helper()
	var pe *pay.Error
	if !errors.As(err, &pe) {
		t.Fatalf("error %v is not a *pay.Error", err)
	}
	n := 0
	for _, s := range sentinels {
		if errors.Is(err, s) {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("error %v matches %d sentinels", err, n)
	}
}
