package sandbox

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/pay"
)

// control sends a signed request to the provider's control API, checks the
// answer's signature and returns its status and body.
func control(t *testing.T, h *harness, method, path, body string) (int, []byte) {
	t.Helper()
	req := signedRequest(t, method, h.srv.URL+path, testSecret, []byte(body), time.Now())
	req.RequestURI = ""
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if _, err := pay.VerifyWebhook(resp.Header.Get(SignatureHeader), responsePayload(path, b), time.Now(), DefaultTolerance, testSecret); err != nil {
		t.Fatalf("%s %s: answer not signed: %v", method, path, err)
	}
	return resp.StatusCode, b
}

func TestControlEndpoints(t *testing.T) {
	h := newHarness(t, nil)
	for _, id := range []string{"ord_ctl_pay", "ord_ctl_decl", "ord_ctl_late"} {
		if _, err := h.ch.CreateCharge(bg, chargeReq(id, channel.ScenarioQR)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.ch.SignAgreement(bg, channel.AgreementRequest{AgreementID: "agr_ctl_1", UserID: "u"}); err != nil {
		t.Fatal(err)
	}
	if err := h.ch.CloseCharge(bg, "ord_ctl_late"); err != nil {
		t.Fatal(err)
	}

	steps := []struct {
		method, path, body string
		status             int
		field, want        string // a top-level JSON field of the answer
	}{
		{"POST", "/control/callbacks/hold", `{"hold":true}`, 200, "hold", "true"},
		{"POST", "/control/charges/ord_ctl_pay/pay", ``, 200, "status", "succeeded"},
		{"POST", "/control/charges/ord_ctl_pay/pay", ``, 409, "", ""},
		{"POST", "/control/charges/ord_ctl_none/pay", ``, 404, "", ""},
		{"POST", "/control/charges/ord_ctl_decl/decline", `{"reason":"limit"}`, 200, "failure_reason", "limit"},
		{"POST", "/control/charges/ord_ctl_decl/decline", `{"bogus":1}`, 400, "", ""},
		{"POST", "/control/charges/ord_ctl_late/pay-late", ``, 200, "status", "succeeded"},
		{"POST", "/control/agreements/agr_ctl_1/sign", ``, 200, "status", "signed"},
		{"POST", "/control/agreements/agr_ctl_1/sign", ``, 409, "", ""},
		{"POST", "/control/faults", `{"op":"query","kind":"unavailable","times":3}`, 200, "kind", "unavailable"},
		{"POST", "/control/callbacks/hold", `{"hold":false}`, 200, "hold", "false"},
		{"POST", "/control/callbacks/sbevt_nosuch/deliver", ``, 404, "", ""},
	}
	for _, s := range steps {
		status, body := control(t, h, s.method, s.path, s.body)
		if status != s.status {
			t.Fatalf("%s %s = %d %s, want %d", s.method, s.path, status, body, s.status)
		}
		if s.field != "" {
			var m map[string]any
			if err := json.Unmarshal(body, &m); err != nil {
				t.Fatal(err)
			}
			if got := jsonString(m[s.field]); got != s.want {
				t.Fatalf("%s %s: %s = %q, want %q", s.method, s.path, s.field, got, s.want)
			}
		}
	}
	// The injected query fault is live.
	_, err := h.ch.QueryCharge(bg, "ord_ctl_pay")
	assertIs(t, err, channel.ErrUnavailable)

	status, body := control(t, h, "GET", "/control/callbacks", "")
	var list callbacksWire
	if err := json.Unmarshal(body, &list); status != 200 || err != nil {
		t.Fatalf("callbacks = %d %s", status, body)
	}
	// pay, decline, close (before the hold: delivered), pay-late, sign.
	var types []string
	for _, cb := range list.Callbacks {
		types = append(types, string(cb.Type))
	}
	want := "charge.closed charge.succeeded charge.failed charge.succeeded agreement.signed"
	if strings.Join(types, " ") != want {
		t.Fatalf("callback types = %v, want %s", types, want)
	}
	held := list.Callbacks[1]
	if !held.Held {
		t.Fatalf("callback %+v not held", held)
	}
	status, body = control(t, h, "POST", "/control/callbacks/"+held.EventID+"/deliver", "")
	if status != 200 {
		t.Fatalf("deliver = %d %s", status, body)
	}
	if e := h.rc.wait(t, channel.EventChargeSucceeded, "ord_ctl_pay"); e.ID != held.EventID {
		t.Fatalf("delivered %+v", e)
	}
}

func jsonString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case bool:
		if v {
			return "true"
		}
		return "false"
	}
	return ""
}

func TestPayAndSignPages(t *testing.T) {
	h := newHarness(t, nil)
	req := chargeReq("ord_page", channel.ScenarioWeb)
	req.Description = `<script>alert(1)</script>`
	req.ReturnURL = "https://merchant.example/done"
	c, err := h.ch.CreateCharge(bg, req)
	if err != nil {
		t.Fatal(err)
	}
	get := func(u string) (int, string) {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	status, page := get(c.Action.RedirectURL)
	if status != 200 || !strings.Contains(page, "12.50 CNY") || !strings.Contains(page, "<form") || strings.Contains(page, "<script>") {
		t.Fatalf("pay page %d:\n%s", status, page)
	}
	resp, err := http.PostForm(c.Action.RedirectURL, url.Values{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "Paid") || !strings.Contains(string(b), "https://merchant.example/done") {
		t.Fatalf("after paying %d:\n%s", resp.StatusCode, b)
	}
	h.rc.wait(t, channel.EventChargeSucceeded, "ord_page")
	if status, _ := get(h.srv.URL + "/pay/sbch_unknown"); status != 404 {
		t.Fatalf("unknown page = %d", status)
	}

	ag, err := h.ch.SignAgreement(bg, channel.AgreementRequest{AgreementID: "agr_page1", UserID: "u", DisplayName: "arcade"})
	if err != nil {
		t.Fatal(err)
	}
	if status, page := get(ag.Action.RedirectURL); status != 200 || !strings.Contains(page, "arcade") {
		t.Fatalf("sign page %d:\n%s", status, page)
	}
	if resp, err := http.PostForm(ag.Action.RedirectURL, url.Values{}); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	h.rc.wait(t, channel.EventAgreementSigned, "agr_page1")
}
