package im

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hpke"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/paykit-go/paykit/pay"
)

var hISuites = []Suite{SuiteX25519, SuiteHybrid}

// hIKey returns a fresh recipient key of suite s.
func hIKey(t testing.TB, s Suite) *PrivateKey {
	t.Helper()
	k, err := GenerateKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// hIDevice returns a fresh Ed25519 device key pair.
func hIDevice(t testing.TB) (ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv
}

// hIHeader is a valid header from device "dev_a" in conversation
// "conv_1", its timestamp with sub-millisecond digits Seal drops.
func hIHeader() Header {
	return Header{
		MessageID:      NewMessageID(),
		ConversationID: "conv_1",
		SenderID:       "dev_a",
		Timestamp:      time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC),
	}
}

// hILookup serves device keys from a map; an unknown ID is pay.ErrNotFound.
func hILookup(keys map[string]ed25519.PublicKey) func(string) (ed25519.PublicKey, error) {
	return func(id string) (ed25519.PublicKey, error) {
		k, ok := keys[id]
		if !ok {
			return nil, pay.Errorf(pay.ErrNotFound, "sender_id", "no such device")
		}
		return k, nil
	}
}

// hIIs fails unless err matches one of want.
func hIIs(t testing.TB, what string, err error, want ...*pay.Error) {
	t.Helper()
	for _, w := range want {
		if errors.Is(err, w) {
			return
		}
	}
	t.Fatalf("%s: err = %v, want one of %v", what, err, want)
}

// hIBinary returns the binary form inside an envelope text.
func hIBinary(t testing.TB, text string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(text, TextPrefix))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// hIText writes a binary form as envelope text.
func hIText(b []byte) string { return TextPrefix + base64.RawURLEncoding.EncodeToString(b) }

// hIOpen parses and opens text.
func hIOpen(text string, k *PrivateKey, lookup func(string) (ed25519.PublicKey, error)) ([]byte, error) {
	e, err := ParseEnvelope(text)
	if err != nil {
		return nil, err
	}
	return e.Open(k, lookup)
}

// The suite sizes this package hard-codes are crypto/hpke's.
func TestSuiteSizes(t *testing.T) {
	for _, s := range hISuites {
		k := hIKey(t, s)
		if got := len(k.Public().Bytes()); got != s.pubLen() {
			t.Errorf("%s: public key %d bytes, pubLen %d", s, got, s.pubLen())
		}
		if got := len(k.Bytes()); got != 32 {
			t.Errorf("%s: private key %d bytes, want 32", s, got)
		}
		ct, err := hpke.Seal(k.Public().k, suiteKDF, suiteAEAD, nil, []byte("x"))
		if err != nil {
			t.Fatal(err)
		}
		if got := len(ct) - 1 - aeadTagLen; got != s.encLen() {
			t.Errorf("%s: enc %d bytes, encLen %d", s, got, s.encLen())
		}
		if k.Suite() != s || k.Public().Suite() != s {
			t.Errorf("%s: Suite() = %s / %s", s, k.Suite(), k.Public().Suite())
		}
		if got, err := ParseSuite(s.String()); err != nil || got != s {
			t.Errorf("ParseSuite(%q) = %v, %v", s.String(), got, err)
		}
	}
	if _, err := ParseSuite("X25519"); !errors.Is(err, ErrKey) {
		t.Errorf("ParseSuite(X25519) = %v, want ErrKey", err)
	}
	if Suite(3).Valid() || Suite(0).Valid() || Suite(3).String() != "suite(3)" {
		t.Error("suite 0 or 3 passes as valid")
	}
	if _, err := GenerateKey(3); !errors.Is(err, ErrKey) {
		t.Errorf("GenerateKey(3) = %v, want ErrKey", err)
	}
}

