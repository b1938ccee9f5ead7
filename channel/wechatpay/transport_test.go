package wechatpay_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/channel/wechatpay"
	"github.com/paykit-go/paykit/pay"
)

// tamperTransport changes each request after the channel signed it, like an
// attacker on the path would.
type tamperTransport struct {
	base   http.RoundTripper
	mutate func(r *http.Request, body []byte) []byte
}

func (t tamperTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		r.Body.Close()
	}
	body = t.mutate(r, body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	return t.base.RoundTrip(r)
}

func qrCharge(id string) channel.ChargeRequest {
	return channel.ChargeRequest{ChargeID: id, Scenario: channel.ScenarioQR, Amount: cny(10000)}
}

func TestRequestSignatureRejectedWhenTampered(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(r *http.Request, body []byte) []byte
	}{
		{"amount changed", func(_ *http.Request, b []byte) []byte {
			return bytes.Replace(b, []byte(`"total":10000`), []byte(`"total":1`), 1)
		}},
		{"path changed", func(r *http.Request, b []byte) []byte {
			r.URL.Path = strings.Replace(r.URL.Path, "native", "h5", 1)
			return b
		}},
		{"signature replaced", func(r *http.Request, b []byte) []byte {
			a, _ := wechatpay.ParseAuthorization(r.Header.Get("Authorization"))
			a.Signature = rsaSign(testKeys().platformA, "forged")
			r.Header.Set("Authorization", a.String())
			return b
		}},
		{"stale timestamp", func(r *http.Request, b []byte) []byte {
			a, _ := wechatpay.ParseAuthorization(r.Header.Get("Authorization"))
			a.Timestamp = "1700000000"
			r.Header.Set("Authorization", a.String())
			return b
		}},
		{"no Authorization", func(r *http.Request, b []byte) []byte { r.Header.Del("Authorization"); return b }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			defer f.Close()
			client := f.srv.Client()
			client.Transport = tamperTransport{base: client.Transport, mutate: tt.mutate}
			ch := newTestChannel(t, f, wechatpay.WithHTTPClient(client))
			_, err := ch.CreateCharge(context.Background(), qrCharge("order_tamper1"))
			// SIGN_ERROR: refused before acting, so failover is safe.
			wantErr(t, err, channel.ErrUnavailable)
			if !strings.Contains(err.Error(), "SIGN_ERROR") {
				t.Errorf("err = %v, want SIGN_ERROR", err)
			}
			if n := f.accepted(); n != 0 {
				t.Errorf("fake accepted %d calls", n)
			}
		})
	}
}

func TestRequestSignedWithWrongMerchantKey(t *testing.T) {
	f := newFake()
	defer f.Close()
	cfg := testConfig()
	cfg.MerchantKey = testKeys().platformB
	ch, err := wechatpay.New(cfg, append(f.channelOptions(), wechatpay.WithPlatformCertificates(testKeys().certA))...)
	if err != nil {
		t.Fatal(err)
	}
	_, err = ch.QueryCharge(context.Background(), "order_anything")
	wantErr(t, err, channel.ErrUnavailable)
}

func TestRequestShape(t *testing.T) {
	f := newFake()
	defer f.Close()
	ch := newTestChannel(t, f)
	if _, err := ch.CreateCharge(context.Background(), qrCharge("order_shape_1")); err != nil {
		t.Fatal(err)
	}
	a, err := wechatpay.ParseAuthorization(f.authHeader())
	if err != nil {
		t.Fatal(err)
	}
	if a.MchID != testMchID || a.SerialNo != testMerchantSerial || a.Timestamp != "1772359200" || len(a.Nonce) != 32 {
		t.Errorf("Authorization = %+v", a)
	}
	if !strings.HasPrefix(f.authHeader(), `WECHATPAY2-SHA256-RSA2048 mchid="1900000109",nonce_str="`) {
		t.Errorf("header = %q", f.authHeader())
	}
	// A second call uses a fresh nonce (the fake refuses reused ones).
	if _, err := ch.QueryCharge(context.Background(), "order_shape_1"); err != nil {
		t.Fatal(err)
	}
	b, _ := wechatpay.ParseAuthorization(f.authHeader())
	if b.Nonce == a.Nonce {
		t.Error("nonce reused")
	}
}

