package im

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"unicode"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/paykit-go/paykit/pay"
)

// hIFuzzEnv is one process's keys and sealed seeds for the fuzz targets.
// The keys are random per process, so an envelope in a stored corpus can
// never open: only this run's seeds can.
type hIFuzzEnv struct {
	keys   map[Suite]*PrivateKey
	lookup func(string) (ed25519.PublicKey, error)
	// seeds maps each sealed seed text to its payload, or to the error
	// Open must return for it.
	seeds map[string]hIOutcome
}

type hIOutcome struct {
	payload []byte
	err     *pay.Error
}

var (
	hIFuzzOnce sync.Once
	hIFuzz     hIFuzzEnv
)

// hIFuzzSetup seals seeds of both suites: good ones, one signed by a
// device other than its sender, one from an unknown device.
func hIFuzzSetup(tb testing.TB) *hIFuzzEnv {
	hIFuzzOnce.Do(func() {
		devPub, devPriv := hIDevice(tb)
		_, otherPriv := hIDevice(tb)
		hIFuzz = hIFuzzEnv{
			keys:   map[Suite]*PrivateKey{},
			lookup: hILookup(map[string]ed25519.PublicKey{"dev_a": devPub}),
			seeds:  map[string]hIOutcome{},
		}
		req, _ := EncodeRequest(hIPayRequest())
		for _, s := range hISuites {
			k := hIKey(tb, s)
			hIFuzz.keys[s] = k
			for _, c := range []struct {
				sender string
				signer ed25519.PrivateKey
				out    hIOutcome
			}{
				{"dev_a", devPriv, hIOutcome{payload: req}},
				{"dev_a", devPriv, hIOutcome{payload: []byte{}}},
				{"dev_a", otherPriv, hIOutcome{err: ErrSignature}},
				{"dev_z", devPriv, hIOutcome{err: ErrUnknownDevice}},
			} {
				h := hIHeader()
				h.SenderID = c.sender
				payload := c.out.payload
				if c.out.err != nil {
					payload = req
				}
				text, err := Seal(h, k.Public(), c.signer, payload)
				if err != nil {
					tb.Fatal(err)
				}
				hIFuzz.seeds[text] = c.out
			}
		}
	})
	return &hIFuzz
}

// hINoEcho fails when an error message repeats the tail of a long input.
func hINoEcho(t *testing.T, err error, input string) {
	t.Helper()
	if len(input) >= 32 && strings.Contains(err.Error(), input[len(input)-24:]) {
		t.Fatalf("the error %q echoes the input", err)
	}
}

// FuzzParseEnvelope: ParseEnvelope never panics; what it accepts has one
// spelling (Text gives the input back), a valid suite and header, and a
// sealed part within the limits; what it refuses is ErrMalformed or
// ErrTooLarge, with a zero Envelope and no echo of the input.
func FuzzParseEnvelope(f *testing.F) {
	env := hIFuzzSetup(f)
	for text := range env.seeds {
		f.Add(text)
		f.Add(text[:len(text)-1])
		f.Add(text + "A")
		f.Add(text[:len(text)/2])
	}
	for _, s := range []string{"", TextPrefix, TextPrefix + "AQE", "PKIM1.AQEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABAWMBcw", "PKIM2.", "pkim1.AA", TextPrefix + "====", TextPrefix + "A\nA"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		e, err := ParseEnvelope(text)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("ParseEnvelope: %v", err)
			}
			if e.Suite != 0 || e.Header != (Header{}) || e.sealed != nil {
				t.Fatal("an Envelope with the error")
			}
			hINoEcho(t, err, text)
			return
		}
		if got := e.Text(); got != text {
			t.Fatalf("Text() = %q, parsed from %q", got, text)
		}
		if len(text) > MaxText || !e.Suite.Valid() {
			t.Fatalf("accepted %d characters of suite %s", len(text), e.Suite)
		}
		if param, why := headerProblem(e.Header); param != "" {
			t.Fatalf("accepted a header that can't travel: %s: %s", param, why)
		}
		min := e.Suite.encLen() + sigLen + aeadTagLen
		if len(e.sealed) < min || len(e.sealed) > min+MaxPayload {
			t.Fatalf("accepted a sealed part of %d bytes", len(e.sealed))
		}
	})
}

