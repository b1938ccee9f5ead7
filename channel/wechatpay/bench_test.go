package wechatpay_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/paykit-go/paykit/channel/wechatpay"
	"github.com/paykit-go/paykit/internal/clock"
)

// benchCallback is one signed, encrypted callback with what both sides of
// the comparison need: the channel, and the stdlib-ready pieces.
type benchCallback struct {
	header http.Header
	body   []byte
	ch     *wechatpay.Channel
	pub    *rsa.PublicKey
	key    string
}

// vectorCallback is the shared vector's PAYSCORE callback, or false.
func vectorCallback(b *testing.B) (benchCallback, bool) {
	v, cert, ok := loadNotifyVector(b)
	if !ok {
		return benchCallback{}, false
	}
	return benchCallback{
		header: v.header(),
		body:   []byte(v.Body),
		ch:     vectorChannel(b, v, cert, time.Unix(v.NowUnix, 0)),
		pub:    cert.PublicKey.(*rsa.PublicKey),
		key:    v.APIv3Key,
	}, true
}

// fakeCallback is a TRANSACTION.SUCCESS callback as the fake sends it.
func fakeCallback(b *testing.B) benchCallback {
	k := testKeys()
	n := notification{id: "EV-bench", eventType: "TRANSACTION.SUCCESS", originalType: "transaction", summary: "支付成功", resource: transactionResource("order_bench_1", "4200000985202103031441826014", 1234)}
	h, body := n.build(platformSigner{key: k.platformA, serial: serialA}, testNow)
	ch, err := wechatpay.New(testConfig(), wechatpay.WithPlatformCertificates(k.certA), wechatpay.WithClock(clock.NewFake(testNow)))
	if err != nil {
		b.Fatal(err)
	}
	return benchCallback{header: h, body: body, ch: ch, pub: &k.platformA.PublicKey, key: testAPIv3Key}
}

// BenchmarkParseCallback measures a callback from bytes to result: header
// checks, RSA-2048 signature verification, strict envelope JSON, AES-GCM
// open, and (for the fake's payment callback) the resource JSON and the
// mapping to a channel.Event. The vector is a PAYSCORE event, which
// ParseCallback verifies but does not map, so it is measured through
// VerifyNotification, the same work without the mapping.
func BenchmarkParseCallback(b *testing.B) {
	b.Run("vector/VerifyNotification", func(b *testing.B) {
		cb, ok := vectorCallback(b)
		if !ok {
			b.Skip("vector not present")
		}
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := cb.ch.VerifyNotification(ctx, cb.header, cb.body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("fake/ParseCallback", func(b *testing.B) {
		cb := fakeCallback(b)
		r := callbackRequest(cb.header, cb.body)
		b.ReportAllocs()
		for b.Loop() {
			r.Body = io.NopCloser(bytes.NewReader(cb.body))
			if _, err := cb.ch.ParseCallback(r); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkBaselineStdlib is the floor for the same bytes: SHA-256 and
// rsa.VerifyPKCS1v15 over timestamp\nnonce\nbody\n, then AES-GCM Open of the
// resource, with the signature and ciphertext decoded and the cipher built
// before the loop — no header, JSON or mapping work at all.
func BenchmarkBaselineStdlib(b *testing.B) {
	run := func(b *testing.B, cb benchCallback) {
		var env struct{ Resource wechatpay.Resource }
		if err := json.Unmarshal(cb.body, &env); err != nil {
			b.Fatal(err)
		}
		msg := []byte(cb.header.Get("Wechatpay-Timestamp") + "\n" + cb.header.Get("Wechatpay-Nonce") + "\n" + string(cb.body) + "\n")
		sig, err := base64.StdEncoding.DecodeString(cb.header.Get("Wechatpay-Signature"))
		if err != nil {
			b.Fatal(err)
		}
		ct, err := base64.StdEncoding.DecodeString(env.Resource.Ciphertext)
		if err != nil {
			b.Fatal(err)
		}
		block, err := aes.NewCipher([]byte(cb.key))
		if err != nil {
			b.Fatal(err)
		}
		gcm, err := cipher.NewGCM(block)
		if err != nil {
			b.Fatal(err)
		}
		nonce, aad := []byte(env.Resource.Nonce), []byte(env.Resource.AssociatedData)
		out := make([]byte, 0, len(ct))
		b.ReportAllocs()
		for b.Loop() {
			sum := sha256.Sum256(msg)
			if err := rsa.VerifyPKCS1v15(cb.pub, crypto.SHA256, sum[:], sig); err != nil {
				b.Fatal(err)
			}
			if _, err := gcm.Open(out[:0], nonce, ct, aad); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("vector", func(b *testing.B) {
		cb, ok := vectorCallback(b)
		if !ok {
			b.Skip("vector not present")
		}
		run(b, cb)
	})
	b.Run("fake", func(b *testing.B) { run(b, fakeCallback(b)) })
}