// Seal and Open round-trip for both suites and payloads from empty to
// MaxPayload; the header comes back as sealed (the timestamp to the
// millisecond, in UTC); the text is EncodedLen long and the binary adds
// exactly Overhead and the two IDs to the payload.
func TestSealOpenRoundTrip(t *testing.T) {
	devPub, devPriv := hIDevice(t)
	lookup := hILookup(map[string]ed25519.PublicKey{"dev_a": devPub})
	wantOverhead := map[Suite]int{SuiteX25519: 148, SuiteHybrid: 1236}
	for _, s := range hISuites {
		k := hIKey(t, s)
		if got := Overhead(s); got != wantOverhead[s] {
			t.Errorf("Overhead(%s) = %d, want %d", s, got, wantOverhead[s])
		}
		for _, n := range []int{0, 1, 200, MaxPayload} {
			payload := make([]byte, n)
			_, _ = rand.Read(payload)
			h := hIHeader()
			text, err := Seal(h, k.Public(), devPriv, payload)
			if err != nil {
				t.Fatalf("%s/%d: Seal: %v", s, n, err)
			}
			if !strings.HasPrefix(text, TextPrefix) || len(text) != EncodedLen(s, h, n) {
				t.Errorf("%s/%d: text of %d characters, EncodedLen %d", s, n, len(text), EncodedLen(s, h, n))
			}
			if len(text) > MaxText {
				t.Errorf("%s/%d: text of %d characters > MaxText %d", s, n, len(text), MaxText)
			}
			if got := len(hIBinary(t, text)) - n - len(h.ConversationID) - len(h.SenderID); got != Overhead(s) {
				t.Errorf("%s/%d: binary overhead %d, Overhead %d", s, n, got, Overhead(s))
			}
			e, err := ParseEnvelope(text)
			if err != nil {
				t.Fatalf("%s/%d: ParseEnvelope: %v", s, n, err)
			}
			want := h
			want.To = k.Public().ID()
			want.Timestamp = time.Date(2026, 3, 1, 12, 0, 0, 123000000, time.UTC)
			if diff := cmp.Diff(want, e.Header); diff != "" || e.Suite != s {
				t.Errorf("%s/%d: header (-want +got):\n%s suite %s", s, n, diff, e.Suite)
			}
			if e.Text() != text {
				t.Errorf("%s/%d: Text() is not the parsed text", s, n)
			}
			got, err := e.Open(k, lookup)
			if err != nil {
				t.Fatalf("%s/%d: Open: %v", s, n, err)
			}
			if !bytes.Equal(got, payload) {
				t.Errorf("%s/%d: Open returned another payload", s, n)
			}
		}
	}
}

// Two seals of the same message differ (a fresh HPKE encapsulation each
// time), and each opens.
func TestSealIsRandomized(t *testing.T) {
	devPub, devPriv := hIDevice(t)
	k := hIKey(t, SuiteX25519)
	h := hIHeader()
	a, errA := Seal(h, k.Public(), devPriv, []byte("same"))
	b, errB := Seal(h, k.Public(), devPriv, []byte("same"))
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	if a == b {
		t.Fatal("two seals of one message are equal")
	}
	for _, text := range []string{a, b} {
		if _, err := hIOpen(text, k, hILookup(map[string]ed25519.PublicKey{"dev_a": devPub})); err != nil {
			t.Fatal(err)
		}
	}
}

// Changing any byte of the binary form is detected: for X25519 every bit
// of every byte, for the hybrid suite every byte (one bit each, the bit
// moving with the position, to stay within the time budget under -race);
// also every truncation and an appended byte. The error is ErrMalformed,
// ErrTooLarge or ErrOpen, never a payload and never ErrSignature (the AEAD
// catches it first).
func TestTamperEveryByte(t *testing.T) {
	devPub, devPriv := hIDevice(t)
	lookup := hILookup(map[string]ed25519.PublicKey{"dev_a": devPub})
	payload, err := EncodeRequest(Request{Kind: RequestStart, CustomerID: hICustomer})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range hISuites {
		t.Run(s.String(), func(t *testing.T) {
			t.Parallel()
			k := hIKey(t, s)
			text, err := Seal(hIHeader(), k.Public(), devPriv, payload)
			if err != nil {
				t.Fatal(err)
			}
			orig := hIBinary(t, text)
			tried := 0
			for i := range orig {
				masks := []byte{1 << (i % 8)}
				if s == SuiteX25519 {
					masks = []byte{0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80}
				}
				for _, m := range masks {
					b := bytes.Clone(orig)
					b[i] ^= m
					_, err := hIOpen(hIText(b), k, lookup)
					hIIs(t, fmt.Sprintf("byte %d ^ %#x", i, m), err, ErrMalformed, ErrOpen, ErrTooLarge)
					tried++
				}
			}
			for n := range orig {
				_, err := hIOpen(hIText(orig[:n]), k, lookup)
				hIIs(t, fmt.Sprintf("truncated to %d", n), err, ErrMalformed, ErrOpen)
			}
			_, err = hIOpen(hIText(append(bytes.Clone(orig), 0)), k, lookup)
			hIIs(t, "a byte appended", err, ErrOpen)
			if want := len(orig) * map[Suite]int{SuiteX25519: 8, SuiteHybrid: 1}[s]; tried != want || len(orig) < Overhead(s) {
				t.Fatalf("tried %d alterations of %d bytes, want %d", tried, len(orig), want)
			}
			if _, err := hIOpen(text, k, lookup); err != nil {
				t.Fatalf("the original no longer opens: %v", err)
			}
		})
	}
}

