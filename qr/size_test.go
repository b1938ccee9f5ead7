package qr

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/paykit-go/paykit/internal/base45"
)

// The size goal: the signed card of h7Card (16-character holder, 19-digit
// token, 99,999.99 CNY, 50 uses, 365 days, seq 10,000) fits QR version 7 at
// level M. The two encodings a team would reach for first are built here
// from the same claims and measured beside it.

// h7QRVersion is the QR version go-qrcode picks for text at level M.
func h7QRVersion(t *testing.T, text string) int {
	t.Helper()
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		t.Fatalf("qrcode.New(%d characters): %v", len(text), err)
	}
	return q.VersionNumber
}

// Minimal CBOR (RFC 8949), definite lengths only: what a COSE encoder emits.
func h7CBORHead(b []byte, major byte, n uint64) []byte {
	m := major << 5
	switch {
	case n < 24:
		return append(b, m|byte(n))
	case n <= 0xFF:
		return append(b, m|24, byte(n))
	case n <= 0xFFFF:
		return binary.BigEndian.AppendUint16(append(b, m|25), uint16(n))
	case n <= 0xFFFFFFFF:
		return binary.BigEndian.AppendUint32(append(b, m|26), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(b, m|27), n)
}

// h7CBOR encodes int, int64, uint64, string, []byte, []any, and h7CBORMap.
func h7CBOR(b []byte, v any) []byte {
	switch v := v.(type) {
	case int:
		return h7CBOR(b, int64(v))
	case int64:
		if v < 0 {
			return h7CBORHead(b, 1, uint64(-1-v))
		}
		return h7CBORHead(b, 0, uint64(v))
	case uint64:
		return h7CBORHead(b, 0, v)
	case string:
		return append(h7CBORHead(b, 3, uint64(len(v))), v...)
	case []byte:
		return append(h7CBORHead(b, 2, uint64(len(v))), v...)
	case []any:
		b = h7CBORHead(b, 4, uint64(len(v)))
		for _, e := range v {
			b = h7CBOR(b, e)
		}
		return b
	case h7CBORMap:
		b = h7CBORHead(b, 5, uint64(len(v)))
		for _, kv := range v {
			b = h7CBOR(h7CBOR(b, kv[0]), kv[1])
		}
		return b
	}
	panic("h7CBOR: unsupported type")
}

// h7CBORMap is a CBOR map as ordered key/value pairs.
type h7CBORMap [][2]any

// h7COSESign1 returns the tagged COSE_Sign1 (RFC 9052) of payload under an
// Ed25519 key (alg EdDSA, -8, protected; kid unprotected).
func h7COSESign1(t *testing.T, payload []byte, priv ed25519.PrivateKey, pub ed25519.PublicKey) []byte {
	protected := h7CBOR(nil, h7CBORMap{{1, -8}})
	sigStructure := h7CBOR(nil, []any{"Signature1", protected, []byte{}, payload})
	sig := ed25519.Sign(priv, sigStructure)
	if !ed25519.Verify(pub, sigStructure, sig) {
		t.Fatal("COSE signature does not verify")
	}
	msg := h7CBORHead(nil, 6, 18) // tag 18: COSE_Sign1
	return h7CBOR(msg, []any{protected, h7CBORMap{{4, []byte{1}}}, payload, sig})
}

func TestCardSize(t *testing.T) {
	s, keys := h7Keys(t)
	c := h7Card()
	text := h7Encode(t, c, s)
	if _, err := Decode(text, keys, h7Now); err != nil {
		t.Fatal(err)
	}
	raw, _ := base45.Decode(text)
	ours := h7QRVersion(t, text)
	if ours > 7 {
		t.Fatalf("our card needs QR version %d at M, want 7 or lower", ours)
	}
	if len(raw) != 117 || len(text) != 176 {
		t.Errorf("our card is %d bytes / %d characters, want 117 / 176", len(raw), len(text))
	}

	// (a) CBOR claims in an Ed25519 COSE_Sign1, Base45, as a QR alphanumeric text.
	nb, ex := c.NotBefore.Unix(), c.Expires.Unix()
	values := []any{c.ID, c.Holder, c.Token, c.Balance.Amount, c.Balance.Currency, c.Uses, nb, ex, c.Seq}
	names := []string{"id", "holder", "token", "amount", "currency", "uses", "nbf", "exp", "seq"}
	var textKeys, intKeys h7CBORMap
	for i, v := range values {
		textKeys = append(textKeys, [2]any{names[i], v})
		intKeys = append(intKeys, [2]any{i + 1, v})
	}
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	coseText := h7COSESign1(t, h7CBOR(nil, textKeys), priv, pub)
	coseInt := h7COSESign1(t, h7CBOR(nil, intKeys), priv, pub)

	// (b) JSON claims, base64url, and an RSA-2048 PKCS #1 v1.5 signature, in byte mode.
	claims, err := json.Marshal(struct {
		ID        string    `json:"id"`
		KeyID     uint32    `json:"kid"`
		Holder    string    `json:"holder"`
		Token     string    `json:"token"`
		Amount    int64     `json:"amount"`
		Currency  string    `json:"currency"`
		Uses      int       `json:"uses"`
		NotBefore time.Time `json:"not_before"`
		Expires   time.Time `json:"expires"`
		Seq       uint64    `json:"seq"`
	}{c.ID, 1, c.Holder, c.Token, c.Balance.Amount, c.Balance.Currency, c.Uses, c.NotBefore, c.Expires, c.Seq})
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256(claims)
	rsaSig, err := rsa.SignPKCS1v15(rand.Reader, rsaKey, crypto.SHA256, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	if err := rsa.VerifyPKCS1v15(&rsaKey.PublicKey, crypto.SHA256, digest[:], rsaSig); err != nil {
		t.Fatal(err)
	}
	b64 := base64.RawURLEncoding
	jsonText := b64.EncodeToString(claims) + "." + b64.EncodeToString(rsaSig)

	rows := []struct {
		name  string
		bytes int
		text  string
	}{
		{"paykit layout + Ed25519, Base45", len(raw), text},
		{"CBOR (text keys) COSE_Sign1 Ed25519, Base45", len(coseText), base45.Encode(coseText)},
		{"CBOR (int keys) COSE_Sign1 Ed25519, Base45", len(coseInt), base45.Encode(coseInt)},
		{"JSON + RSA-2048 PKCS#1 v1.5, base64url", len(claims) + len(rsaSig), jsonText},
	}
	var table strings.Builder
	table.WriteString("\n| encoding | signed bytes | text chars | QR version (M) |\n|---|---:|---:|---:|\n")
	versions := make([]int, len(rows))
	for i, r := range rows {
		versions[i] = h7QRVersion(t, r.text)
		table.WriteString("| " + r.name + " | " + strconv.Itoa(r.bytes) + " | " + strconv.Itoa(len(r.text)) + " | " + strconv.Itoa(versions[i]) + " |\n")
	}
	t.Log(table.String())
	for i, v := range versions[1:] {
		if v <= ours {
			t.Errorf("%s needs version %d, no more than ours (%d): the comparison is wrong", rows[i+1].name, v, ours)
		}
	}
	if versions[3] <= versions[1] {
		t.Errorf("JSON+RSA (version %d) should need more than CBOR/COSE (version %d)", versions[3], versions[1])
	}
}

// TestCardSizeWorstCase logs the largest card: 32-byte holder and previous
// holder, an opaque token, huge values. It still fits a QR code easily.
func TestCardSizeWorstCase(t *testing.T) {
	s, _ := h7Keys(t)
	c := h7Card()
	c.Holder = strings.Repeat("h", MaxHolderLen)
	c.PrevHolder = strings.Repeat("p", MaxHolderLen)
	c.Token = "ptk_aaaaaaaaaaaaaaaaaaaaaaaaaa"
	c.Balance.Amount = 1<<63 - 1
	c.Uses = MaxUses
	c.Seq = 1<<64 - 1
	c.Expires = time.Unix(maxUnix, 0)
	text, err := Encode(context.Background(), c, s)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base45.Decode(text)
	v := h7QRVersion(t, text)
	t.Logf("worst case: %d bytes, %d characters, QR version %d at M", len(raw), len(text), v)
	if len(raw) != 1+8+1+1+32+16+2+9+5+5+6+10+1+32+64 {
		t.Errorf("worst case is %d bytes, want %d", len(raw), 1+8+1+1+32+16+2+9+5+5+6+10+1+32+64)
	}
}
