package pay_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paykit-go/paykit/pay"
)

const (
	whOld   = "whsec_test_old"
	whNew   = "whsec_test_new"
	whOther = "whsec_test_other"
)

var (
	whNow  = time.Unix(1700000000, 0)
	whBody = []byte(`{"id":"evt_0test","type":"payment.succeeded","created":1700000000,"data":{"amount":1234,"currency":"CNY"}}`)
)

// whSig is an independent HMAC-SHA256 over "<ts>.<body>", hex-encoded.
func whSig(secret string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(m, "%d.%s", ts, body)
	return hex.EncodeToString(m.Sum(nil))
}

func whSign(t *testing.T, body []byte, at time.Time, secrets ...string) string {
	t.Helper()
	h, err := pay.SignWebhook(body, at, secrets...)
	if err != nil {
		t.Fatalf("SignWebhook: %v", err)
	}
	return h
}

func TestSignWebhookFormat(t *testing.T) {
	got := whSign(t, whBody, whNow.Add(999*time.Millisecond), whOld, whNew)
	want := "t=1700000000,v1=" + whSig(whOld, 1700000000, whBody) + ",v1=" + whSig(whNew, 1700000000, whBody)
	if got != want {
		t.Fatalf("SignWebhook = %q, want %q", got, want)
	}
}

func TestSignWebhookRejects(t *testing.T) {
	many := make([]string, 17)
	for i := range many {
		many[i] = "s" + strconv.Itoa(i)
	}
	tests := []struct {
		name    string
		at      time.Time
		secrets []string
	}{
		{"no secret", whNow, nil},
		{"empty secret", whNow, []string{whNew, ""}},
		{"too many secrets", whNow, many},
		{"before 1970", time.Unix(-1, 0), []string{whNew}},
		{"after 9999", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), []string{whNew}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, err := pay.SignWebhook(whBody, tc.at, tc.secrets...)
			if !errors.Is(err, pay.ErrInvalidRequest) || h != "" {
				t.Fatalf("SignWebhook = %q, %v; want ErrInvalidRequest", h, err)
			}
		})
	}
}

// TestVerifyWebhookStripeVector checks the MAC construction against an
// independently computed vector: Stripe's documented scheme is the same
// HMAC-SHA256 over "<t>.<body>" (values from /work/shared/vectors/stripe_webhook.json).
func TestVerifyWebhookStripeVector(t *testing.T) {
	const (
		secret = "whsec_test_secret"
		header = "t=1495999758,v1=b2d7def75132b725b44e54778762c83f837c1f2d1130164f29c6efc21a361533"
		body   = `{"id":"evt_test","object":"event"}`
	)
	got, err := pay.VerifyWebhook(header, []byte(body), time.Unix(1496000000, 0), pay.DefaultWebhookTolerance, secret)
	if err != nil {
		t.Fatalf("VerifyWebhook: %v", err)
	}
	if got.Unix() != 1495999758 {
		t.Fatalf("timestamp = %d", got.Unix())
	}
	if _, err := pay.VerifyWebhook(header, []byte(body+" "), time.Unix(1496000000, 0), pay.DefaultWebhookTolerance, secret); !errors.Is(err, pay.ErrWebhookSignature) {
		t.Fatalf("tampered Stripe body: %v", err)
	}
}