// Changing any character of the text form is detected: each position
// replaced by the next base64url character and by characters outside the
// alphabet; for X25519 also each position deleted (for the hybrid suite
// every 8th, for time under -race). The error is ErrMalformed or ErrOpen.
func TestTamperEveryCharacter(t *testing.T) {
	devPub, devPriv := hIDevice(t)
	lookup := hILookup(map[string]ed25519.PublicKey{"dev_a": devPub})
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for _, s := range hISuites {
		t.Run(s.String(), func(t *testing.T) {
			t.Parallel()
			k := hIKey(t, s)
			text, err := Seal(hIHeader(), k.Public(), devPriv, []byte(`{"kind":"start"}`))
			if err != nil {
				t.Fatal(err)
			}
			for i := range len(text) {
				other := alphabet[(strings.IndexByte(alphabet, text[i])+1)%len(alphabet)]
				if i < len(TextPrefix) {
					other = text[i] ^ 0x20 // "pKIM1." …
				}
				for _, c := range []byte{other, '=', '\n', '+', ' ', 0x80} {
					b := []byte(text)
					b[i] = c
					_, err := hIOpen(string(b), k, lookup)
					hIIs(t, fmt.Sprintf("char %d = %q", i, c), err, ErrMalformed, ErrOpen)
				}
				if s == SuiteX25519 || i%8 == 0 {
					_, err := hIOpen(text[:i]+text[i+1:], k, lookup)
					hIIs(t, fmt.Sprintf("char %d deleted", i), err, ErrMalformed, ErrOpen)
				}
			}
		})
	}
}

// An envelope sealed to another key, or under the other suite, is ErrOpen,
// also when its header is rewritten to name the key that tries.
func TestSealedToAnotherKey(t *testing.T) {
	devPub, devPriv := hIDevice(t)
	lookup := hILookup(map[string]ed25519.PublicKey{"dev_a": devPub})
	for _, s := range hISuites {
		k, other := hIKey(t, s), hIKey(t, s)
		text, err := Seal(hIHeader(), k.Public(), devPriv, []byte("payload"))
		if err != nil {
			t.Fatal(err)
		}
		for _, wrong := range []*PrivateKey{other, hIKey(t, SuiteX25519), hIKey(t, SuiteHybrid)} {
			_, err := hIOpen(text, wrong, lookup)
			hIIs(t, s.String()+" opened by "+wrong.String(), err, ErrOpen)
			// The error says why, before any decryption is tried.
			var pe *pay.Error
			if want := map[bool]string{true: "to", false: "suite"}[wrong.Suite() == s]; !errors.As(err, &pe) || pe.Param != want {
				t.Errorf("%s opened by %s: param %q, want %q", s, wrong, pe.Param, want)
			}
			if wrong.Suite() == s {
				e, _ := ParseEnvelope(text)
				e.Header.To = wrong.Public().ID()
				_, err = e.Open(wrong, lookup)
				hIIs(t, s.String()+" relabelled for "+wrong.String(), err, ErrOpen)
			}
		}
	}
}

// An envelope signed by another device than its SenderID names is
// ErrSignature; a sender without a key is ErrUnknownDevice, keeping the
// lookup's error as the cause.
func TestSignedByAnotherDevice(t *testing.T) {
	aPub, _ := hIDevice(t)
	_, bPriv := hIDevice(t)
	for _, s := range hISuites {
		k := hIKey(t, s)
		text, err := Seal(hIHeader(), k.Public(), bPriv, []byte("payload")) // claims dev_a, signed by b
		if err != nil {
			t.Fatal(err)
		}
		_, err = hIOpen(text, k, hILookup(map[string]ed25519.PublicKey{"dev_a": aPub}))
		hIIs(t, s.String()+": signed by another device", err, ErrSignature)

		_, err = hIOpen(text, k, hILookup(nil))
		hIIs(t, s.String()+": unknown device", err, ErrUnknownDevice)
		if !errors.Is(err, pay.ErrNotFound) {
			t.Errorf("%s: the lookup's error is not kept: %v", s, err)
		}
		_, err = hIOpen(text, k, func(string) (ed25519.PublicKey, error) { return aPub[:31], nil })
		hIIs(t, s.String()+": a short device key", err, ErrUnknownDevice)
	}
}

