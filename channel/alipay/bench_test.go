package alipay

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"testing"

	"github.com/paykit-go/paykit/internal/clock"
)

// BenchmarkParseCallback measures a whole notification: form parsing,
// the sorted sign string, the RSA2 check, freshness, mapping and the
// de-duplication round trip (Seen, then Forget so the next iteration is
// fresh).
func BenchmarkParseCallback(b *testing.B) {
	k := testKeys()
	fake := &fakeAlipay{key: k.alipay, clock: clock.NewFake(testStart)}
	p := fake.notification(paidNotice())
	body := formBody(p)
	c, err := New(Config{AppID: testAppID, PrivateKey: k.app, AlipayPublicKey: &k.alipay.PublicKey}, WithClock(fake.clock))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		ev, err := c.ParseCallback(notifyRequest(body))
		if err != nil {
			b.Fatal(err)
		}
		if err := c.Forget(ctx, ev.ID); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBaselineStdlib is the floor: hashing the pre-built sign string
// and one rsa.VerifyPKCS1v15, nothing else.
func BenchmarkBaselineStdlib(b *testing.B) {
	k := testKeys()
	fake := &fakeAlipay{key: k.alipay, clock: clock.NewFake(testStart)}
	p := fake.notification(paidNotice())
	content := []byte(notifySignContent(p))
	sig, err := base64.StdEncoding.DecodeString(p[paramSign])
	if err != nil {
		b.Fatal(err)
	}
	pub := &k.alipay.PublicKey
	b.ReportAllocs()
	for b.Loop() {
		sum := sha256.Sum256(content)
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err != nil {
			b.Fatal(err)
		}
	}
}