func TestAnswerVerification(t *testing.T) {
	tests := []struct {
		name   string
		change func(f *fakeWeChat)
		want   error
	}{
		{"signature over other bytes", func(f *fakeWeChat) { f.corruptSig = true }, channel.ErrBadSignature},
		{"unsigned 200", func(f *fakeWeChat) { f.unsigned = true }, channel.ErrBadSignature},
		{"signed by an unknown key", func(f *fakeWeChat) {
			f.signer = platformSigner{key: testKeys().platformB, serial: "7132D72A03E93CDDF8C03BBD1F37EEDF204386C8"}
		}, channel.ErrBadSignature},
		{"right serial, wrong key", func(f *fakeWeChat) { f.signer.key = testKeys().platformB }, channel.ErrBadSignature},
		{"stale by 301s", func(f *fakeWeChat) { f.answerSkew = -301 * time.Second }, channel.ErrStale},
		{"from the future by 301s", func(f *fakeWeChat) { f.answerSkew = 301 * time.Second }, channel.ErrStale},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			defer f.Close()
			ch := newTestChannel(t, f)
			f.set(tt.change)
			_, err := ch.CreateCharge(context.Background(), qrCharge("order_verify1"))
			wantErr(t, err, tt.want)
		})
	}
	t.Run("within tolerance", func(t *testing.T) {
		f := newFake()
		defer f.Close()
		ch := newTestChannel(t, f, wechatpay.WithTolerance(time.Minute))
		f.set(func(f *fakeWeChat) { f.answerSkew = -59 * time.Second })
		if _, err := ch.CreateCharge(context.Background(), qrCharge("order_verify2")); err != nil {
			t.Fatal(err)
		}
		f.set(func(f *fakeWeChat) { f.answerSkew = -61 * time.Second })
		_, err := ch.CreateCharge(context.Background(), qrCharge("order_verify3"))
		wantErr(t, err, channel.ErrStale)
	})
}

func TestProviderErrors(t *testing.T) {
	tests := []struct {
		status int
		code   string
		want   error
	}{
		{400, "PARAM_ERROR", channel.ErrDeclined},
		{400, "INVALID_REQUEST", channel.ErrDeclined},
		{400, "ORDER_CLOSED", channel.ErrDeclined},
		{403, "OUT_TRADE_NO_USED", channel.ErrDeclined},
		{403, "NOTENOUGH", channel.ErrDeclined},
		{403, "RULE_LIMIT", channel.ErrDeclined},
		{403, "NO_AUTH", channel.ErrUnavailable},
		{400, "APPID_MCHID_NOT_MATCH", channel.ErrUnavailable},
		{401, "SIGN_ERROR", channel.ErrUnavailable},
		{404, "ORDER_NOT_EXIST", channel.ErrUnknownCharge},
		{404, "", channel.ErrUnknownCharge},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			f := newFake()
			defer f.Close()
			ch := newTestChannel(t, f)
			f.failNext(tt.status, tt.code, 1)
			_, err := ch.CreateCharge(context.Background(), qrCharge("order_errors1"))
			wantErr(t, err, tt.want)
			if tt.code != "" && !strings.Contains(err.Error(), tt.code) {
				t.Errorf("err %q lacks the provider code", err)
			}
		})
	}
}

