package alipay

import (
	"crypto/rsa"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/pay"
)

func TestNewValidates(t *testing.T) {
	k := testKeys()
	// A 1024-bit modulus is refused by its size alone; no need to
	// generate a real key for that.
	n := new(big.Int).Lsh(big.NewInt(1), 1023)
	small := &rsa.PrivateKey{PublicKey: rsa.PublicKey{N: n, E: 65537}}
	good := Config{AppID: testAppID, PrivateKey: k.app, AlipayPublicKey: &k.alipay.PublicKey}
	configs := map[string]func(*Config){
		"no app id":          func(c *Config) { c.AppID = "" },
		"app id with space":  func(c *Config) { c.AppID = "2021 1" },
		"no private key":     func(c *Config) { c.PrivateKey = nil },
		"1024-bit key":       func(c *Config) { c.PrivateKey = small },
		"no alipay key":      func(c *Config) { c.AlipayPublicKey = nil },
		"1024-bit alipay":    func(c *Config) { c.AlipayPublicKey = &small.PublicKey },
		"relative notify":    func(c *Config) { c.NotifyURL = "/notify" },
		"notify credentials": func(c *Config) { c.NotifyURL = "https://u:p@x.example/n" },
	}
	for name, modify := range configs {
		cfg := good
		modify(&cfg)
		_, err := New(cfg)
		wantErr(t, err, channel.ErrMalformed)
		if strings.Contains(err.Error(), "u:p") {
			t.Fatalf("%s: error %q echoes credentials", name, err)
		}
	}
	options := map[string]Option{
		"nil option":         nil,
		"base url query":     WithBaseURL("https://openapi.alipay.com/gateway.do?charset=utf-8"),
		"base url scheme":    WithBaseURL("ftp://openapi.alipay.com/gateway.do"),
		"base url empty":     WithBaseURL(""),
		"nil client":         WithHTTPClient(nil),
		"no attempts":        WithRetryPolicy(pay.RetryPolicy{MaxAttempts: 0, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}),
		"no delay":           WithRetryPolicy(pay.RetryPolicy{MaxAttempts: 1, MaxDelay: time.Millisecond}),
		"max below base":     WithRetryPolicy(pay.RetryPolicy{MaxAttempts: 1, BaseDelay: time.Second, MaxDelay: time.Millisecond}),
		"nil clock":          WithClock(nil),
		"zero tolerance":     WithTolerance(0),
		"huge tolerance":     WithTolerance(8 * 24 * time.Hour),
		"nil deduplicator":   WithDeduplicator(nil),
		"empty sign scene":   WithSignScene(""),
		"sign scene control": WithSignScene("A|\nB"),
	}
	for name, opt := range options {
		_, err := New(good, opt)
		if err == nil {
			t.Fatalf("%s: New succeeded", name)
		}
		wantErr(t, err, channel.ErrMalformed)
	}
	c, err := New(good)
	if err != nil {
		t.Fatal(err)
	}
	if c.baseURL != DefaultBaseURL || c.tolerance != DefaultTolerance || c.Name() != "alipay" {
		t.Fatalf("defaults: %q %v %q", c.baseURL, c.tolerance, c.Name())
	}
	caps := c.Capabilities()
	if !caps.Supports(channel.ScenarioScanned, "CNY") || caps.Supports(channel.ScenarioQR, "USD") || !caps.Agreements || !caps.PartialRefunds {
		t.Fatalf("capabilities = %+v", caps)
	}
}
