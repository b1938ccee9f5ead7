// Package fpecompare benchmarks issuing a numeric token with paykit's vault
// against encrypting a 16-digit number with capitalone/fpe's FF1, the
// format-preserving alternative to a vault. It is its own module so that
// capitalone/fpe stays out of paykit's module graph.
package fpecompare

import (
	"context"
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/capitalone/fpe/ff1"
	"github.com/paykit-go/paykit/token"
)

// fpeKey is an AES-256 key, the key size the vault seals accounts with.
var fpeKey = mustHex("2B7E151628AED2A6ABF7158809CF4F3CEF4359D8D580AA4F7F036D6F04FC6A94")

// fpeTweak is an 8-byte tweak (NewCipher's maxTLen).
var fpeTweak = []byte("paykit01")

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// pans returns n distinct Luhn-valid 16-digit card numbers under BIN 4,
// outside the vault's token BIN range.
func pans(n int) []string {
	out := make([]string, n)
	for i := range out {
		p := fmt.Sprintf("4%014d", i)
		out[i] = p + string(luhnDigit(p))
	}
	return out
}

// luhnDigit is the check digit that makes payload+digit Luhn-valid.
func luhnDigit(payload string) byte {
	sum, double := 0, true
	for i := len(payload) - 1; i >= 0; i-- {
		d := int(payload[i] - '0')
		if double {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return byte('0' + (10-sum%10)%10)
}

// TestFF1Vector checks capitalone/fpe's FF1 against NIST SP 800-38G's
// samples 1 (AES-128) and 7 (AES-256, the key size benchmarked), radix 10,
// empty tweak, both ways, so the baseline is known to compute FF1.
func TestFF1Vector(t *testing.T) {
	for _, tc := range []struct{ name, key, pt, ct string }{
		{"sample1", "2B7E151628AED2A6ABF7158809CF4F3C", "0123456789", "2433477484"},
		{"sample7", "2B7E151628AED2A6ABF7158809CF4F3CEF4359D8D580AA4F7F036D6F04FC6A94", "0123456789", "6657667009"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ff1.NewCipher(10, 8, mustHex(tc.key), nil)
			if err != nil {
				t.Fatal(err)
			}
			ct, err := c.Encrypt(tc.pt)
			if err != nil || ct != tc.ct {
				t.Fatalf("Encrypt(%s) = %q, %v; want %q", tc.pt, ct, err, tc.ct)
			}
			pt, err := c.Decrypt(ct)
			if err != nil || pt != tc.pt {
				t.Fatalf("Decrypt(%s) = %q, %v; want %q", ct, pt, err, tc.pt)
			}
		})
	}
}

// TestSameShape checks that both sides of the comparison turn a 16-digit
// PAN into a 16-digit number: the vault's token Luhn-valid inside its BIN
// range, FF1's ciphertext a different 16-digit string that decrypts back.
func TestSameShape(t *testing.T) {
	p := pans(2)[1]
	if !token.LuhnValid(p) || token.DefaultBINRange.Contains(p) {
		t.Fatalf("test PAN is not a Luhn-valid number outside the token range")
	}
	v, err := token.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	iss, err := v.Issue(context.Background(), token.Caller{ID: "requestor"}, token.IssueRequest{Account: p, AccountType: token.AccountCard})
	if err != nil {
		t.Fatal(err)
	}
	if iss.Token.Format != token.FormatNumeric || !v.BINRange().Holds(iss.Token.Value) || len(iss.Token.Value) != 16 {
		t.Fatalf("issued token: format %s, %d digits, in range and Luhn-valid %v", iss.Token.Format, len(iss.Token.Value), v.BINRange().Holds(iss.Token.Value))
	}
	c, err := ff1.NewCipher(10, 8, fpeKey, fpeTweak)
	if err != nil {
		t.Fatal(err)
	}
	ct, err := c.Encrypt(p)
	if err != nil || len(ct) != 16 || ct == p {
		t.Fatalf("FF1 ciphertext: %d digits, equal to the plaintext %v, err %v", len(ct), ct == p, err)
	}
	if back, err := c.Decrypt(ct); err != nil || back != p {
		t.Fatalf("FF1 does not decrypt back (err %v)", err)
	}
}

// BenchmarkIssueNumeric issues a numeric token for a fresh 16-digit PAN per
// operation (PANs precomputed), on the default MemStore, without controls.
func BenchmarkIssueNumeric(b *testing.B) {
	v, err := token.New(make([]byte, 32))
	if err != nil {
		b.Fatal(err)
	}
	in := pans(b.N)
	ctx, c := context.Background(), token.Caller{ID: "requestor"}
	var last token.Issued
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		iss, err := v.Issue(ctx, c, token.IssueRequest{Account: in[i], AccountType: token.AccountCard})
		if err != nil {
			b.Fatal(err)
		}
		last = iss
	}
	b.StopTimer()
	if !v.BINRange().Holds(last.Token.Value) {
		b.Fatal("last token is not a numeric token of the vault's range")
	}
}

// BenchmarkFF1Encrypt16 encrypts a 16-digit number per operation (the same
// precomputed PANs) with one FF1 cipher: radix 10, AES-256, 8-byte tweak.
func BenchmarkFF1Encrypt16(b *testing.B) {
	c, err := ff1.NewCipher(10, 8, fpeKey, fpeTweak)
	if err != nil {
		b.Fatal(err)
	}
	in := pans(b.N)
	var last string
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ct, err := c.Encrypt(in[i])
		if err != nil {
			b.Fatal(err)
		}
		last = ct
	}
	b.StopTimer()
	if back, err := c.Decrypt(last); err != nil || back != in[b.N-1] || len(last) != 16 {
		b.Fatalf("last ciphertext does not decrypt back to its 16-digit PAN (err %v)", err)
	}
}