// The header is bound: changing its conversation ID, message ID,
// timestamp, sender ID or recipient after parsing fails Open (ErrOpen,
// before any signature check), and so does pairing one envelope's header
// with another's sealed part.
func TestHeaderBound(t *testing.T) {
	devPub, devPriv := hIDevice(t)
	anySender := func(string) (ed25519.PublicKey, error) { return devPub, nil }
	for _, s := range hISuites {
		k := hIKey(t, s)
		text, err := Seal(hIHeader(), k.Public(), devPriv, []byte("payload"))
		if err != nil {
			t.Fatal(err)
		}
		for name, change := range map[string]func(*Header){
			"conversation": func(h *Header) { h.ConversationID = "conv_2" },
			"message":      func(h *Header) { h.MessageID = NewMessageID() },
			"timestamp":    func(h *Header) { h.Timestamp = h.Timestamp.Add(time.Millisecond) },
			"timestamp-1s": func(h *Header) { h.Timestamp = h.Timestamp.Add(-time.Second) },
			"sender":       func(h *Header) { h.SenderID = "dev_b" },
		} {
			e, err := ParseEnvelope(text)
			if err != nil {
				t.Fatal(err)
			}
			change(&e.Header)
			_, err = e.Open(k, anySender)
			hIIs(t, s.String()+": changed "+name, err, ErrOpen)
		}
		e, _ := ParseEnvelope(text)
		e.Header.To = "aaaaaaaaaaaaa"
		_, err = e.Open(k, anySender)
		hIIs(t, s.String()+": changed recipient", err, ErrOpen)

		// Same sender, conversation and recipient; another message's header.
		h2 := hIHeader()
		text2, err := Seal(h2, k.Public(), devPriv, []byte("payload"))
		if err != nil {
			t.Fatal(err)
		}
		e1, _ := ParseEnvelope(text)
		e2, _ := ParseEnvelope(text2)
		e1.Header = e2.Header
		_, err = e1.Open(k, anySender)
		hIIs(t, s.String()+": header swapped", err, ErrOpen)
	}
}

// The signature covers the recipient: a recipient that opens a message
// and seals the same signed plaintext to a third key gets it refused there.
func TestSignatureNamesRecipient(t *testing.T) {
	devPub, devPriv := hIDevice(t)
	lookup := hILookup(map[string]ed25519.PublicKey{"dev_a": devPub})
	k, third := hIKey(t, SuiteX25519), hIKey(t, SuiteX25519)
	h := hIHeader()
	text, err := Seal(h, k.Public(), devPriv, []byte("pay"))
	if err != nil {
		t.Fatal(err)
	}
	e, _ := ParseEnvelope(text)
	hb := appendHeader(nil, e.Suite, e.Header)
	plain, err := hpke.Open(k.k, suiteKDF, suiteAEAD, hpkeInfo(hb), e.sealed)
	if err != nil {
		t.Fatal(err)
	}
	h.To = third.Public().ID()
	hb2 := appendHeader(nil, SuiteX25519, h)
	sealed, err := hpke.Seal(third.Public().k, suiteKDF, suiteAEAD, hpkeInfo(hb2), plain)
	if err != nil {
		t.Fatal(err)
	}
	_, err = hIOpen(hIText(append(hb2, sealed...)), third, lookup)
	hIIs(t, "forwarded signed plaintext", err, ErrSignature)
}

