package channel_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/channel"
)

func TestCallbackHandlerAnswersAndForgetsUnappliedEvents(t *testing.T) {
	wx := newFake("wx")
	e := newEnv(t, wx)
	srv := httptest.NewServer(channel.Handler(e.agg))
	defer srv.Close()
	p := e.pay(t, qrRequest("wx"))
	post := func(path, sig string, ev channel.Event) int {
		t.Helper()
		body, _ := json.Marshal(ev)
		req, _ := http.NewRequest("POST", srv.URL+path, bytes.NewReader(body))
		req.Header.Set("X-Fake-Signature", sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	good := event("ev-ok", "wx", channel.EventChargeSucceeded, p)
	unknown := event("ev-unknown", "wx", channel.EventChargeSucceeded, p)
	unknown.ChargeID = "pay_unknown"
	for _, tc := range []struct {
		name, path, sig string
		ev              channel.Event
		want            int
	}{
		{"bad signature", "/v1/callbacks/wx", "forged", good, http.StatusBadRequest},
		{"unknown charge", "/v1/callbacks/wx", "ok", unknown, http.StatusBadRequest},
		{"unknown channel", "/v1/callbacks/zz", "ok", good, http.StatusNotFound},
		{"good", "/v1/callbacks/wx", "ok", good, http.StatusOK},
		{"duplicate is acknowledged", "/v1/callbacks/wx", "ok", good, http.StatusOK},
	} {
		if got := post(tc.path, tc.sig, tc.ev); got != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, got, tc.want)
		}
	}
	if d := cmp.Diff([]string{"ev-unknown"}, wx.forgotten); d != "" {
		t.Errorf("forgotten events (-want +got):\n%s", d)
	}
	if b := e.merchantBalance(t); b != 1250 {
		t.Errorf("merchant balance = %d", b)
	}
}