func TestVerifyWebhook(t *testing.T) {
	ts := whNow.Unix()
	good := whSig(whNew, ts, whBody)
	tstr := strconv.FormatInt(ts, 10)
	sixteen := strings.Repeat("v1="+whSig(whOther, ts, whBody)+",", 15) + "v1=" + good
	tol := pay.DefaultWebhookTolerance

	type want int
	const (
		ok want = iota
		malformed
		badSig
		tooOld
		badConfig
	)
	tests := []struct {
		name    string
		header  string
		body    []byte
		now     time.Time
		tol     time.Duration
		secrets []string
		want    want
	}{
		{name: "valid", header: "t=" + tstr + ",v1=" + good, want: ok},
		{name: "valid, v1 before t", header: "v1=" + good + ",t=" + tstr, want: ok},
		{name: "tampered body", header: "t=" + tstr + ",v1=" + good, body: append(append([]byte(nil), whBody...), ' '), want: badSig},
		{name: "empty body", header: "t=" + tstr + ",v1=" + good, body: []byte{}, want: badSig},
		{name: "wrong secret", header: "t=" + tstr + ",v1=" + good, secrets: []string{whOther}, want: badSig},
		{name: "timestamp tampered", header: "t=" + strconv.FormatInt(ts+1, 10) + ",v1=" + good, want: badSig},
		{name: "signature of another timestamp", header: "t=" + tstr + ",v1=" + whSig(whNew, ts-1, whBody), want: badSig},
		{name: "at tolerance in the past", header: "t=" + tstr + ",v1=" + good, now: whNow.Add(tol), want: ok},
		{name: "too old", header: "t=" + tstr + ",v1=" + good, now: whNow.Add(tol + time.Second), want: tooOld},
		{name: "too old by a nanosecond", header: "t=" + tstr + ",v1=" + good, now: whNow.Add(tol + 1), want: tooOld},
		{name: "much too old", header: "t=0,v1=" + whSig(whNew, 0, whBody), want: tooOld},
		{name: "at tolerance in the future", header: "t=" + tstr + ",v1=" + good, now: whNow.Add(-tol), want: ok},
		{name: "too far in the future", header: "t=" + tstr + ",v1=" + good, now: whNow.Add(-tol - time.Second), want: tooOld},
		{name: "far future, year 9999", header: "t=253402300799,v1=" + whSig(whNew, 253402300799, whBody), want: tooOld},
		{name: "small tolerance", header: "t=" + tstr + ",v1=" + good, now: whNow.Add(2 * time.Second), tol: time.Second, want: tooOld},
		{name: "too old and wrong secret reports signature", header: "t=" + tstr + ",v1=" + good, now: whNow.Add(time.Hour), secrets: []string{whOther}, want: badSig},

		{name: "rolled: signed old+new, verifier knows new", header: whSign(t, whBody, whNow, whOld, whNew), secrets: []string{whNew}, want: ok},
		{name: "rolled: signed new, verifier knows old+new", header: whSign(t, whBody, whNow, whNew), secrets: []string{whOld, whNew}, want: ok},
		{name: "rolled: signed old, verifier knows new only", header: whSign(t, whBody, whNow, whOld), secrets: []string{whNew}, want: badSig},
		{name: "sixteen v1, last matches", header: "t=" + tstr + "," + sixteen, want: ok},

		{name: "unknown scheme ignored", header: "t=" + tstr + ",v0=" + whSig(whOther, ts, whBody) + ",v1=" + good, want: ok},
		{name: "unknown schemes anywhere, empty value", header: "v2=x,t=" + tstr + ",x9=,v1=" + good + ",v0=zz", want: ok},
		{name: "unknown scheme does not authenticate", header: "t=" + tstr + ",v0=" + good + ",v1=" + whSig(whOther, ts, whBody), want: badSig},

		{name: "empty", header: "", want: malformed},
		{name: "missing t", header: "v1=" + good, want: malformed},
		{name: "non-numeric t", header: "t=abc,v1=" + good, want: malformed},
		{name: "empty t", header: "t=,v1=" + good, want: malformed},
		{name: "negative t", header: "t=-1,v1=" + good, want: malformed},
		{name: "signed t", header: "t=+" + tstr + ",v1=" + good, want: malformed},
		{name: "leading zero t", header: "t=0" + tstr + ",v1=" + good, want: malformed},
		{name: "exponent t", header: "t=1.7e9,v1=" + good, want: malformed},
		{name: "t beyond 9999", header: "t=253402300800,v1=" + good, want: malformed},
		{name: "t overflowing int64", header: "t=99999999999999999999,v1=" + good, want: malformed},
		{name: "duplicated t", header: "t=" + tstr + ",t=" + tstr + ",v1=" + good, want: malformed},
		{name: "missing v1", header: "t=" + tstr, want: malformed},
		{name: "only unknown scheme", header: "t=" + tstr + ",v0=" + good, want: malformed},
		{name: "non-hex v1", header: "t=" + tstr + ",v1=" + strings.Repeat("zz", 32), want: malformed},
		{name: "upper-case hex v1", header: "t=" + tstr + ",v1=" + strings.ToUpper(good), want: malformed},
		{name: "short v1", header: "t=" + tstr + ",v1=" + good[:62], want: malformed},
		{name: "long v1", header: "t=" + tstr + ",v1=" + good + "00", want: malformed},
		{name: "empty v1", header: "t=" + tstr + ",v1=", want: malformed},
		{name: "bad v1 next to a good one", header: "t=" + tstr + ",v1=" + good + ",v1=xyz", want: malformed},
		{name: "seventeen v1", header: "t=" + tstr + "," + sixteen + ",v1=" + good, want: malformed},
		{name: "huge", header: "t=" + tstr + ",v1=" + good + strings.Repeat(",v0=a", 1000), want: malformed},
		{name: "just over 4 KiB", header: "t=" + tstr + ",v1=" + good + ",v0=" + strings.Repeat("a", 4096-len("t="+tstr+",v1="+good+",v0=")+1), want: malformed},
		{name: "empty item", header: "t=" + tstr + ",,v1=" + good, want: malformed},
		{name: "trailing comma", header: "t=" + tstr + ",v1=" + good + ",", want: malformed},
		{name: "item without =", header: "t=" + tstr + ",v1=" + good + ",v0", want: malformed},
		{name: "space after comma", header: "t=" + tstr + ", v1=" + good, want: malformed},
		{name: "upper-case key", header: "T=" + tstr + ",v1=" + good, want: malformed},
		{name: "semicolons", header: "t=" + tstr + ";v1=" + good, want: malformed},

		{name: "no secrets", header: "t=" + tstr + ",v1=" + good, secrets: []string{}, want: badConfig},
		{name: "empty secret", header: "t=" + tstr + ",v1=" + good, secrets: []string{whNew, ""}, want: badConfig},
		{name: "zero tolerance", header: "t=" + tstr + ",v1=" + good, tol: -1, want: badConfig},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body, now, tol, secrets := tc.body, tc.now, tc.tol, tc.secrets
			if body == nil {
				body = whBody
			}
			if now.IsZero() {
				now = whNow
			}
			if tol == 0 {
				tol = pay.DefaultWebhookTolerance
			} else if tol < 0 {
				tol = 0
			}
			if secrets == nil {
				secrets = []string{whNew}
			}
			got, err := pay.VerifyWebhook(tc.header, body, now, tol, secrets...)
			switch tc.want {
			case ok:
				if err != nil {
					t.Fatalf("VerifyWebhook: %v", err)
				}
				if got.Unix() != ts && !strings.HasPrefix(tc.header, "t=0,") {
					t.Fatalf("timestamp = %v, want %v", got.Unix(), ts)
				}
				return
			case malformed:
				whWantErr(t, err, pay.ErrInvalidRequest, pay.ErrWebhookMalformed)
			case badSig:
				whWantErr(t, err, pay.ErrUnauthorized, pay.ErrWebhookSignature)
			case tooOld:
				whWantErr(t, err, pay.ErrUnauthorized, pay.ErrWebhookTooOld)
				if got.IsZero() {
					t.Fatalf("ErrWebhookTooOld should come with the signed timestamp")
				}
				return
			case badConfig:
				whWantErr(t, err, pay.ErrInvalidRequest, nil)
				if errors.Is(err, pay.ErrWebhookMalformed) {
					t.Fatalf("a caller's mistake is not a malformed header: %v", err)
				}
			}
			if !got.IsZero() {
				t.Fatalf("timestamp = %v on error, want zero", got)
			}
		})
	}
}

