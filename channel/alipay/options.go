package alipay

import (
	"net/http"
	"net/url"
	"time"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/channel/internal/httpx"
	"github.com/paykit-go/paykit/internal/clock"
	"github.com/paykit-go/paykit/pay"
)

// DefaultTolerance is how old a notification's notify_time may be before
// ParseCallback refuses it as stale, and so how long notify_ids are
// remembered for de-duplication.
//
// Alipay re-sends a notification that was not answered "success" about
// eight times within 25 hours, after 4m, 10m, 10m, 1h, 2h, 6h and 15h, the
// last some 24h24m after the first, always with the same notify_id. Its
// documentation defines notify_time as the time the notification is sent
// but does not promise that a retry is re-stamped, so the window must cover
// the whole schedule for the last genuine retry to pass: 25 hours leaves
// about half an hour for delivery delay and clock skew.
const DefaultTolerance = 25 * time.Hour

// maxFutureSkew is how far in the future a notify_time may be, for clock
// skew between Alipay and this server.
const maxFutureSkew = 5 * time.Minute

// maxTolerance bounds WithTolerance so that a window cannot be configured
// in which the de-duplication set grows without useful purpose.
const maxTolerance = 7 * 24 * time.Hour

// DefaultSignScene is the agreement sign_scene used unless WithSignScene
// says otherwise.
const DefaultSignScene = "DEFAULT|DEFAULT"

// maxURLLen bounds the URLs the options and requests accept.
const maxURLLen = 512

// defaultTimeout bounds each HTTP attempt of the default client.
const defaultTimeout = 30 * time.Second

// Option configures a Channel. Options validate their argument and make New
// fail when it is unusable.
type Option func(*options) error

type options struct {
	httpx.Settings
	tolerance time.Duration
	dedup     Deduplicator
	signScene string
}

func defaultOptions() options {
	retry := pay.DefaultRetryPolicy()
	retry.BaseDelay = 50 * time.Millisecond
	retry.MaxDelay = time.Second
	return options{
		Settings: httpx.Settings{
			BaseURL: DefaultBaseURL,
			Client:  &http.Client{Timeout: defaultTimeout},
			Policy:  retry,
			Clock:   clock.System{},
		},
		tolerance: DefaultTolerance,
		signScene: DefaultSignScene,
	}
}

func optionError(param, format string, args ...any) error {
	return channel.Errorf(channel.ErrMalformed, param, "alipay: "+format, args...)
}

// WithBaseURL sends calls to u instead of DefaultBaseURL, e.g. Alipay's
// sandbox or a local fake. u must be an absolute http or https URL without
// credentials, query or fragment; page-pay and agreement-signing URLs are
// built on it too.
func WithBaseURL(u string) Option {
	return func(o *options) error {
		if len(u) > maxURLLen {
			return optionError("base_url", "WithBaseURL: the URL must be at most %d bytes", maxURLLen)
		}
		if err := o.SetBaseURL(u); err != nil {
			return err
		}
		// The gateway is one endpoint, not a prefix: keep its path exactly
		// as given, trailing "/" included.
		o.BaseURL = u
		return nil
	}
}

// WithHTTPClient sends requests through hc (its transport, timeout and
// redirect policy). hc must not be nil.
func WithHTTPClient(hc *http.Client) Option {
	return func(o *options) error { return o.SetHTTPClient(hc) }
}

// WithRetryPolicy says how often a call is attempted (each attempt re-signed
// with a fresh timestamp) and how long to wait between attempts. The policy
// must have MaxAttempts >= 1 and 0 < BaseDelay <= MaxDelay. The default is
// pay.DefaultRetryPolicy with a 50 ms base delay and a 1 s cap.
func WithRetryPolicy(p pay.RetryPolicy) Option {
	return func(o *options) error { return o.SetRetryPolicy(p) }
}

// WithClock reads the time from c: request timestamps, time_expire checks
// and notification freshness. c must not be nil.
func WithClock(c pay.Clock) Option {
	return func(o *options) error { return o.SetClock(c) }
}

// WithTolerance sets the notification window (see DefaultTolerance): a
// notification whose notify_time is older than d is refused as stale, and
// notify_ids are remembered for d. d must be positive and at most 7 days.
// A window shorter than Alipay's 25-hour retry schedule may refuse genuine
// late retries.
func WithTolerance(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 || d > maxTolerance {
			return optionError("tolerance", "WithTolerance: tolerance must be positive and at most %s", maxTolerance)
		}
		o.tolerance = d
		return nil
	}
}

// WithDeduplicator remembers notify_ids in d instead of a fresh in-memory
// MemoryDeduplicator, e.g. a store shared by every instance of the service
// so that a replay to another instance is caught too. d must not be nil.
func WithDeduplicator(d Deduplicator) Option {
	return func(o *options) error {
		if d == nil {
			return optionError("deduplicator", "WithDeduplicator: deduplicator must not be nil")
		}
		o.dedup = d
		return nil
	}
}

// WithSignScene sets the agreement sign_scene ("INDUSTRY|DIGITAL_MEDIA" …)
// agreed with Alipay for the merchant's withholding product. Signing,
// querying and terminating agreements all send it. Alipay refuses to query or
// terminate by external_agreement_no under the default "DEFAULT|DEFAULT", so
// production merchants using agreements must set it.
func WithSignScene(scene string) Option {
	return func(o *options) error {
		if scene == "" || len(scene) > 64 || !printableASCII(scene) {
			return optionError("sign_scene", "WithSignScene: scene must be 1-64 printable ASCII characters")
		}
		o.signScene = scene
		return nil
	}
}

// checkURL accepts absolute http and https URLs without credentials or
// fragment, and the empty string: every URL it checks is optional.
func checkURL(param, s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.Fragment != "" || len(s) > maxURLLen {
		return optionError(param, "%s must be an absolute http or https URL without credentials or fragment", param)
	}
	return nil
}

// checkRequestURLs validates a request's optional notify_url and
// return_url.
func checkRequestURLs(notifyURL, returnURL string) error {
	if err := checkURL("notify_url", notifyURL); err != nil {
		return err
	}
	return checkURL("return_url", returnURL)
}

// isToken reports whether s is made of ASCII letters, digits, '_' and '-'.
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_' || b == '-') {
			return false
		}
	}
	return true
}

// printableASCII reports whether s has only printable ASCII characters.
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