// Seal refuses what can't travel with pay.ErrInvalidRequest naming the
// field (pay.ErrPayloadTooLarge for the payload), and changes nothing.
func TestSealRejects(t *testing.T) {
	_, devPriv := hIDevice(t)
	k := hIKey(t, SuiteX25519)
	other := hIKey(t, SuiteX25519)
	for _, c := range []struct {
		name    string
		change  func(*Header)
		to      PublicKey
		signer  ed25519.PrivateKey
		payload int
		param   string
	}{
		{name: "zero key", to: PublicKey{}, param: "to"},
		{name: "short signer", signer: devPriv[:32], param: "signer"},
		{name: "other recipient", change: func(h *Header) { h.To = other.Public().ID() }, param: "to"},
		{name: "empty message ID", change: func(h *Header) { h.MessageID = "" }, param: "message_id"},
		{name: "upper-case message ID", change: func(h *Header) { h.MessageID = strings.ToUpper(h.MessageID) }, param: "message_id"},
		{name: "non-canonical message ID", change: func(h *Header) { h.MessageID = h.MessageID[:25] + "7" }, param: "message_id"},
		{name: "zero time", change: func(h *Header) { h.Timestamp = time.Time{} }, param: "timestamp"},
		{name: "epoch", change: func(h *Header) { h.Timestamp = time.UnixMilli(0) }, param: "timestamp"},
		{name: "year 10000", change: func(h *Header) { h.Timestamp = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, param: "timestamp"},
		{name: "no conversation", change: func(h *Header) { h.ConversationID = "" }, param: "conversation_id"},
		{name: "conversation with space", change: func(h *Header) { h.ConversationID = "a b" }, param: "conversation_id"},
		{name: "conversation too long", change: func(h *Header) { h.ConversationID = strings.Repeat("c", MaxIDLen+1) }, param: "conversation_id"},
		{name: "non-ASCII sender", change: func(h *Header) { h.SenderID = "dév" }, param: "sender_id"},
		{name: "sender with newline", change: func(h *Header) { h.SenderID = "dev\n" }, param: "sender_id"},
		{name: "payload too large", payload: MaxPayload + 1, param: "payload"},
	} {
		h := hIHeader()
		if c.change != nil {
			c.change(&h)
		}
		to, signer := k.Public(), devPriv
		if c.name == "zero key" {
			to = c.to
		}
		if c.signer != nil {
			signer = c.signer
		}
		text, err := Seal(h, to, signer, make([]byte, c.payload))
		want := pay.ErrInvalidRequest
		if c.param == "payload" {
			want = pay.ErrPayloadTooLarge
		}
		var pe *pay.Error
		if text != "" || !errors.Is(err, want) || !errors.As(err, &pe) || pe.Param != c.param {
			t.Errorf("%s: Seal = %q, %v; want %s on %s", c.name, text, err, want.Code, c.param)
		}
	}
	// The longest IDs and payload still seal.
	h := hIHeader()
	h.ConversationID, h.SenderID = strings.Repeat("c", MaxIDLen), strings.Repeat("~", MaxIDLen)
	if _, err := Seal(h, hIKey(t, SuiteHybrid).Public(), devPriv, make([]byte, MaxPayload)); err != nil {
		t.Errorf("the largest envelope: %v", err)
	}
}

// A low-order X25519 point parses as 32 bytes but can't be sealed to:
// Seal says so instead of sending a message anyone could read.
func TestSealLowOrderKey(t *testing.T) {
	_, devPriv := hIDevice(t)
	pk, err := ParsePublicKey(SuiteX25519, make([]byte, 32))
	if err != nil {
		if !errors.Is(err, ErrKey) {
			t.Fatalf("ParsePublicKey(zero point) = %v", err)
		}
		return // refused up front: as good
	}
	text, err := Seal(hIHeader(), pk, devPriv, []byte("x"))
	if text != "" || !errors.Is(err, pay.ErrInvalidRequest) {
		t.Fatalf("Seal to the zero point = %q, %v", text, err)
	}
}

// hIEnvelopeBinary builds a binary envelope field by field, for parser
// tests; sealed is what follows the header.
func hIEnvelopeBinary(version, suite byte, ts uint64, conv, sender string, sealed []byte) []byte {
	b := []byte{version, suite}
	b = append(b, bytes.Repeat([]byte{7}, messageIDBytes+keyIDBytes)...)
	b = binary.BigEndian.AppendUint64(b, ts)
	b = append(b, byte(len(conv)))
	b = append(b, conv...)
	b = append(b, byte(len(sender)))
	b = append(b, sender...)
	return append(b, sealed...)
}

// ParseEnvelope refuses every text that is not exactly an envelope of
// this version, with ErrMalformed (ErrTooLarge past the limits), and its
// errors never quote the input.
func TestParseEnvelopeRejects(t *testing.T) {
	_, devPriv := hIDevice(t)
	k := hIKey(t, SuiteX25519)
	good, err := Seal(hIHeader(), k.Public(), devPriv, []byte("payload"))
	if err != nil {
		t.Fatal(err)
	}
	minX := make([]byte, x25519EncLen+sigLen+aeadTagLen)
	ok := hIEnvelopeBinary(1, 1, 1, "c", "s", minX)
	if _, err := ParseEnvelope(hIText(ok)); err != nil {
		t.Fatalf("the minimal envelope: %v", err)
	}
	body := strings.TrimPrefix(good, TextPrefix)
	for _, c := range []struct {
		name string
		text string
		want *pay.Error
	}{
		{"empty", "", ErrMalformed},
		{"prefix only", TextPrefix, ErrMalformed},
		{"lower-case prefix", "pkim1." + body, ErrMalformed},
		{"version 2 prefix", "PKIM2." + body, ErrMalformed},
		{"no prefix", body, ErrMalformed},
		{"padding", good + "=", ErrMalformed},
		{"line break", good[:40] + "\r\n" + good[40:], ErrMalformed},
		{"trailing newline", good + "\n", ErrMalformed},
		{"leading space", " " + good, ErrMalformed},
		{"standard base64", TextPrefix + base64.RawStdEncoding.EncodeToString(bytes.Repeat([]byte{0xfb, 0xff}, 60)), ErrMalformed},
		{"stray bits", good[:len(good)-1] + string(good[len(good)-1]^1), ErrMalformed},
		{"version 0", hIText(hIEnvelopeBinary(0, 1, 1, "c", "s", minX)), ErrMalformed},
		{"version 2", hIText(hIEnvelopeBinary(2, 1, 1, "c", "s", minX)), ErrMalformed},
		{"suite 0", hIText(hIEnvelopeBinary(1, 0, 1, "c", "s", minX)), ErrMalformed},
		{"suite 3", hIText(hIEnvelopeBinary(1, 3, 1, "c", "s", minX)), ErrMalformed},
		{"time 0", hIText(hIEnvelopeBinary(1, 1, 0, "c", "s", minX)), ErrMalformed},
		{"time past 9999", hIText(hIEnvelopeBinary(1, 1, maxMillis+1, "c", "s", minX)), ErrMalformed},
		{"time negative", hIText(hIEnvelopeBinary(1, 1, 1<<63, "c", "s", minX)), ErrMalformed},
		{"empty conversation", hIText(hIEnvelopeBinary(1, 1, 1, "", "s", minX)), ErrMalformed},
		{"conversation with space", hIText(hIEnvelopeBinary(1, 1, 1, "a b", "s", minX)), ErrMalformed},
		{"conversation too long", hIText(hIEnvelopeBinary(1, 1, 1, strings.Repeat("c", MaxIDLen+1), "s", minX)), ErrMalformed},
		{"sender with DEL", hIText(hIEnvelopeBinary(1, 1, 1, "c", "s\x7f", minX)), ErrMalformed},
		{"sender UTF-8", hIText(hIEnvelopeBinary(1, 1, 1, "c", "é", minX)), ErrMalformed},
		{"truncated in the header", hIText(ok[:20]), ErrMalformed},
		{"sender length past the end", hIText(ok[:fixedHeaderLen+1]), ErrMalformed},
		{"no ciphertext", hIText(ok[:len(ok)-len(minX)]), ErrMalformed},
		{"ciphertext one short", hIText(ok[:len(ok)-1]), ErrMalformed},
		{"hybrid with an X25519 body", hIText(hIEnvelopeBinary(1, 2, 1, "c", "s", minX)), ErrMalformed},
		{"payload over the limit", hIText(hIEnvelopeBinary(1, 1, 1, "c", "s", make([]byte, len(minX)+MaxPayload+1))), ErrTooLarge},
		{"text over the limit", TextPrefix + strings.Repeat("A", MaxText), ErrTooLarge},
	} {
		e, err := ParseEnvelope(c.text)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %s", c.name, err, c.want.Code)
			continue
		}
		if e.Suite != 0 || e.Header != (Header{}) || e.sealed != nil {
			t.Errorf("%s: an Envelope with the error: %+v", c.name, e.Header)
		}
		if len(c.text) > 12 && strings.Contains(err.Error(), c.text[len(TextPrefix):len(TextPrefix)+6]) {
			t.Errorf("%s: the error quotes the input: %v", c.name, err)
		}
	}
	// The largest hybrid envelope text is exactly MaxText.
	big := hIEnvelopeBinary(1, 2, 1, strings.Repeat("c", MaxIDLen), strings.Repeat("s", MaxIDLen), make([]byte, hybridEncLen+sigLen+aeadTagLen+MaxPayload))
	if text := hIText(big); len(text) != MaxText {
		t.Errorf("the largest envelope is %d characters, MaxText %d", len(text), MaxText)
	} else if _, err := ParseEnvelope(text); err != nil {
		t.Errorf("the largest envelope: %v", err)
	}
}