// whWantErr checks err's kind, cause, and that it leaks no secret or
// signature (neither in Error() nor on the wire).
func whWantErr(t *testing.T, err error, kind, cause *pay.Error) {
	t.Helper()
	if err == nil {
		t.Fatalf("err = nil, want %v", kind.Code)
	}
	if !errors.Is(err, kind) {
		t.Fatalf("err = %v, want kind %s", err, kind.Code)
	}
	all := []*pay.Error{pay.ErrWebhookMalformed, pay.ErrWebhookSignature, pay.ErrWebhookTooOld}
	for _, c := range all {
		if got, want := errors.Is(err, c), c == cause; got != want {
			t.Fatalf("errors.Is(%v, %s) = %v, want %v", err, c.Code, got, want)
		}
	}
	pe, ok := errors.AsType[*pay.Error](err)
	if !ok {
		t.Fatalf("err %T is not a *pay.Error", err)
	}
	wire, _ := json.Marshal(pe)
	for _, s := range []string{err.Error(), string(wire)} {
		for _, secret := range []string{whOld, whNew, whOther, "whsec"} {
			if strings.Contains(s, secret) {
				t.Fatalf("error text %q contains a secret", s)
			}
		}
		if strings.Contains(s, whSig(whNew, whNow.Unix(), whBody)[:16]) {
			t.Fatalf("error text %q contains the signature", s)
		}
	}
}

