package pay_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paykit-go/paykit/pay"
)

// FuzzVerifyWebhookHeader feeds arbitrary headers, bodies and clocks to
// VerifyWebhook. It must never panic, must classify every failure as one of
// the three webhook causes, and must accept only when the header really
// carries, as a v1 value, the HMAC of "<t>.<body>" under the secret for a t
// within the tolerance. The seeds run in every ordinary `go test`.
func FuzzVerifyWebhookHeader(f *testing.F) {
	const secret = "whsec_fuzz"
	now := whNow.Unix()
	body := []byte(`{"id":"evt_0fuzz","type":"x","created":1,"data":{}}`)
	good := whSig(secret, now, body)
	ts := strconv.FormatInt(now, 10)
	for _, h := range []string{
		"t=" + ts + ",v1=" + good,
		"v1=" + good + ",t=" + ts,
		"t=" + ts + ",v0=abc,v1=" + good,
		"t=" + ts + ",v1=" + whSig("other", now, body) + ",v1=" + good,
		"t=" + ts + ",v1=" + strings.ToUpper(good),
		"t=" + ts + ",v1=" + good[:63],
		"t=0" + ts + ",v1=" + good,
		"t=" + ts + ",t=" + ts + ",v1=" + good,
		"t=" + ts,
		"v1=" + good,
		"t=,v1=",
		"t=-1,v1=" + good,
		"=,=,=",
		",",
		"",
		"t=99999999999999999999999,v1=" + good,
		"t=" + ts + strings.Repeat(",v1="+good, 17),
		"t=" + ts + ",v1=" + good + strings.Repeat(",v0=a", 1000),
		"t=" + ts + ", v1=" + good,
		"t=" + ts + ",v1=" + good + ",",
		"t=1\x00,v1=" + good,
	} {
		f.Add(h, body, now)
	}
	f.Add("t="+ts+",v1="+good, body, now+400)
	f.Add("t="+ts+",v1="+good, body, now-400)
	f.Add("t="+ts+",v1="+good, []byte{}, now)
	f.Add("t=0,v1="+whSig(secret, 0, nil), []byte(nil), int64(0))

	const tol = 5 * time.Minute
	f.Fuzz(func(t *testing.T, header string, body []byte, nowUnix int64) {
		// Keep the clock representable; headers are checked up to year 9999.
		nowUnix %= 300000000000
		clk := time.Unix(nowUnix, 0)
		got, err := pay.VerifyWebhook(header, body, clk, tol, secret)
		if err != nil {
			causes := 0
			for _, c := range []*pay.Error{pay.ErrWebhookMalformed, pay.ErrWebhookSignature, pay.ErrWebhookTooOld} {
				if errors.Is(err, c) {
					causes++
				}
			}
			if causes != 1 {
				t.Fatalf("error %v matches %d webhook causes, want 1", err, causes)
			}
			if errors.Is(err, pay.ErrWebhookMalformed) != errors.Is(err, pay.ErrInvalidRequest) ||
				errors.Is(err, pay.ErrWebhookMalformed) == errors.Is(err, pay.ErrUnauthorized) {
				t.Fatalf("error %v has the wrong kind", err)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "v1=") {
				t.Fatalf("error %q echoes a secret or the header", err)
			}
			return
		}
		// Accepted: check with an independent oracle.
		want := "v1=" + whSig(secret, got.Unix(), body)
		wantT := "t=" + strconv.FormatInt(got.Unix(), 10)
		found, ts, v1s := false, 0, 0
		for item := range strings.SplitSeq(header, ",") {
			found = found || item == want
			if strings.HasPrefix(item, "t=") {
				ts++
				if item != wantT {
					t.Fatalf("accepted %q, returned t %d", header, got.Unix())
				}
			}
			if strings.HasPrefix(item, "v1=") {
				v1s++
			}
		}
		if !found {
			t.Fatalf("accepted %q without the right HMAC", header)
		}
		if ts != 1 || v1s > 16 || len(header) > 4096 {
			t.Fatalf("accepted a header with %d t, %d v1, %d bytes", ts, v1s, len(header))
		}
		if d := clk.Sub(got); d > tol || d < -tol {
			t.Fatalf("accepted %q at skew %v", header, d)
		}
	})
}
