package alipay

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// notification completes and signs a notification's parameters: app_id,
// notify_time (now), a fresh notify_id and sign_type unless given, then
// sign over everything but sign and sign_type.
func (f *fakeAlipay) notification(params map[string]string) map[string]string {
	p := map[string]string{"app_id": testAppID, "notify_time": formatTime(f.clock.Now()), "notify_id": randomNotifyID(), paramSignType: signTypeRSA2, "charset": "utf-8", "version": "1.0"}
	for k, v := range params {
		p[k] = v
	}
	sign, err := signRSA2(f.key, []byte(notifySignContent(p)))
	if err != nil {
		panic(err)
	}
	p[paramSign] = sign
	return p
}

func randomNotifyID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "2026030100222" + hex.EncodeToString(b)
}

// formBody URL-encodes notification parameters.
func formBody(p map[string]string) string { return encodeParams(p) }

// post sends a notification to url as Alipay does and returns the answer.
func (f *fakeAlipay) post(t testing.TB, u string, p map[string]string) (int, string) {
	t.Helper()
	status, body, err := postNotification(u, p)
	if err != nil {
		t.Fatal(err)
	}
	return status, body
}

func postNotification(u string, p map[string]string) (int, string, error) {
	resp, err := http.Post(u, "application/x-www-form-urlencoded; charset=utf-8", strings.NewReader(formBody(p)))
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// notifyRequest builds the *http.Request a notification arrives as.
func notifyRequest(body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/alipay/notify", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	return r
}

// query parses a URL's query into single values.
func query(t testing.TB, raw string) map[string]string {
	t.Helper()
	v, err := url.ParseQuery(raw)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for k := range v {
		out[k] = v.Get(k)
	}
	return out
}