func TestWebhookEventHelpers(t *testing.T) {
	ev, err := pay.NewEvent("bill.paid", whNow, map[string]any{"bill": "bill_1"})
	if err != nil {
		t.Fatal(err)
	}
	if !pay.ValidID(ev.ID, pay.PrefixEvent) || ev.Type != "bill.paid" || ev.Created != whNow.Unix() || string(ev.Data) != `{"bill":"bill_1"}` {
		t.Fatalf("NewEvent = %+v", ev)
	}
	b, err := ev.Payload()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"` + ev.ID + `","type":"bill.paid","created":1700000000,"data":{"bill":"bill_1"}}`
	if string(b) != want {
		t.Fatalf("Payload = %s, want %s", b, want)
	}

	bad := []struct {
		name string
		err  func() error
	}{
		{"NewEvent empty type", func() error { _, err := pay.NewEvent("", whNow, nil); return err }},
		{"NewEvent unmarshalable data", func() error { _, err := pay.NewEvent("x", whNow, func() {}); return err }},
		{"NewEvent invalid raw data", func() error { _, err := pay.NewEvent("x", whNow, json.RawMessage("{")); return err }},
		{"Payload bad id", func() error { _, err := pay.Event{ID: "pay_1", Type: "x"}.Payload(); return err }},
		{"Payload empty type", func() error { _, err := pay.Event{ID: "evt_1"}.Payload(); return err }},
		{"Payload invalid data", func() error {
			_, err := pay.Event{ID: "evt_1", Type: "x", Data: json.RawMessage("{")}.Payload()
			return err
		}},
		{"SignedWebhookRequest bad event", func() error {
			_, err := pay.SignedWebhookRequest(context.Background(), "http://x", pay.Event{}, whNow, whNew)
			return err
		}},
		{"SignedWebhookRequest no secret", func() error {
			_, err := pay.SignedWebhookRequest(context.Background(), "http://x", ev, whNow)
			return err
		}},
		{"SignedWebhookRequest bad url", func() error {
			_, err := pay.SignedWebhookRequest(context.Background(), "http://[::1", ev, whNow, whNew)
			return err
		}},
	}
	for _, tc := range bad {
		if err := tc.err(); !errors.Is(err, pay.ErrInvalidRequest) {
			t.Errorf("%s: err = %v, want ErrInvalidRequest", tc.name, err)
		}
	}
}

func TestSignedWebhookRequest(t *testing.T) {
	ev := pay.Event{ID: "evt_0test", Type: "payment.succeeded", Created: whNow.Unix(), Data: json.RawMessage(`{}`)}
	req, err := pay.SignedWebhookRequest(context.Background(), "https://merchant.example/hooks", ev, whNow, whOld, whNew)
	if err != nil {
		t.Fatal(err)
	}
	if req.Method != "POST" || req.URL.String() != "https://merchant.example/hooks" || req.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("request = %s %s %v", req.Method, req.URL, req.Header)
	}
	rc, err := req.GetBody()
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"id":"evt_0test","type":"payment.succeeded","created":1700000000,"data":{}}`; string(body) != want {
		t.Fatalf("body = %s, want %s", body, want)
	}
	for _, secret := range []string{whOld, whNew} {
		if _, err := pay.VerifyWebhook(req.Header.Get(pay.SignatureHeader), body, whNow, pay.DefaultWebhookTolerance, secret); err != nil {
			t.Fatalf("verify with %s: %v", secret, err)
		}
	}
}
