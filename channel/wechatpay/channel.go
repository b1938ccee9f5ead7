package wechatpay

import (
	"crypto/cipher"
	"net/url"
	"runtime"
	"strings"
	"time"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/channel/internal/httpx"
	"github.com/paykit-go/paykit/pay"
)

const (
	// ChannelName is the name the channel registers under.
	ChannelName = "wechatpay"
	// DefaultBaseURL is WeChat Pay's production API host.
	DefaultBaseURL = "https://api.mch.weixin.qq.com"
	// DefaultTolerance is how far a signed answer's or callback's timestamp
	// may be from the clock, either way, unless WithTolerance says otherwise.
	DefaultTolerance = 300 * time.Second
	// MaxCallbackBytes bounds the callback body ParseCallback reads.
	MaxCallbackBytes = 64 << 10
)

// userAgent identifies the SDK; WeChat Pay API v3 requires a User-Agent.
var userAgent = "paykit-wechatpay/1 (+https://github.com/paykit-go/paykit) " + runtime.Version()

// Channel is the WeChat Pay API v3 adapter for one direct merchant. It is
// safe for concurrent use.
type Channel struct {
	cfg       Config
	base      string // scheme://host[/prefix], no trailing slash
	basePath  string // the prefix alone, part of every signed URL
	doer      httpx.Doer
	clock     pay.Clock
	tolerance time.Duration
	verifier  *Verifier
	gcm       cipher.AEAD // AES-GCM under the APIv3 key
	planID    int64
	refresh   refresher
}

var _ channel.AgreementChannel = (*Channel)(nil)

// New returns a Channel for the merchant cfg describes. At least one source
// of platform keys is required: WithPlatformCertificates,
// WithPlatformPublicKey or WithCertificateRefresh.
func New(cfg Config, opts ...Option) (*Channel, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s := defaultSettings()
	for _, opt := range opts {
		if opt == nil {
			return nil, optionError("option", "nil Option")
		}
		if err := opt(&s); err != nil {
			return nil, err
		}
	}
	if len(s.certs) == 0 && len(s.pubKeys) == 0 && s.refreshInterval == 0 {
		return nil, optionError("platform_keys", "give WithPlatformCertificates, WithPlatformPublicKey or WithCertificateRefresh so answers can be verified")
	}
	u, err := url.Parse(s.BaseURL)
	if err != nil {
		return nil, optionError("base_url", "base URL does not parse")
	}
	c := &Channel{
		cfg:       cfg,
		base:      s.BaseURL,
		basePath:  strings.TrimRight(u.EscapedPath(), "/"),
		doer:      s.Doer(),
		clock:     s.Clock,
		tolerance: s.tolerance,
		verifier:  NewVerifier(s.Clock),
		gcm:       newGCM([]byte(cfg.APIv3Key)),
		planID:    s.planID,
		refresh:   refresher{interval: s.refreshInterval},
	}
	for _, cert := range s.certs {
		if _, err := c.verifier.AddCertificate(cert); err != nil {
			return nil, err
		}
	}
	for _, k := range s.pubKeys {
		if err := c.verifier.AddPublicKey(k.id, k.key); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// String names the channel and merchant without any key material, so that
// logging a Channel leaks nothing.
func (c *Channel) String() string { return "wechatpay.Channel{MchID:" + c.cfg.MchID + "}" }

// GoString is String, so that %#v does not print the keys either.
func (c *Channel) GoString() string { return c.String() }

// Name returns ChannelName.
func (c *Channel) Name() string { return ChannelName }

// Capabilities: QR (Native), in-app (APP/JSAPI), web (H5) and, with
// WithAgreementPlan, agreement debits; CNY only; full and partial refunds.
// Scanned (micropay) exists only in API v2 and is not offered.
func (c *Channel) Capabilities() channel.Capabilities {
	caps := channel.Capabilities{
		Scenarios:      []channel.Scenario{channel.ScenarioQR, channel.ScenarioInApp, channel.ScenarioWeb},
		Currencies:     []string{currency},
		Refunds:        true,
		PartialRefunds: true,
	}
	if c.planID > 0 {
		caps.Scenarios = append(caps.Scenarios, channel.ScenarioAgreement)
		caps.Agreements = true
	}
	return caps
}

// Verifier returns the key set that answers and callbacks are verified
// with. Add or remove keys on it at any time; the change applies to the next
// verification.
func (c *Channel) Verifier() *Verifier { return c.verifier }
