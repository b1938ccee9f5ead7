package im

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"testing"

	"golang.org/x/crypto/nacl/box"
)

// BenchmarkSealOpen measures one message sealed and opened (text form
// included) per op: a pay request (about 200 bytes of JSON) from a device
// to the subsystem, under each suite and under the baseline in the same
// run: golang.org/x/crypto/nacl/box's SealAnonymous (also a fresh X25519
// key per message, XSalsa20-Poly1305) with the same Ed25519 signature over
// the same header and payload inside, the header in clear before the box
// and the same text encoding, so that the work compared is the same.
//
// Metrics: overhead-B is what the binary form adds to the payload (the
// header with its IDs, the encapsulated or ephemeral key, the signature,
// the tag); text-overhead-B is the text form's length minus the payload's.
//
//	go test -run '^$' -bench SealOpen -benchmem -count 3 ./pay/im/
func BenchmarkSealOpen(b *testing.B) {
	payload, err := EncodeRequest(hIPayRequest())
	if err != nil {
		b.Fatal(err)
	}
	devPub, devPriv := hIDevice(b)
	lookup := func(string) (ed25519.PublicKey, error) { return devPub, nil }
	h := hIHeader()

	for _, s := range hISuites {
		b.Run(s.String(), func(b *testing.B) {
			k := hIKey(b, s)
			var text string
			b.ReportAllocs()
			for b.Loop() {
				var err error
				text, err = Seal(h, k.Public(), devPriv, payload)
				if err != nil {
					b.Fatal(err)
				}
				e, err := ParseEnvelope(text)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := e.Open(k, lookup); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(hIBinary(b, text))-len(payload)), "overhead-B")
			b.ReportMetric(float64(len(text)-len(payload)), "text-overhead-B")
		})
	}

	b.Run("naclbox", func(b *testing.B) {
		rPub, rPriv, err := box.GenerateKey(rand.Reader)
		if err != nil {
			b.Fatal(err)
		}
		hh := h
		hh.To = "aaaaaaaaaaaaa"
		var text string
		b.ReportAllocs()
		for b.Loop() {
			// Seal: sign header and payload, box signature ‖ payload to
			// the recipient under a fresh key, prefix the header, encode.
			hb := appendHeader(nil, SuiteX25519, hh)
			plain := append(ed25519.Sign(devPriv, signedMessage(hb, payload)), payload...)
			wire, err := box.SealAnonymous(hb, plain, rPub, rand.Reader)
			if err != nil {
				b.Fatal(err)
			}
			text = TextPrefix + base64.RawURLEncoding.EncodeToString(wire)

			// Open: decode, split off the header, open the box, verify.
			got, err := base64.RawURLEncoding.DecodeString(text[len(TextPrefix):])
			if err != nil {
				b.Fatal(err)
			}
			n := headerLen(hh)
			opened, ok := box.OpenAnonymous(nil, got[n:], rPub, rPriv)
			if !ok || len(opened) < sigLen || !ed25519.Verify(devPub, signedMessage(got[:n], opened[sigLen:]), opened[:sigLen]) {
				b.Fatal("the box does not open")
			}
		}
		wire, _ := base64.RawURLEncoding.DecodeString(text[len(TextPrefix):])
		b.ReportMetric(float64(len(wire)-len(payload)), "overhead-B")
		b.ReportMetric(float64(len(text)-len(payload)), "text-overhead-B")
	})
}
