package vrauth_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/paykit-go/paykit/internal/clock"
	"github.com/paykit-go/paykit/vrauth"
)

// vtFlakyStore is a MemStore whose authorization updates fail while
// down is set, as a database's would when its connection drops.
type vtFlakyStore struct {
	*vrauth.MemStore
	down atomic.Bool
}

// errVTStore is the flaky store's error; it must never reach a page or a
// JSON answer.
var errVTStore = errors.New("pq: connection reset by peer at 10.0.0.7:5432")

func (s *vtFlakyStore) UpdateAuthorization(ctx context.Context, id string, fn func(*vrauth.Authorization) error) (vrauth.Authorization, error) {
	if s.down.Load() {
		return vrauth.Authorization{}, errVTStore
	}
	return s.MemStore.UpdateAuthorization(ctx, id, fn)
}

// TestStoreFailure: when the store fails, the pages and JSON routes
// answer 500 without the store's error text, and nothing is charged.
func TestStoreFailure(t *testing.T) {
	e := vtNew(t)
	st := &vtFlakyStore{MemStore: vrauth.NewMemStore()}
	svc, err := vrauth.New(e.srv.Channels, vrauth.WithStore(st), vrauth.WithPublicURL(e.srv.URL), vrauth.WithClock(clock.NewFake(vtStart)))
	if err != nil {
		t.Fatal(err)
	}
	mobile := vtMobile()
	en, err := svc.Register(e.ctx, vrauth.RegisterRequest{Name: "Ada", Mobile: mobile})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := svc.Outbox().Last(mobile)
	if _, err := svc.VerifyMobile(e.ctx, en.User.ID, en.CodeID, vtCodeRE.FindString(m.Body)); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddHeadset(e.ctx, en.User.ID, vrauth.HeadsetRequest{ID: "quest-flaky"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddTerminal(e.ctx, en.User.ID, vrauth.TerminalRequest{Name: "Phone", Address: "flaky@example.com"}); err != nil {
		t.Fatal(err)
	}
	act, _ := svc.Outbox().Last("flaky@example.com")
	_, secret, err := svc.ActivateTerminal(e.ctx, strings.TrimPrefix(act.Link, e.srv.URL+"/vr/activate/"))
	if err != nil {
		t.Fatal(err)
	}
	started, err := svc.Checkout(e.ctx, vrauth.CheckoutRequest{UserID: en.User.ID, HeadsetID: "quest-flaky", Order: vtOrder(1_00)})
	if err != nil {
		t.Fatal(err)
	}
	link, _ := svc.Outbox().Last("flaky@example.com")
	approvePath := strings.TrimPrefix(link.Link, e.srv.URL)

	h := vrauth.Handler(svc)
	serve := func(method, target, body string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, target, strings.NewReader(body))
		if method == http.MethodPost && strings.HasPrefix(target, "/vr/") {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		for _, c := range cookies {
			req.AddCookie(c)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	w := serve(http.MethodGet, "/vr/code", "")
	var csrf *http.Cookie
	for _, c := range w.Result().Cookies() {
		if c.Name == "vr_csrf" {
			csrf = c
		}
	}
	codeToken := vtPage{Body: w.Body.String()}.csrf(t)
	approveToken := vtPage{Body: serve(http.MethodGet, approvePath, "", csrf).Body.String()}.csrf(t)
	terminal := &http.Cookie{Name: "vr_terminal", Value: secret}

	st.down.Store(true)
	for _, tc := range []struct {
		name string
		w    *httptest.ResponseRecorder
	}{
		{"code entry", serve(http.MethodPost, "/vr/code", url.Values{"csrf": {codeToken}, "user_code": {started.UserCode}}.Encode(), csrf, terminal)},
		{"approval", serve(http.MethodPost, approvePath, url.Values{"csrf": {approveToken}, "action": {"approve"}, "channel": {vtChannel}}.Encode(), csrf)},
		{"denial", serve(http.MethodPost, approvePath, url.Values{"csrf": {approveToken}, "action": {"deny"}}.Encode(), csrf)},
		{"poll", serve(http.MethodPost, "/v1/vr/authorizations/poll", `{"device_code":"`+started.DeviceCode+`"}`)},
	} {
		if tc.w.Code != http.StatusInternalServerError {
			t.Errorf("%s with the store down: status %d, want 500:\n%s", tc.name, tc.w.Code, tc.w.Body)
		}
		if strings.Contains(tc.w.Body.String(), "10.0.0.7") {
			t.Errorf("%s: the answer quotes the store's error:\n%s", tc.name, tc.w.Body)
		}
	}
	if n := e.charges(); n != 0 {
		t.Fatalf("%d charges with the store down", n)
	}
	st.down.Store(false)
	a, err := svc.Authorization(e.ctx, started.Authorization.ID)
	if err != nil || a.Status != vrauth.StatusPending {
		t.Fatalf("after the outage: %s, %v; want pending", a.Status, err)
	}
}