func TestRetriesAndOutcome(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		code    string
		times   int
		wantErr error
	}{
		{"one SYSTEM_ERROR then success", 500, "SYSTEM_ERROR", 1, nil},
		{"SYSTEM_ERROR every attempt", 500, "SYSTEM_ERROR", 3, channel.ErrOutcomeUnknown},
		{"FREQUENCY_LIMITED every attempt", 429, "FREQUENCY_LIMITED", 3, channel.ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			defer f.Close()
			ch := newTestChannel(t, f)
			f.failNext(tt.status, tt.code, tt.times)
			_, err := ch.CreateCharge(context.Background(), qrCharge("order_retry01"))
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("CreateCharge: %v", err)
				}
				return
			}
			wantErr(t, err, tt.wantErr)
		})
	}
	t.Run("unreachable", func(t *testing.T) {
		f := newFake()
		ch := newTestChannel(t, f)
		f.Close()
		_, err := ch.CreateCharge(context.Background(), qrCharge("order_retry02"))
		wantErr(t, err, channel.ErrUnavailable)
	})
}

func TestNewRefusesBadConfig(t *testing.T) {
	certs := wechatpay.WithPlatformCertificates(testKeys().certA)
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change func(c *wechatpay.Config)
		opts   []wechatpay.Option
	}{
		{"no MchID", func(c *wechatpay.Config) { c.MchID = "" }, nil},
		{"MchID not digits", func(c *wechatpay.Config) { c.MchID = "19000x" }, nil},
		{"no AppID", func(c *wechatpay.Config) { c.AppID = "" }, nil},
		{"APIv3 key 31 bytes", func(c *wechatpay.Config) { c.APIv3Key = testAPIv3Key[:31] }, nil},
		{"no serial", func(c *wechatpay.Config) { c.MerchantSerial = "" }, nil},
		{"no key", func(c *wechatpay.Config) { c.MerchantKey = nil }, nil},
		{"1024-bit key", func(c *wechatpay.Config) { c.MerchantKey = small }, nil},
		{"notify URL with query", func(c *wechatpay.Config) { c.NotifyURL = "https://m.example/n?a=b" }, nil},
		{"notify URL relative", func(c *wechatpay.Config) { c.NotifyURL = "/notify" }, nil},
		{"no platform keys", func(*wechatpay.Config) {}, []wechatpay.Option{}},
		{"bad base URL", nil, []wechatpay.Option{certs, wechatpay.WithBaseURL("ftp://x")}},
		{"nil client", nil, []wechatpay.Option{certs, wechatpay.WithHTTPClient(nil)}},
		{"zero attempts", nil, []wechatpay.Option{certs, wechatpay.WithRetryPolicy(pay.RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: time.Millisecond})}},
		{"nil clock", nil, []wechatpay.Option{certs, wechatpay.WithClock(nil)}},
		{"tolerance 0", nil, []wechatpay.Option{certs, wechatpay.WithTolerance(0)}},
		{"nil certificate", nil, []wechatpay.Option{wechatpay.WithPlatformCertificates(nil)}},
		{"public key ID shape", nil, []wechatpay.Option{wechatpay.WithPlatformPublicKey("ABC", &testKeys().platformA.PublicKey)}},
		{"small public key", nil, []wechatpay.Option{wechatpay.WithPlatformPublicKey(testPublicKeyID, &small.PublicKey)}},
		{"refresh too often", nil, []wechatpay.Option{wechatpay.WithCertificateRefresh(time.Second)}},
		{"plan 0", nil, []wechatpay.Option{certs, wechatpay.WithAgreementPlan(0)}},
		{"nil option", nil, []wechatpay.Option{certs, nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			opts := []wechatpay.Option{certs}
			if tt.change != nil {
				tt.change(&cfg)
			}
			if tt.opts != nil {
				opts = tt.opts
			}
			_, err := wechatpay.New(cfg, opts...)
			wantErr(t, err, channel.ErrMalformed)
		})
	}
	for _, n := range []int{16, 24, 32} {
		cfg := testConfig()
		cfg.APIv3Key = testAPIv3Key[:n]
		if _, err := wechatpay.New(cfg, certs); err != nil {
			t.Errorf("APIv3 key of %d bytes: %v", n, err)
		}
	}
}