// Open refuses an Envelope it can't use without touching the key.
func TestOpenRejectsBadInput(t *testing.T) {
	devPub, devPriv := hIDevice(t)
	lookup := hILookup(map[string]ed25519.PublicKey{"dev_a": devPub})
	k := hIKey(t, SuiteX25519)
	text, _ := Seal(hIHeader(), k.Public(), devPriv, []byte("p"))
	e, _ := ParseEnvelope(text)
	if _, err := (Envelope{}).Open(k, lookup); !errors.Is(err, ErrMalformed) {
		t.Errorf("zero Envelope: %v", err)
	}
	if _, err := e.Open(nil, lookup); !errors.Is(err, pay.ErrInvalidRequest) {
		t.Errorf("nil key: %v", err)
	}
	if _, err := e.Open(k, nil); !errors.Is(err, pay.ErrInvalidRequest) {
		t.Errorf("nil lookup: %v", err)
	}
	bad := e
	bad.Header.ConversationID = "has space"
	if _, err := bad.Open(k, lookup); !errors.Is(err, ErrMalformed) {
		t.Errorf("invalid header: %v", err)
	}
	if bad.Text() != "" || (Envelope{}).Text() != "" {
		t.Error("Text of an envelope that can't be encoded is not empty")
	}
	if _, err := e.Open(k, lookup); err != nil {
		t.Errorf("the envelope no longer opens: %v", err)
	}
}

