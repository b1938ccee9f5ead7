package wechatpay_test

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/channel/wechatpay"
	"github.com/paykit-go/paykit/internal/clock"
	"github.com/paykit-go/paykit/pay"
)

// callbackCauses are the errors ParseCallback may answer; each failure
// matches exactly one.
var callbackCauses = []error{channel.ErrBadSignature, channel.ErrStale, channel.ErrMalformed, channel.ErrUnsupported}

// FuzzParseCallback feeds arbitrary bodies and Wechatpay-* headers to
// ParseCallback. It must never panic, must answer a *pay.Error of exactly
// one callback cause on failure, and must accept only input whose signature
// really verifies — checked independently with crypto/rsa against platform
// key A — whose timestamp is within the tolerance, and that maps to an event
// with an ID. Seeds: valid callbacks signed and encrypted like the fake's,
// and junk.
func FuzzParseCallback(f *testing.F) {
	k := testKeys()
	signer := platformSigner{key: k.platformA, serial: serialA}
	for _, n := range []notification{
		{eventType: "TRANSACTION.SUCCESS", originalType: "transaction", summary: "支付成功", resource: transactionResource("order_fuzz_01", "4200000985202103031441826014", 100)},
		{eventType: "REFUND.SUCCESS", originalType: "refund", summary: "退款成功", resource: refundResource("order_fuzz_01", "refund_fuzz1", "SUCCESS", 1, 100)},
		{eventType: "ENTRUST.TERMINATE", originalType: "entrust", resource: contractResource("ctfuzz", "Wx1", "TERMINATED")},
		{eventType: "PAYSCORE.USER_OPEN_SERVICE", originalType: "payscore", resource: map[string]any{"out_contract_code": "x"}},
	} {
		h, body := n.build(signer, testNow)
		f.Add(body, h.Get("Wechatpay-Serial"), h.Get("Wechatpay-Timestamp"), h.Get("Wechatpay-Nonce"), h.Get("Wechatpay-Signature"))
	}
	ts := strconv.FormatInt(testNow.Unix(), 10)
	f.Add([]byte(`{}`), serialA, ts, "n", rsaSign(k.platformA, ts+"\nn\n{}\n"))
	f.Add([]byte(`{"id":"1","create_time":"2026-03-01T18:00:00+08:00","event_type":"TRANSACTION.SUCCESS","resource_type":"encrypt-resource","summary":"","resource":{"algorithm":"AEAD_AES_256_GCM","ciphertext":"AAAA","nonce":"123456789012","associated_data":""}}`), serialA, ts, "n", "AAAA")
	f.Add([]byte("junk"), "", "", "", "")
	f.Add([]byte(nil), serialA, "0", "\x00", "====")
	f.Add([]byte(`[]`), "PUB_KEY_ID_1", "99999999999999", "nonce", "WECHATPAY/SIGNTEST/abc")

	ch, err := wechatpay.New(testConfig(), wechatpay.WithPlatformCertificates(k.certA), wechatpay.WithClock(clock.NewFake(testNow)))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte, serial, timestamp, nonce, signature string) {
		h := map[string]string{"Wechatpay-Serial": serial, "Wechatpay-Timestamp": timestamp, "Wechatpay-Nonce": nonce, "Wechatpay-Signature": signature}
		hdr := make(map[string][]string)
		for name, v := range h {
			if v != "" {
				hdr[name] = []string{v}
			}
		}
		ev, err := ch.ParseCallback(callbackRequest(hdr, body))
		if err != nil {
			var pe *pay.Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *pay.Error", err)
			}
			n := 0
			for _, c := range callbackCauses {
				if errors.Is(err, c) {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("error %v matches %d causes", err, n)
			}
			noSecrets(t, err.Error())
			return
		}
		// Accepted: it must really be signed by platform key A…
		if serial != serialA {
			t.Fatalf("accepted serial %q", serial)
		}
		sig, err := base64.StdEncoding.DecodeString(signature)
		if err != nil {
			t.Fatalf("accepted non-base64 signature: %v", err)
		}
		sum := sha256.Sum256([]byte(timestamp + "\n" + nonce + "\n" + string(body) + "\n"))
		if rsa.VerifyPKCS1v15(&k.platformA.PublicKey, crypto.SHA256, sum[:], sig) != nil {
			t.Fatal("accepted a callback whose signature does not verify")
		}
		// …fresh…
		sec, err := strconv.ParseInt(timestamp, 10, 64)
		if err != nil || testNow.Sub(time.Unix(sec, 0)).Abs() > wechatpay.DefaultTolerance {
			t.Fatalf("accepted timestamp %q", timestamp)
		}
		// …and a mapped event.
		if ev.ID == "" || ev.Channel != "wechatpay" || ev.Type == "" {
			t.Fatalf("accepted event %+v", ev)
		}
	})
}

// FuzzParseAuthorization: no panic; failures are ErrMalformed *pay.Errors;
// whatever parses formats back to a header that parses to the same fields.
func FuzzParseAuthorization(f *testing.F) {
	good := wechatpay.Authorization{MchID: testMchID, Nonce: "593BEC0C930BF1AFEB40B4A08C8FB242", Signature: "uOVRnA4qG/MNnYzdQxJanN+zU+lTgIcnU9BxGw5dKjK+VdEUz2FeIoC+D5sB/LN+nGzX3hfZg6r5wT1pl2ZobmIc6p0ldN7J6yDgUzbX8Uk3sD4a4eZVPTBvqNDoUqcYMlZ9uuDdCvNv4TM3c1WzsXUrExwVkI1XO5jCNbgDJ25nkT/c1gIFvqoogl7MdSFGc4W4xZsqCItnqbypR3RuGIlR9h9vlRsy7zJR9PBI83X8alLDIfR1ukt1P7tMnmogZ0cuDY8cZsd8ZlCgLadmvej58SLsIkVxFJ8XyUgx9FmutKSYTmYtWBZ0+tNvfGmbXU7cob8H/4nLBiCwIUFluw==", Timestamp: "1554208460", SerialNo: "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C"}
	for _, s := range []string{
		good.String(),
		`WECHATPAY2-SHA256-RSA2048 mchid="1900007291",nonce_str="N",timestamp="1",serial_no="S",signature="A="`,
		`WECHATPAY2-SHA256-RSA2048 mchid="1",mchid="1",nonce_str="N",timestamp="1",serial_no="S",signature="A="`,
		`WECHATPAY2-SHA256-RSA2048 mchid="1",nonce_str="N",timestamp="1",serial_no="S"`,
		`WECHATPAY2-SHA256-RSA2048 mchid="1",nonce_str="N,",timestamp="1",serial_no="S",signature="A"`,
		`WECHATPAY2-SHA256-RSA2048 mchid=1,nonce_str="N",timestamp="1",serial_no="S",signature="A"`,
		`Bearer abc`,
		`WECHATPAY2-SHA256-RSA2048  mchid=""`,
		``,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		a, err := wechatpay.ParseAuthorization(header)
		if err != nil {
			var pe *pay.Error
			if !errors.As(err, &pe) || !errors.Is(err, channel.ErrMalformed) {
				t.Fatalf("error %v is not an ErrMalformed *pay.Error", err)
			}
			return
		}
		if a.MchID == "" || a.Nonce == "" || a.Signature == "" || a.Timestamp == "" || a.SerialNo == "" {
			t.Fatalf("parsed %+v with an empty field", a)
		}
		again, err := wechatpay.ParseAuthorization(a.String())
		if err != nil {
			t.Fatalf("String() of a parsed header does not parse: %v", err)
		}
		if diff := cmp.Diff(a, again); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}
	})
}
