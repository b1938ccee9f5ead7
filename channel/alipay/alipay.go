package alipay

import (
	"context"
	"crypto/rsa"
	"time"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/channel/internal/httpx"
	"github.com/paykit-go/paykit/pay"
)

// Name is the channel's registry name.
const Name = "alipay"

// DefaultBaseURL is Alipay's production OpenAPI gateway.
const DefaultBaseURL = "https://openapi.alipay.com/gateway.do"

// minKeyBits is the smallest RSA modulus Alipay accepts for RSA2.
const minKeyBits = 2048

// Config is what Alipay's open platform issues to one application.
type Config struct {
	// AppID is the application's ID on the Alipay open platform
	// (app_id, e.g. "2021001186651417"). Required.
	AppID string
	// PrivateKey is the application's RSA private key (2048 bits), which
	// signs every request. Its public half is uploaded to Alipay. Required.
	PrivateKey *rsa.PrivateKey
	// AlipayPublicKey is the "Alipay public key" shown for the application,
	// which verifies responses and notifications. Required.
	AlipayPublicKey *rsa.PublicKey
	// NotifyURL is where Alipay posts notifications for charges and
	// agreements, unless a request names its own. Optional: without it
	// Alipay uses the application gateway configured on the platform.
	NotifyURL string
}

// Channel speaks Alipay's OpenAPI. It is safe for concurrent use.
type Channel struct {
	appID     string
	key       *rsa.PrivateKey
	alipayKey *rsa.PublicKey
	notifyURL string

	baseURL   string
	doer      httpx.Doer
	clock     pay.Clock
	tolerance time.Duration
	dedup     Deduplicator
	signScene string
}

var (
	_ channel.Channel          = (*Channel)(nil)
	_ channel.AgreementChannel = (*Channel)(nil)
)

// New returns a Channel for the application cfg describes. Options are
// applied in order; the first that fails makes New fail. Errors are
// *pay.Error values matching channel.ErrMalformed and never contain key
// material.
func New(cfg Config, opts ...Option) (*Channel, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	o := defaultOptions()
	for _, opt := range opts {
		if opt == nil {
			return nil, channel.Errorf(channel.ErrMalformed, "option", "alipay: nil option")
		}
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	if o.dedup == nil {
		o.dedup = NewMemoryDeduplicator()
	}
	return &Channel{
		appID:     cfg.AppID,
		key:       cfg.PrivateKey,
		alipayKey: cfg.AlipayPublicKey,
		notifyURL: cfg.NotifyURL,
		baseURL:   o.BaseURL,
		doer:      o.Doer(),
		clock:     o.Clock,
		tolerance: o.tolerance,
		dedup:     o.dedup,
		signScene: o.signScene,
	}, nil
}

func (cfg Config) validate() error {
	bad := func(param, format string, args ...any) error {
		return channel.Errorf(channel.ErrMalformed, param, "alipay: "+format, args...)
	}
	if cfg.AppID == "" || len(cfg.AppID) > 32 || !isToken(cfg.AppID) {
		return bad("app_id", "AppID must be 1-32 letters, digits, '_' or '-'")
	}
	if cfg.PrivateKey == nil {
		return bad("private_key", "PrivateKey is required")
	}
	if cfg.PrivateKey.N == nil || cfg.PrivateKey.N.BitLen() < minKeyBits {
		return bad("private_key", "PrivateKey must be an RSA key of at least %d bits", minKeyBits)
	}
	if err := cfg.PrivateKey.Validate(); err != nil {
		return bad("private_key", "PrivateKey is not a valid RSA key")
	}
	if cfg.AlipayPublicKey == nil || cfg.AlipayPublicKey.N == nil || cfg.AlipayPublicKey.N.BitLen() < minKeyBits {
		return bad("alipay_public_key", "AlipayPublicKey must be an RSA key of at least %d bits", minKeyBits)
	}
	return checkURL("notify_url", cfg.NotifyURL)
}

// Name returns "alipay".
func (c *Channel) Name() string { return Name }

// Capabilities reports every scenario, CNY only, full and partial refunds,
// and standing agreements (Alipay "商户代扣").
func (c *Channel) Capabilities() channel.Capabilities {
	return channel.Capabilities{
		Scenarios:      []channel.Scenario{channel.ScenarioQR, channel.ScenarioInApp, channel.ScenarioWeb, channel.ScenarioScanned, channel.ScenarioAgreement},
		Currencies:     []string{"CNY"},
		Refunds:        true,
		PartialRefunds: true,
		Agreements:     true,
	}
}

// Forget removes a notification ID from the de-duplication set. Call it when
// an event ParseCallback returned could not be applied and the callback is
// answered with an error, so that Alipay's retry of it is processed instead
// of being answered "success" as a duplicate.
func (c *Channel) Forget(ctx context.Context, eventID string) error {
	if err := c.dedup.Forget(ctx, eventID); err != nil {
		return channel.Errorf(channel.ErrUnavailable, "", "alipay: de-duplication store: %v", err)
	}
	return nil
}