// Keys: a private key read back from Bytes has the same public key; a
// public key round-trips through Bytes and its text form; IDs are 13
// base32 characters, stable, and differ across keys and suites; bad bytes
// and texts are ErrKey.
func TestKeys(t *testing.T) {
	ids := map[string]bool{}
	for _, s := range hISuites {
		k := hIKey(t, s)
		k2, err := ParsePrivateKey(s, k.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if !k2.Public().Equal(k.Public()) || k2.Public().ID() != k.Public().ID() {
			t.Errorf("%s: ParsePrivateKey(Bytes) gives another key", s)
		}
		pub := k.Public()
		if _, ok := decodeB32(pub.ID(), keyIDBytes); !ok || len(pub.ID()) != KeyIDLen {
			t.Errorf("%s: ID %q is not 13 canonical base32 characters", s, pub.ID())
		}
		if ids[pub.ID()] {
			t.Errorf("%s: ID repeated", s)
		}
		ids[pub.ID()] = true
		p2, err := ParsePublicKey(s, pub.Bytes())
		if err != nil || !p2.Equal(pub) || p2.ID() != pub.ID() {
			t.Errorf("%s: ParsePublicKey(Bytes) = %v, %v", s, p2, err)
		}
		text, err := pub.MarshalText()
		if err != nil || !strings.HasPrefix(string(text), s.String()+".") {
			t.Fatalf("%s: MarshalText = %q, %v", s, text, err)
		}
		var p3 PublicKey
		if err := p3.UnmarshalText(text); err != nil || !p3.Equal(pub) {
			t.Errorf("%s: UnmarshalText(MarshalText) = %v", s, err)
		}
		if pub.String() != s.String()+":"+pub.ID() {
			t.Errorf("%s: String() = %q", s, pub.String())
		}
		// The same bytes under the other suite are refused (lengths differ).
		otherSuite := SuiteHybrid
		if s == SuiteHybrid {
			otherSuite = SuiteX25519
		}
		if _, err := ParsePublicKey(otherSuite, pub.Bytes()); !errors.Is(err, ErrKey) {
			t.Errorf("%s key as %s: %v", s, otherSuite, err)
		}
		b := pub.Bytes()
		b[0] ^= 1
		if pub.Bytes()[0] == b[0] {
			t.Errorf("%s: Bytes shares memory with the key", s)
		}
		for _, bad := range [][]byte{nil, b[:len(b)-1], append(bytes.Clone(b), 0)} {
			if _, err := ParsePublicKey(s, bad); !errors.Is(err, ErrKey) {
				t.Errorf("%s: ParsePublicKey(%d bytes) = %v", s, len(bad), err)
			}
		}
		for _, bad := range []string{"", s.String(), s.String() + ".", "X25519." + string(text[len(s.String())+1:]),
			string(text) + "=", string(text[:len(text)-1]), string(text) + "\n", string(text[:20]) + "\n" + string(text[20:]),
			"rsa." + string(text[len(s.String())+1:])} {
			var p PublicKey
			if err := p.UnmarshalText([]byte(bad)); !errors.Is(err, ErrKey) || !p.IsZero() {
				t.Errorf("%s: UnmarshalText(%.30q…) = %v", s, bad, err)
			}
		}
		if _, err := ParsePrivateKey(s, make([]byte, 31)); !errors.Is(err, ErrKey) {
			t.Errorf("%s: ParsePrivateKey(31 bytes) = %v", s, err)
		}
	}
	// The hybrid suite's encapsulation key is checked, not just measured.
	if _, err := ParsePublicKey(SuiteHybrid, bytes.Repeat([]byte{0xff}, hybridPubLen)); !errors.Is(err, ErrKey) {
		t.Errorf("an invalid ML-KEM key: %v", err)
	}
	var zero PublicKey
	if !zero.IsZero() || zero.String() != "im.PublicKey(zero)" {
		t.Errorf("zero key: %v", zero)
	}
	if _, err := zero.MarshalText(); err == nil {
		t.Error("MarshalText of the zero key succeeded")
	}
}

// Key IDs are stable: recipients and relays may store them, so the
// derivation is pinned by known keys of both suites.
func TestKeyIDGolden(t *testing.T) {
	seed := bytes.Repeat([]byte{0x42}, 32)
	for s, want := range map[Suite]string{SuiteX25519: "djxtmil2ltqf2", SuiteHybrid: "hmekc4vd3dazo"} {
		k, err := ParsePrivateKey(s, seed)
		if err != nil {
			t.Fatal(err)
		}
		if got := k.Public().ID(); got != want {
			t.Errorf("%s: ID %q, want %q", s, got, want)
		}
	}
}

// A private key's secret shows in no format verb and no log.
func TestPrivateKeyRedacted(t *testing.T) {
	for _, s := range hISuites {
		k := hIKey(t, s)
		secret := k.Bytes()
		var logs bytes.Buffer
		slog.New(slog.NewJSONHandler(&logs, nil)).Info("key", "k", k)
		slog.New(slog.NewTextHandler(&logs, nil)).Info("key", "k", k)
		out := fmt.Sprintf("%v %+v %#v %s %x %X %q", k, k, k, k, k, k, k) + logs.String()
		for _, form := range []string{
			fmt.Sprintf("%x", secret), fmt.Sprintf("%X", secret), string(secret),
			base64.StdEncoding.EncodeToString(secret), base64.RawURLEncoding.EncodeToString(secret),
			fmt.Sprint(secret[:8]),
		} {
			if strings.Contains(out, form) {
				t.Fatalf("%s: the private key shows in %q", s, out)
			}
		}
		if fmt.Sprintf("%#v", k) != k.String() {
			t.Errorf("%s: %%#v = %q, not String()", s, fmt.Sprintf("%#v", k))
		}
		if !strings.Contains(out, redacted) || !strings.Contains(out, k.Public().ID()) {
			t.Errorf("%s: %q does not name the key and say it is redacted", s, out)
		}
	}
}

// Message IDs are 26 canonical base32 characters and don't repeat.
func TestNewMessageID(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := NewMessageID()
		if _, ok := decodeB32(id, messageIDBytes); !ok || len(id) != MessageIDLen {
			t.Fatalf("NewMessageID() = %q", id)
		}
		if seen[id] {
			t.Fatalf("NewMessageID repeated %q", id)
		}
		seen[id] = true
	}
}

// Keys are safe to share: 64 goroutines seal to one key with one device
// key and open with the other concurrently (the subsystem does this), and
// exactly 64 payloads come back, each its own.
func TestConcurrentSealOpen(t *testing.T) {
	devPub, devPriv := hIDevice(t)
	lookup := hILookup(map[string]ed25519.PublicKey{"dev_a": devPub})
	k := hIKey(t, SuiteX25519)
	const n = 64
	var wg sync.WaitGroup
	var ok atomic.Int64
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			want := []byte(fmt.Sprintf("payload %d", i))
			text, err := Seal(hIHeader(), k.Public(), devPriv, want)
			if err != nil {
				errs <- err
				return
			}
			got, err := hIOpen(text, k, lookup)
			if err != nil || !bytes.Equal(got, want) {
				errs <- fmt.Errorf("%d: %q, %v", i, got, err)
				return
			}
			ok.Add(1)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if ok.Load() != n {
		t.Fatalf("%d of %d round trips succeeded", ok.Load(), n)
	}
}
