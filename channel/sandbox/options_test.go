package sandbox

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/pay"
)

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name   string
		base   string
		secret string
		opts   []Option
	}{
		{"relative base", "/v1", testSecret, nil},
		{"ftp base", "ftp://example.com", testSecret, nil},
		{"base with query", "http://example.com/?k=v", testSecret, nil},
		{"base with user info", "http://user:pass@example.com", testSecret, nil},
		{"short secret", "http://example.com", "short-secret", nil},
		{"empty name", "http://example.com", testSecret, []Option{WithName("")}},
		{"bad name", "http://example.com", testSecret, []Option{WithName("sand box")}},
		{"nil client", "http://example.com", testSecret, []Option{WithHTTPClient(nil)}},
		{"no attempts", "http://example.com", testSecret, []Option{WithRetryPolicy(pay.RetryPolicy{BaseDelay: 1, MaxDelay: 1})}},
		{"no base delay", "http://example.com", testSecret, []Option{WithRetryPolicy(pay.RetryPolicy{MaxAttempts: 1, MaxDelay: 1})}},
		{"max < base", "http://example.com", testSecret, []Option{WithRetryPolicy(pay.RetryPolicy{MaxAttempts: 1, BaseDelay: 2, MaxDelay: 1})}},
		{"nil clock", "http://example.com", testSecret, []Option{WithClock(nil)}},
		{"bad notify url", "http://example.com", testSecret, []Option{WithNotifyURL("mailto:x@example.com")}},
		{"empty notify url", "http://example.com", testSecret, []Option{WithNotifyURL("")}},
		{"zero tolerance", "http://example.com", testSecret, []Option{WithTolerance(0)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.base, tt.secret, tt.opts...)
			if err == nil || c != nil {
				t.Fatalf("New = %v, %v; want an error", c, err)
			}
			if !errors.Is(err, pay.ErrInvalidRequest) {
				t.Fatalf("error %v is not invalid_request", err)
			}
			if strings.Contains(err.Error(), tt.secret) {
				t.Fatalf("error leaks the secret: %v", err)
			}
		})
	}
	c, err := New("https://sandbox.example/", testSecret, WithName("sandbox-b"), WithTolerance(time.Minute), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Name() != "sandbox-b" || c.base != "https://sandbox.example" {
		t.Fatalf("channel = %q at %q", c.Name(), c.base)
	}
	caps := c.Capabilities()
	for _, s := range channel.Scenarios {
		if !caps.Supports(s, "KWD") {
			t.Errorf("does not support %s", s)
		}
	}
	if !caps.Refunds || !caps.PartialRefunds || !caps.Agreements {
		t.Errorf("capabilities = %+v", caps)
	}
}

func TestNewProviderValidates(t *testing.T) {
	for name, opt := range map[string]ProviderOption{
		"short secret":      WithSecret("short"),
		"nil clock":         WithProviderClock(nil),
		"nil client":        WithCallbackClient(nil),
		"no attempts":       WithCallbackRetries(0, time.Millisecond),
		"negative interval": WithCallbackRetries(1, -time.Millisecond),
		"negative auto-pay": WithAutoPay(-time.Second),
		"negative cb delay": WithCallbackDelay(-time.Second),
	} {
		t.Run(name, func(t *testing.T) {
			p, err := NewProvider(opt)
			if err == nil || p != nil || !errors.Is(err, pay.ErrInvalidRequest) {
				t.Fatalf("NewProvider = %v, %v", p, err)
			}
		})
	}
	p, err := NewProvider(WithCallbackClient(&http.Client{}))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	q, err := NewProvider()
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if len(p.Secret()) < minSecretLen || p.Secret() == q.Secret() {
		t.Fatalf("random secrets %q, %q", p.Secret(), q.Secret())
	}
	p.Close()
	p.Close() // idempotent
}
