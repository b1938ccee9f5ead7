package httpx_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/channel/internal/httpx"
	"github.com/paykit-go/paykit/internal/clock"
	"github.com/paykit-go/paykit/pay"
)

func TestSettingsValidate(t *testing.T) {
	good := pay.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: time.Second}
	hc := &http.Client{}
	clk := clock.System{}
	tests := []struct {
		name  string
		set   func(s *httpx.Settings) error
		param string // "" when the setter must succeed
		check func(s httpx.Settings) bool
	}{
		{"https base", func(s *httpx.Settings) error { return s.SetBaseURL("https://api.example.com") }, "",
			func(s httpx.Settings) bool { return s.BaseURL == "https://api.example.com" }},
		{"http base with port", func(s *httpx.Settings) error { return s.SetBaseURL("http://127.0.0.1:8080") }, "",
			func(s httpx.Settings) bool { return s.BaseURL == "http://127.0.0.1:8080" }},
		{"base trailing slashes trimmed", func(s *httpx.Settings) error { return s.SetBaseURL("https://api.example.com//") }, "",
			func(s httpx.Settings) bool { return s.BaseURL == "https://api.example.com" }},
		{"base with path", func(s *httpx.Settings) error { return s.SetBaseURL("https://gw.example.com/gateway.do") }, "",
			func(s httpx.Settings) bool { return s.BaseURL == "https://gw.example.com/gateway.do" }},
		{"base empty", func(s *httpx.Settings) error { return s.SetBaseURL("") }, "base_url", nil},
		{"base relative", func(s *httpx.Settings) error { return s.SetBaseURL("/v1") }, "base_url", nil},
		{"base no host", func(s *httpx.Settings) error { return s.SetBaseURL("https:///v1") }, "base_url", nil},
		{"base ftp", func(s *httpx.Settings) error { return s.SetBaseURL("ftp://api.example.com") }, "base_url", nil},
		{"base userinfo", func(s *httpx.Settings) error { return s.SetBaseURL("https://u:p@api.example.com") }, "base_url", nil},
		{"base query", func(s *httpx.Settings) error { return s.SetBaseURL("https://api.example.com?x=1") }, "base_url", nil},
		{"base empty query", func(s *httpx.Settings) error { return s.SetBaseURL("https://api.example.com?") }, "base_url", nil},
		{"base fragment", func(s *httpx.Settings) error { return s.SetBaseURL("https://api.example.com#f") }, "base_url", nil},
		{"base unparsable", func(s *httpx.Settings) error { return s.SetBaseURL("http://[::1") }, "base_url", nil},
		{"client", func(s *httpx.Settings) error { return s.SetHTTPClient(hc) }, "",
			func(s httpx.Settings) bool { return s.Client == hc && s.Doer().Client == hc }},
		{"nil client", func(s *httpx.Settings) error { return s.SetHTTPClient(nil) }, "http_client", nil},
		{"policy", func(s *httpx.Settings) error { return s.SetRetryPolicy(good) }, "",
			func(s httpx.Settings) bool { return s.Policy == good && s.Doer().Policy == good }},
		{"no retries", func(s *httpx.Settings) error { return s.SetRetryPolicy(pay.NoRetries()) }, "",
			func(s httpx.Settings) bool { return s.Policy == pay.NoRetries() }},
		{"zero attempts", func(s *httpx.Settings) error {
			return s.SetRetryPolicy(pay.RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: time.Millisecond})
		}, "retry_policy", nil},
		{"zero base delay", func(s *httpx.Settings) error {
			return s.SetRetryPolicy(pay.RetryPolicy{MaxAttempts: 1, MaxDelay: time.Millisecond})
		}, "retry_policy", nil},
		{"max below base", func(s *httpx.Settings) error {
			return s.SetRetryPolicy(pay.RetryPolicy{MaxAttempts: 1, BaseDelay: time.Second, MaxDelay: time.Millisecond})
		}, "retry_policy", nil},
		{"clock", func(s *httpx.Settings) error { return s.SetClock(clk) }, "",
			func(s httpx.Settings) bool { return s.Clock == clk }},
		{"nil clock", func(s *httpx.Settings) error { return s.SetClock(nil) }, "clock", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := httpx.Settings{BaseURL: "https://default.example", Client: &http.Client{}, Policy: pay.DefaultRetryPolicy(), Clock: clock.System{}}
			s := before
			err := tt.set(&s)
			if tt.param == "" {
				if err != nil {
					t.Fatalf("err = %v, want nil", err)
				}
				if !tt.check(s) {
					t.Fatalf("settings = %+v", s)
				}
				return
			}
			var pe *pay.Error
			if !errors.As(err, &pe) || pe.Param != tt.param || !errors.Is(err, pay.ErrInvalidRequest) || !errors.Is(err, channel.ErrMalformed) {
				t.Fatalf("err = %v, want invalid_request/ErrMalformed on %s", err, tt.param)
			}
			if s != before {
				t.Fatalf("a failed setter changed the settings: %+v", s)
			}
		})
	}
}
