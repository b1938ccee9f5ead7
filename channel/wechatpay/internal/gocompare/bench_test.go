// Package gocompare benchmarks paykit's WeChat Pay callback parsing against
// wechatpay-go's notify handler on the same published vector. It is its own
// module so that wechatpay-go (and gomonkey) stay out of paykit's module
// graph.
package gocompare

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/agiledragon/gomonkey/v2"
	"github.com/paykit-go/paykit/channel/wechatpay"
	"github.com/paykit-go/paykit/internal/clock"
	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/core/auth/verifiers"
	"github.com/wechatpay-apiv3/wechatpay-go/core/notify"
)

// vector is ../shared/vectors/wechatpay_v3_notify.json, relative to the
// paykit repository root (five levels up from here).
type vector struct {
	NowUnix        int64             `json:"now_unix"`
	APIv3Key       string            `json:"api_v3_key"`
	CertificatePEM string            `json:"platform_certificate_pem"`
	Headers        map[string]string `json:"headers"`
	Body           string            `json:"body"`
	Expected       struct {
		Plaintext string `json:"plaintext"`
	} `json:"expected"`
}

// content is the vector's decrypted resource; both sides decode into it.
type content struct {
	MchID           string    `json:"mchid"`
	AppID           string    `json:"appid"`
	CreateTime      time.Time `json:"create_time"`
	OutContractCode string    `json:"out_contract_code"`
}

func load(tb testing.TB) (vector, *x509.Certificate) {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "..", "shared", "vectors", "wechatpay_v3_notify.json"))
	if errors.Is(err, os.ErrNotExist) {
		tb.Skip("shared vector not present")
	}
	if err != nil {
		tb.Fatal(err)
	}
	var v vector
	if err := json.Unmarshal(raw, &v); err != nil {
		tb.Fatal(err)
	}
	block, _ := pem.Decode([]byte(v.CertificatePEM))
	if block == nil {
		tb.Fatal("certificate is not PEM")
		return v, nil
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		tb.Fatal(err)
	}
	return v, cert
}

// request is the vector as an incoming callback; its body is reset per use.
func (v vector) request() *http.Request {
	r := httptest.NewRequest(http.MethodPost, "https://merchant.example/notify", nil)
	for k, val := range v.Headers {
		r.Header.Set(k, val)
	}
	return r
}

var (
	merchantOnce sync.Once
	merchantKey  *rsa.PrivateKey
)

// paykitChannel verifies with the vector's certificate and 16-byte APIv3
// key at the vector's now_unix (paykit's clock is injectable).
func paykitChannel(tb testing.TB, v vector, cert *x509.Certificate) *wechatpay.Channel {
	merchantOnce.Do(func() {
		var err error
		if merchantKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	ch, err := wechatpay.New(wechatpay.Config{
		MchID: "1234567890", AppID: "wxd678efh567hg6787", APIv3Key: v.APIv3Key,
		MerchantSerial: "3775B6A45ACD588826D15E583A95F5DD", MerchantKey: merchantKey,
		NotifyURL: "https://merchant.example/notify",
	}, wechatpay.WithPlatformCertificates(cert), wechatpay.WithClock(clock.NewFake(time.Unix(v.NowUnix, 0))))
	if err != nil {
		tb.Fatal(err)
	}
	return ch
}

// paykitParse is paykit's side of one callback: read the body (≤ 64 KiB),
// verify signature and freshness, strictly parse the envelope, decrypt, and
// decode the resource.
func paykitParse(ch *wechatpay.Channel, r *http.Request, out *content) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, wechatpay.MaxCallbackBytes+1))
	if err != nil {
		return err
	}
	n, err := ch.VerifyNotification(r.Context(), r.Header, body)
	if err != nil {
		return err
	}
	return json.Unmarshal(n.Plaintext, out)
}

// wechatpayGoHandler is wechatpay-go's RSA + AES-GCM notify handler with the
// vector's certificate.
func wechatpayGoHandler(tb testing.TB, v vector, cert *x509.Certificate) *notify.Handler {
	h, err := notify.NewRSANotifyHandler(v.APIv3Key, verifiers.NewSHA256WithRSAVerifier(core.NewCertificateMapWithList([]*x509.Certificate{cert})))
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

// atVectorTime makes time.Now report the vector's time, advancing with the
// real clock. wechatpay-go checks Wechatpay-Timestamp against time.Now with
// no way to inject a clock, and the vector dates from 2021; patching
// time.Now is how wechatpay-go's own test accepts this vector
// (TestHandler_ParseNotifyRequest). The patched clock has no monotonic
// reading, so the benchmark timer, which must start after the patch, still
// measures real elapsed time.
func atVectorTime(tb testing.TB, v vector) func() {
	realStart := time.Now()
	base := time.Unix(v.NowUnix, 0)
	p := gomonkey.ApplyFunc(time.Now, func() time.Time { return base.Add(time.Since(realStart)) })
	if got := time.Now().Unix(); got < v.NowUnix || got > v.NowUnix+60 {
		p.Reset()
		tb.Skip("time.Now could not be patched here (inlined?); run with -gcflags=all=-l")
	}
	return p.Reset
}

// TestSameResult: both parsers accept the vector and yield the expected
// resource, so the benchmarks compare the same work.
func TestSameResult(t *testing.T) {
	v, cert := load(t)
	var want content
	if err := json.Unmarshal([]byte(v.Expected.Plaintext), &want); err != nil {
		t.Fatal(err)
	}
	r := v.request()
	r.Body = io.NopCloser(bytes.NewReader([]byte(v.Body)))
	var got content
	if err := paykitParse(paykitChannel(t, v, cert), r, &got); err != nil || got != want {
		t.Fatalf("paykit: %+v, %v", got, err)
	}

	h := wechatpayGoHandler(t, v, cert)
	r.Body = io.NopCloser(bytes.NewReader([]byte(v.Body)))
	if _, err := h.ParseNotifyRequest(context.Background(), r, &got); err == nil {
		t.Fatal("wechatpay-go accepted the 2021 vector on today's clock")
	}
	defer atVectorTime(t, v)()
	got = content{}
	r.Body = io.NopCloser(bytes.NewReader([]byte(v.Body)))
	n, err := h.ParseNotifyRequest(context.Background(), r, &got)
	if err != nil || got != want || n.Resource.Plaintext != v.Expected.Plaintext {
		t.Fatalf("wechatpay-go: %+v, %v", got, err)
	}
}

// BenchmarkPaykit parses the vector callback with paykit at now_unix.
func BenchmarkPaykit(b *testing.B) {
	v, cert := load(b)
	ch := paykitChannel(b, v, cert)
	r := v.request()
	body := []byte(v.Body)
	b.ReportAllocs()
	for b.Loop() {
		r.Body = io.NopCloser(bytes.NewReader(body))
		var c content
		if err := paykitParse(ch, r, &c); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWechatpayGo parses the same callback with wechatpay-go's
// notify.Handler.ParseNotifyRequest, time.Now patched to now_unix.
func BenchmarkWechatpayGo(b *testing.B) {
	v, cert := load(b)
	h := wechatpayGoHandler(b, v, cert)
	r := v.request()
	body := []byte(v.Body)
	ctx := context.Background()
	defer atVectorTime(b, v)() // before b.Loop starts the timer
	b.ReportAllocs()
	for b.Loop() {
		r.Body = io.NopCloser(bytes.NewReader(body))
		var c content
		if _, err := h.ParseNotifyRequest(ctx, r, &c); err != nil {
			b.Fatal(fmt.Errorf("wechatpay-go: %w", err))
		}
	}
}