// FuzzOpen: parsing and opening arbitrary text with this run's keys never
// panics and never yields a payload for anything but this run's seeds (so
// no altered envelope opens); a seed gives its own payload or error; every
// other text is ErrMalformed, ErrTooLarge or ErrOpen.
func FuzzOpen(f *testing.F) {
	env := hIFuzzSetup(f)
	for text := range env.seeds {
		f.Add(text)
		b := []byte(text)
		b[len(b)-3] ^= 1
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, text string) {
		e, err := ParseEnvelope(text)
		if err != nil {
			return
		}
		k := env.keys[e.Suite]
		payload, err := e.Open(k, env.lookup)
		want, seed := env.seeds[text]
		switch {
		case seed && want.err != nil:
			if !errors.Is(err, want.err) || payload != nil {
				t.Fatalf("seed: Open = %q, %v; want %s", payload, err, want.err.Code)
			}
		case seed:
			if err != nil || !bytes.Equal(payload, want.payload) {
				t.Fatalf("seed: Open = %q, %v", payload, err)
			}
		case err == nil:
			t.Fatalf("an envelope that was never sealed opened: %q", text)
		case !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrOpen):
			t.Fatalf("Open: %v", err)
		}
	})
}

// hIPasswordLike reports whether s is a password no fixed error message
// can contain: 8 or more bytes without spaces, with an upper-case letter
// and a digit (the only such word in the messages is "UTF-8").
func hIPasswordLike(s string) bool {
	return len(s) >= 8 && !strings.ContainsAny(s, " \t\n") && strings.ContainsFunc(s, unicode.IsUpper) && strings.ContainsFunc(s, unicode.IsDigit)
}

// FuzzDecodeRequest: DecodeRequest never panics; what it accepts is valid,
// encodes, and decodes back to itself; what it refuses is ErrMalformed or
// ErrTooLarge with a zero Request, and the error never holds the password
// the input carried.
func FuzzDecodeRequest(f *testing.F) {
	for _, r := range []Request{hIPayRequest(), {Kind: RequestStart, CustomerID: hICustomer},
		{Kind: RequestChooseBill, CustomerID: hICustomer, BillID: hIBill}, {Kind: RequestCancel, CustomerID: hICustomer}} {
		b, _ := EncodeRequest(r)
		f.Add(b)
		f.Add(append(bytes.Clone(b), b...))
		f.Add(bytes.ToUpper(b))
		f.Add(b[:len(b)-1])
	}
	for _, s := range []string{``, `{}`, `[]`, `null`, `{"kind":null}`, `{"kind":"pay","kind":"pay"}`,
		`{"kind":"pay","customer_id":"cus_a","password":"Hunter2Hunter2\u0000"}`, `{"a":{"b":{"c":{"d":{}}}}}`,
		`{"amount":{"amount":1e3,"currency":"CNY"}}`, "{\"\u212aind\":\"start\"}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeRequest(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("DecodeRequest: %v", err)
			}
			if r != (Request{}) {
				t.Fatal("a Request with the error")
			}
			var loose map[string]any
			if json.Unmarshal(b, &loose) == nil {
				if pw, ok := loose["password"].(string); ok && hIPasswordLike(pw) && strings.Contains(err.Error(), pw) {
					t.Fatalf("the error %q holds the password", err)
				}
			}
			return
		}
		if len(b) > MaxRequest {
			t.Fatalf("accepted %d bytes", len(b))
		}
		enc, err := EncodeRequest(r)
		if err != nil {
			t.Fatalf("an accepted request does not encode: %v", err)
		}
		again, err := DecodeRequest(enc)
		if err != nil || again != r {
			t.Fatalf("re-decoding %s = %v, %v", enc, again, err)
		}
		if r.Password != "" && hIPasswordLike(r.Password) && strings.Contains(r.String(), r.Password) {
			t.Fatal("String shows the password")
		}
	})
}

