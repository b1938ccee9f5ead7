package stripe

import (
	"strings"
	"time"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/channel/internal/httpx"
	"github.com/paykit-go/paykit/pay"
)

// Name is the channel's registry name.
const Name = "stripe"

// keyMode says which Stripe mode an API key works in, so responses and
// events from the other mode are refused.
type keyMode int8

const (
	modeTest keyMode = iota + 1
	modeLive
)

// cacheSize bounds each in-memory ID map (charges, refunds, agreements).
// Entries past it are forgotten oldest first and looked up at Stripe again.
const cacheSize = 1 << 15

// Channel is a channel.AgreementChannel speaking Stripe's API:
// PaymentIntents for in-app and off-session charges, Checkout Sessions for
// web charges, Refunds, SetupIntents plus saved PaymentMethods for standing
// agreements, and signed webhook events. It is safe for concurrent use.
type Channel struct {
	key        string
	mode       keyMode
	baseURL    string
	apiVersion string
	doer       httpx.Doer
	clock      pay.Clock
	secrets    []string
	tolerance  time.Duration

	charges    *idCache[chargeRef]    // ChargeID -> Stripe objects
	refunds    *idCache[string]       // RefundID -> re_
	agreements *idCache[agreementRef] // AgreementID, seti_ or pm_ -> Stripe objects
	pmAgree    *idCache[string]       // pm_ -> AgreementID
}

var _ channel.AgreementChannel = (*Channel)(nil)

// New returns a Stripe channel that authenticates with secretKey: a secret
// key (sk_test_…, sk_live_…) or a restricted key (rk_test_…, rk_live_…)
// allowed to write PaymentIntents, Checkout Sessions, Refunds, Customers,
// SetupIntents and PaymentMethods. The key is sent only in the Authorization
// header and never appears in errors or logs.
func New(secretKey string, opts ...Option) (*Channel, error) {
	mode, err := checkKey(secretKey)
	if err != nil {
		return nil, err
	}
	cfg := defaultConfig()
	for _, o := range opts {
		if o == nil {
			return nil, optErr("options", "New: nil option")
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	c := &Channel{
		key:        secretKey,
		mode:       mode,
		baseURL:    cfg.BaseURL,
		apiVersion: cfg.apiVersion,
		doer:       cfg.Doer(),
		clock:      cfg.Clock,
		secrets:    cfg.secrets,
		tolerance:  cfg.tolerance,
		charges:    newIDCache[chargeRef](cacheSize),
		refunds:    newIDCache[string](cacheSize),
		agreements: newIDCache[agreementRef](cacheSize),
		pmAgree:    newIDCache[string](cacheSize),
	}
	return c, nil
}

// checkKey validates an API key's shape without echoing it.
func checkKey(k string) (keyMode, error) {
	var mode keyMode
	var rest string
	switch {
	case strings.HasPrefix(k, "sk_test_"), strings.HasPrefix(k, "rk_test_"):
		mode, rest = modeTest, k[len("sk_test_"):]
	case strings.HasPrefix(k, "sk_live_"), strings.HasPrefix(k, "rk_live_"):
		mode, rest = modeLive, k[len("sk_live_"):]
	case strings.HasPrefix(k, "pk_"):
		return 0, optErr("secret_key", "New: a publishable key (pk_) cannot call Stripe's server API; pass a secret or restricted key")
	default:
		return 0, optErr("secret_key", "New: the key must start with sk_test_, sk_live_, rk_test_ or rk_live_")
	}
	if rest == "" || len(k) > 512 {
		return 0, optErr("secret_key", "New: the key is empty after its prefix or too long")
	}
	for i := 0; i < len(rest); i++ {
		b := rest[i]
		if !(b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b == '_') {
			return 0, optErr("secret_key", "New: the key contains a character Stripe keys never contain")
		}
	}
	return mode, nil
}

// Name returns "stripe".
func (c *Channel) Name() string { return Name }

// Capabilities reports in-app (PaymentIntent client secret), web (Checkout
// Session URL) and agreement (off-session PaymentMethod) charges in any
// currency Stripe can represent exactly, with full and partial refunds.
func (c *Channel) Capabilities() channel.Capabilities {
	return channel.Capabilities{
		Scenarios:      []channel.Scenario{channel.ScenarioInApp, channel.ScenarioWeb, channel.ScenarioAgreement},
		Refunds:        true,
		PartialRefunds: true,
		Agreements:     true,
	}
}

// checkMode refuses an object from the other mode than the key's: a test
// object answered to a live key means the wrong endpoint or account.
func (c *Channel) checkMode(livemode bool) error {
	if (c.mode == modeLive) != livemode {
		return malformedf("stripe answered with a livemode=%t object to a %s key", livemode, c.mode)
	}
	return nil
}

func (m keyMode) String() string {
	if m == modeLive {
		return "live"
	}
	return "test"
}
