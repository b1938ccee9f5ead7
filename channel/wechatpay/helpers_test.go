package wechatpay_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/paykit-go/paykit/channel/wechatpay"
	"github.com/paykit-go/paykit/pay"
)

// fastRetries keeps retry tests quick.
var fastRetries = pay.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}

func testConfig() wechatpay.Config {
	return wechatpay.Config{
		MchID:          testMchID,
		AppID:          testAppID,
		APIv3Key:       testAPIv3Key,
		MerchantSerial: testMerchantSerial,
		MerchantKey:    testKeys().merchant,
		NotifyURL:      testNotifyURL,
	}
}

// newTestChannel returns a channel pointed at f that trusts certificate A,
// plus opts.
func newTestChannel(t testing.TB, f *fakeWeChat, opts ...wechatpay.Option) *wechatpay.Channel {
	t.Helper()
	all := append(f.channelOptions(), wechatpay.WithPlatformCertificates(testKeys().certA))
	ch, err := wechatpay.New(testConfig(), append(all, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return ch
}

// wantErr checks that err is a *pay.Error matching sentinel and that its
// text carries none of the secrets.
func wantErr(t testing.TB, err, sentinel error) {
	t.Helper()
	if err == nil {
		t.Fatalf("err = nil, want %v", sentinel)
	}
	var pe *pay.Error
	if !errors.As(err, &pe) {
		t.Fatalf("err %T %v is not a *pay.Error", err, err)
	}
	if !errors.Is(err, sentinel) {
		t.Fatalf("err = %v, want %v", err, sentinel)
	}
	noSecrets(t, err.Error())
}

// noSecrets fails when s contains key material.
func noSecrets(t testing.TB, s string) {
	t.Helper()
	for _, secret := range []string{testAPIv3Key, "PRIVATE KEY", testKeys().merchant.D.String()[:20]} {
		if strings.Contains(s, secret) {
			t.Fatalf("text %q contains a secret", s)
		}
	}
}

func cny(fen int64) pay.Money { return pay.Money{Amount: fen, Currency: "CNY"} }
