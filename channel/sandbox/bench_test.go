package sandbox

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/paykit-go/paykit/pay"
)

// BenchmarkParseCallback verifies and decodes one callback per iteration:
// reading the body, the signature check (HMAC-SHA256, constant-time
// compare, freshness) and the strict JSON decode and validation.
func BenchmarkParseCallback(b *testing.B) {
	c, _ := callbackChannel(b)
	body := []byte(goodCallback)
	sig, err := pay.SignWebhook(body, callbackNow, testSecret)
	if err != nil {
		b.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPost, "/callbacks/sandbox", nil)
	r.Header.Set(SignatureHeader, sig)
	rd := bytes.NewReader(body)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		rd.Reset(body)
		r.Body = io.NopCloser(rd)
		if _, err := c.ParseCallback(r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBaselineHMAC is the floor ParseCallback is compared with: one
// HMAC-SHA256 over the same body with crypto/hmac, nothing else.
func BenchmarkBaselineHMAC(b *testing.B) {
	body := []byte(goodCallback)
	key := []byte(testSecret)
	var sum []byte
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		m := hmac.New(sha256.New, key)
		m.Write(body)
		sum = m.Sum(sum[:0])
	}
	if len(sum) != sha256.Size {
		b.Fatal("no MAC")
	}
}
