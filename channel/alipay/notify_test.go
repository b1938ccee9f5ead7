package alipay

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/pay"
)

// paidNotice is a trade_status_sync for a paid trade, as Alipay sends it.
func paidNotice() map[string]string {
	return map[string]string{
		"notify_type": "trade_status_sync", "trade_status": "TRADE_SUCCESS",
		"out_trade_no": "n_order_1", "trade_no": "2026030122001400000000000001",
		"total_amount": "88.88", "receipt_amount": "88.88", "buyer_logon_id": "159****5620",
		"subject": "Iphone6 16G", "gmt_payment": "2026-03-01 09:59:58",
		"fund_bill_list": `[{"amount":"88.88","fundChannel":"ALIPAYACCOUNT"}]`, "passback_params": "",
	}
}

func TestNotificationRoundTrip(t *testing.T) {
	f := newFake(t)
	c := f.channel(t)
	events := make(chan channel.Event, 4)
	merchant := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ev, err := c.ParseCallback(r)
		if err == nil {
			events <- ev
		}
		c.Acknowledge(w, err)
	}))
	defer merchant.Close()

	p := f.notification(paidNotice())
	status, body := f.post(t, merchant.URL, p)
	if status != http.StatusOK || body != "success" {
		t.Fatalf("answer = %d %q", status, body)
	}
	want := channel.Event{
		ID: p["notify_id"], Channel: "alipay", Type: channel.EventChargeSucceeded, Created: testStart,
		ChargeID: "n_order_1", ProviderChargeID: "2026030122001400000000000001", Amount: cny(88_88),
	}
	if d := cmp.Diff(want, <-events); d != "" {
		t.Fatalf("event (-want +got):\n%s", d)
	}

	// Alipay re-sends it (our answer was lost): still answered success,
	// but not handed on twice.
	status, body = f.post(t, merchant.URL, p)
	if status != http.StatusOK || body != "success" || len(events) != 0 {
		t.Fatalf("duplicate answered %d %q, %d events", status, body, len(events))
	}

	p["total_amount"] = "0.01"
	status, body = f.post(t, merchant.URL, p)
	if status != http.StatusUnauthorized || body != "fail" {
		t.Fatalf("tampered answered %d %q", status, body)
	}
}