// FuzzDecodePrompt: DecodePrompt never panics; what it accepts is valid,
// encodes and decodes back to itself, and renders as text without control
// characters other than the line breaks of a bill list; what it refuses is
// ErrMalformed or ErrTooLarge with a zero Prompt.
func FuzzDecodePrompt(f *testing.F) {
	for _, c := range hIPrompts() {
		b, _ := EncodePrompt(c.p)
		f.Add(b)
		f.Add(b[:len(b)-1])
		f.Add(bytes.ReplaceAll(b, []byte(`"kind"`), []byte(`"Kind"`)))
	}
	for _, s := range []string{``, `{}`, `{"kind":"choose_bill","bills":[null]}`, `{"kind":"choose_bill","bills":[{}]}`,
		`{"kind":"result","paid":true}`, `{"kind":"error","code":"x","message":"\u0007"}`, `{"kind":"enter_password","attempts_left":1e2}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodePrompt(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("DecodePrompt: %v", err)
			}
			if diff := cmp.Diff(Prompt{}, p, cmpopts.EquateEmpty()); diff != "" {
				t.Fatal("a Prompt with the error")
			}
			return
		}
		enc, err := EncodePrompt(p)
		if err != nil {
			t.Fatalf("an accepted prompt does not encode: %v", err)
		}
		again, err := DecodePrompt(enc)
		if err != nil {
			t.Fatalf("re-decoding %s: %v", enc, err)
		}
		if diff := cmp.Diff(p, again, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("re-decoding (-first +again):\n%s", diff)
		}
		text := p.Text()
		lines := strings.Count(text, "\n")
		if want := map[bool]int{true: len(p.Bills) + 1, false: 0}[p.Kind == PromptChooseBill && len(p.Bills) > 0]; lines != want {
			t.Fatalf("Text has %d line breaks, want %d: %q", lines, want, text)
		}
		if strings.ContainsFunc(text, func(r rune) bool { return r != '\n' && (r < 0x20 || r == 0x7f) }) {
			t.Fatalf("Text has control characters: %q", text)
		}
	})
}

// FuzzParsePublicKey: ParsePublicKey and UnmarshalText never panic; an
// accepted key gives its bytes and text back exactly; refusals are ErrKey.
func FuzzParsePublicKey(f *testing.F) {
	env := hIFuzzSetup(f)
	for s, k := range env.keys {
		text, _ := k.Public().MarshalText()
		f.Add(uint8(s), k.Public().Bytes(), string(text))
	}
	f.Add(uint8(1), make([]byte, 32), "x25519.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Add(uint8(3), []byte{1}, "x25519.")
	f.Fuzz(func(t *testing.T, suite uint8, b []byte, text string) {
		s := Suite(suite)
		k, err := ParsePublicKey(s, b)
		if err != nil {
			if !errors.Is(err, ErrKey) || !k.IsZero() {
				t.Fatalf("ParsePublicKey: %v", err)
			}
		} else if !bytes.Equal(k.Bytes(), b) || k.Suite() != s || len(k.ID()) != KeyIDLen {
			t.Fatalf("ParsePublicKey(%s, %x) = %v", s, b, k)
		}
		var p PublicKey
		if err := p.UnmarshalText([]byte(text)); err != nil {
			if !errors.Is(err, ErrKey) || !p.IsZero() {
				t.Fatalf("UnmarshalText: %v", err)
			}
			hINoEcho(t, err, text)
			return
		}
		if out, err := p.MarshalText(); err != nil || string(out) != text {
			t.Fatalf("MarshalText(UnmarshalText(%q)) = %q, %v", text, out, err)
		}
	})
}
