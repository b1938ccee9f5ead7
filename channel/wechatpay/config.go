package wechatpay

import (
	"crypto/rsa"
	"fmt"
	"net/url"

	"github.com/paykit-go/paykit/channel"
)

// Config is what WeChat Pay issues to a direct merchant. Every field is
// required.
type Config struct {
	// MchID is the merchant number (商户号), e.g. "1900000109".
	MchID string
	// AppID is the app, official account or mini program bound to MchID
	// that charges are made for.
	AppID string
	// APIv3Key is the merchant's APIv3 key, the AES key callback resources
	// and downloaded certificates are encrypted under. WeChat Pay issues 32
	// bytes (AES-256-GCM); 16 and 24 bytes are accepted too (AES-128/192-GCM),
	// which published test vectors use. It never appears in errors.
	APIv3Key string
	// MerchantSerial is the serial number of the merchant API certificate
	// whose private key is MerchantKey (serial_no of the Authorization header).
	MerchantSerial string
	// MerchantKey is the merchant API private key that signs requests and
	// payment parameters. At least 2048 bits.
	MerchantKey *rsa.PrivateKey
	// NotifyURL is where WeChat Pay posts payment and refund callbacks
	// (notify_url), unless a request overrides it. Must be https in
	// production; http is accepted so that tests can use a local server.
	NotifyURL string
}

// String describes c without its keys, so that logging a Config leaks
// nothing.
func (c Config) String() string {
	return fmt.Sprintf("wechatpay.Config{MchID:%s AppID:%s MerchantSerial:%s NotifyURL:%s APIv3Key:[redacted] MerchantKey:[redacted]}",
		c.MchID, c.AppID, c.MerchantSerial, c.NotifyURL)
}

// GoString is String, so that %#v does not print the keys either.
func (c Config) GoString() string { return c.String() }

// validate checks c without ever echoing a key into an error.
func (c Config) validate() error {
	switch {
	case !validMchID(c.MchID):
		return channel.Errorf(channel.ErrMalformed, "MchID", "wechatpay: MchID must be 1-32 digits")
	case !validToken(c.AppID, 1, 32):
		return channel.Errorf(channel.ErrMalformed, "AppID", "wechatpay: AppID must be 1-32 letters or digits")
	case !validAPIv3KeyLen(len(c.APIv3Key)):
		return channel.Errorf(channel.ErrMalformed, "APIv3Key", "wechatpay: APIv3Key must be 32 bytes (16 or 24 accepted for AES-128/192), got %d bytes", len(c.APIv3Key))
	case !validSerial(c.MerchantSerial):
		return channel.Errorf(channel.ErrMalformed, "MerchantSerial", "wechatpay: MerchantSerial must be 1-64 letters, digits or underscores")
	case c.MerchantKey == nil:
		return channel.Errorf(channel.ErrMalformed, "MerchantKey", "wechatpay: MerchantKey is required")
	case c.MerchantKey.N.BitLen() < 2048:
		return channel.Errorf(channel.ErrMalformed, "MerchantKey", "wechatpay: MerchantKey must be at least 2048 bits")
	case !validNotifyURL(c.NotifyURL):
		return channel.Errorf(channel.ErrMalformed, "NotifyURL", "wechatpay: NotifyURL must be an absolute http(s) URL without query or fragment, at most 256 bytes")
	}
	return nil
}

func validAPIv3KeyLen(n int) bool { return n == 16 || n == 24 || n == 32 }

func validMchID(s string) bool { return len(s) <= 32 && allDigits(s) }

// validNotifyURL follows WeChat's rule for notify_url: absolute, reachable,
// no query string.
func validNotifyURL(s string) bool {
	if len(s) == 0 || len(s) > 256 {
		return false
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return false
	}
	return u.Scheme == "https" || u.Scheme == "http"
}