func TestParseCallbackRejects(t *testing.T) {
	k := testKeys()
	tests := []struct {
		name  string
		build func(f *fakeAlipay) string
		want  error
	}{
		{"tampered amount", func(f *fakeAlipay) string {
			p := f.notification(paidNotice())
			p["total_amount"] = "8888.00"
			return formBody(p)
		}, channel.ErrBadSignature},
		{"added parameter", func(f *fakeAlipay) string {
			return formBody(f.notification(paidNotice())) + "&refund_fee=1.00"
		}, channel.ErrBadSignature},
		{"signed by another key", func(f *fakeAlipay) string {
			p := f.notification(paidNotice())
			p[paramSign], _ = signRSA2(k.other, []byte(notifySignContent(p)))
			return formBody(p)
		}, channel.ErrBadSignature},
		{"no sign", func(f *fakeAlipay) string {
			p := f.notification(paidNotice())
			delete(p, paramSign)
			return formBody(p)
		}, channel.ErrBadSignature},
		{"sign not base64", func(f *fakeAlipay) string {
			p := f.notification(paidNotice())
			p[paramSign] = "%%%"
			return formBody(p)
		}, channel.ErrBadSignature},
		{"sign_type RSA", func(f *fakeAlipay) string {
			return formBody(f.notification(map[string]string{"sign_type": "RSA", "notify_type": "trade_status_sync"}))
		}, channel.ErrBadSignature},
		{"another application", func(f *fakeAlipay) string {
			p := paidNotice()
			p["app_id"] = "2021000000000002"
			return formBody(f.notification(p))
		}, channel.ErrBadSignature},
		{"no app_id", func(f *fakeAlipay) string {
			p := paidNotice()
			p["app_id"] = ""
			return formBody(f.notification(p))
		}, channel.ErrBadSignature},
		{"stale", func(f *fakeAlipay) string {
			p := paidNotice()
			p["notify_time"] = formatTime(testStart.Add(-DefaultTolerance - time.Second))
			return formBody(f.notification(p))
		}, channel.ErrStale},
		{"from the future", func(f *fakeAlipay) string {
			p := paidNotice()
			p["notify_time"] = formatTime(testStart.Add(maxFutureSkew + time.Second))
			return formBody(f.notification(p))
		}, channel.ErrStale},
		{"bad notify_time", func(f *fakeAlipay) string {
			p := paidNotice()
			p["notify_time"] = "2026-03-01T10:00:00Z"
			return formBody(f.notification(p))
		}, channel.ErrMalformed},
		{"no notify_id", func(f *fakeAlipay) string {
			p := paidNotice()
			p["notify_id"] = ""
			return formBody(f.notification(p))
		}, channel.ErrMalformed},
		{"bad amount", func(f *fakeAlipay) string {
			p := paidNotice()
			p["total_amount"] = "1e3"
			return formBody(f.notification(p))
		}, channel.ErrMalformed},
		{"unknown type", func(f *fakeAlipay) string {
			return formBody(f.notification(map[string]string{"notify_type": "trade_settle"}))
		}, channel.ErrUnsupported},
		{"repeated key", func(f *fakeAlipay) string {
			return formBody(f.notification(paidNotice())) + "&trade_status=TRADE_CLOSED"
		}, channel.ErrMalformed},
		{"bad escape", func(*fakeAlipay) string { return "a=%zz&sign=x" }, channel.ErrMalformed},
		{"semicolon", func(*fakeAlipay) string { return "a=1;b=2" }, channel.ErrMalformed},
		{"empty", func(*fakeAlipay) string { return "" }, channel.ErrBadSignature},
		{"too large", func(f *fakeAlipay) string {
			return formBody(f.notification(paidNotice())) + "&pad=" + strings.Repeat("x", maxNotifyBytes)
		}, channel.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			c := f.channel(t)
			_, err := c.ParseCallback(notifyRequest(tt.build(f)))
			wantErr(t, err, tt.want)
			for _, secret := range []string{"MII", "BEGIN"} {
				if strings.Contains(err.Error(), secret) {
					t.Fatalf("error %q leaks key material", err)
				}
			}
		})
	}
}

func TestParseCallbackRequestShape(t *testing.T) {
	f := newFake(t)
	c := f.channel(t)
	body := formBody(f.notification(paidNotice()))
	get := httptest.NewRequest(http.MethodGet, "/n?"+body, nil)
	_, err := c.ParseCallback(get)
	wantErr(t, err, channel.ErrMalformed)
	js := httptest.NewRequest(http.MethodPost, "/n", strings.NewReader(body))
	js.Header.Set("Content-Type", "application/json")
	_, err = c.ParseCallback(js)
	wantErr(t, err, channel.ErrMalformed)
	if _, err := c.ParseCallback(notifyRequest(body)); err != nil {
		t.Fatalf("the same body as a form: %v", err)
	}
}

// TestRetriesAndReplays follows one notification through Alipay's retry
// schedule and an attacker's replays.
func TestRetriesAndReplays(t *testing.T) {
	f := newFake(t)
	c := f.channel(t)
	first := f.notification(paidNotice())

	// The first attempts never reached us; the last retry, 24h24m after
	// the first, arrives. Whether or not Alipay re-stamped notify_time, it
	// passes.
	f.clock.Advance(24*time.Hour + 24*time.Minute)
	if _, err := c.ParseCallback(notifyRequest(formBody(first))); err != nil {
		t.Fatalf("late genuine retry with the first notify_time: %v", err)
	}
	restamped := paidNotice()
	restamped["notify_id"] = first["notify_id"]
	retry := f.notification(restamped)
	_, err := c.ParseCallback(notifyRequest(formBody(retry)))
	wantErr(t, err, channel.ErrDuplicate)

	// The application could not apply it and forgot it: the next retry
	// goes through.
	if err := c.Forget(context.Background(), first["notify_id"]); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ParseCallback(notifyRequest(formBody(retry))); err != nil {
		t.Fatalf("retry after Forget: %v", err)
	}

	// Replays inside the window are duplicates; once the window has passed
	// they are stale, so nothing needs to be remembered any longer.
	f.clock.Advance(DefaultTolerance - time.Minute)
	_, err = c.ParseCallback(notifyRequest(formBody(retry)))
	wantErr(t, err, channel.ErrDuplicate)
	f.clock.Advance(2 * time.Minute)
	_, err = c.ParseCallback(notifyRequest(formBody(retry)))
	wantErr(t, err, channel.ErrStale)
}

func TestToleranceOption(t *testing.T) {
	f := newFake(t)
	c := f.channel(t, WithTolerance(10*time.Minute))
	p := f.notification(paidNotice())
	f.clock.Advance(11 * time.Minute)
	_, err := c.ParseCallback(notifyRequest(formBody(p)))
	wantErr(t, err, channel.ErrStale)
}

func TestConcurrentDuplicatesAcceptOnce(t *testing.T) {
	f := newFake(t)
	c := f.channel(t)
	body := formBody(f.notification(paidNotice()))
	const n = 16
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := c.ParseCallback(notifyRequest(body))
			errs <- err
		}()
	}
	accepted := 0
	for range n {
		err := <-errs
		switch {
		case err == nil:
			accepted++
		case !errors.Is(err, channel.ErrDuplicate):
			t.Fatal(err)
		}
	}
	if accepted != 1 {
		t.Fatalf("%d of %d concurrent copies accepted", accepted, n)
	}
}

type failingDedup struct{}

func (failingDedup) Seen(context.Context, string, time.Time, time.Time) (bool, error) {
	return false, errors.New("store down")
}
func (failingDedup) Forget(context.Context, string) error { return errors.New("store down") }

func TestDeduplicatorFailureIsUnavailable(t *testing.T) {
	f := newFake(t)
	c := f.channel(t, WithDeduplicator(failingDedup{}))
	_, err := c.ParseCallback(notifyRequest(formBody(f.notification(paidNotice()))))
	wantErr(t, err, channel.ErrUnavailable)
	wantErr(t, c.Forget(context.Background(), "x"), channel.ErrUnavailable)
}

func TestAcknowledge(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		status int
		body   string
	}{
		{"handled", nil, http.StatusOK, "success"},
		{"duplicate", channel.Errorf(channel.ErrDuplicate, "", "seen"), http.StatusOK, "success"},
		{"bad signature", channel.Errorf(channel.ErrBadSignature, "", "no"), http.StatusUnauthorized, "fail"},
		{"stale", channel.Errorf(channel.ErrStale, "", "old"), http.StatusUnauthorized, "fail"},
		{"store down", channel.Errorf(channel.ErrUnavailable, "", "down"), http.StatusServiceUnavailable, "fail"},
		{"amount mismatch", channel.Errorf(channel.ErrAmountMismatch, "", "x"), http.StatusBadRequest, "fail"},
		{"plain error", errors.New("db"), http.StatusInternalServerError, "fail"},
		{"pay error", pay.Errorf(pay.ErrConflict, "", "x"), http.StatusConflict, "fail"},
	}
	c := newFake(t).channel(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			c.Acknowledge(w, tt.err)
			if w.Code != tt.status || w.Body.String() != tt.body {
				t.Fatalf("answer = %d %q, want %d %q", w.Code, w.Body.String(), tt.status, tt.body)
			}
			if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
				t.Fatalf("Content-Type = %q", ct)
			}
		})
	}
}
