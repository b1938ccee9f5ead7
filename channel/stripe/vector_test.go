package stripe

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/paykit-go/paykit/channel"
)

// vectorPath is ../shared/vectors relative to the repository root; this
// package is two levels below it.
var vectorPath = filepath.Join("..", "..", "..", "shared", "vectors", "stripe_webhook.json")

// TestStripeWebhookVector checks the signature scheme against a header
// computed with Stripe's documented algorithm outside this package.
func TestStripeWebhookVector(t *testing.T) {
	raw, err := os.ReadFile(vectorPath)
	if errors.Is(err, os.ErrNotExist) {
		t.Skip("shared vectors not present")
	}
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Secret    string `json:"secret"`
		Timestamp int64  `json:"timestamp"`
		NowUnix   int64  `json:"now_unix"`
		Body      string `json:"body"`
		Header    string `json:"header"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	secrets := []string{v.Secret}
	body := []byte(v.Body)

	signed, err := verifySignature(v.Header, body, time.Unix(v.NowUnix, 0), DefaultTolerance, secrets)
	if err != nil {
		t.Fatalf("vector header rejected at now_unix: %v", err)
	}
	if signed.Unix() != v.Timestamp {
		t.Errorf("signed time %d, want %d", signed.Unix(), v.Timestamp)
	}
	if h, err := SignWebhook(body, time.Unix(v.Timestamp, 0), v.Secret); err != nil || h != v.Header {
		t.Errorf("SignWebhook = %q, %v; want the vector's %q", h, err, v.Header)
	}
	// 301 s after the tolerance ran out, and already 1 s past it.
	for _, late := range []time.Duration{DefaultTolerance + 301*time.Second, DefaultTolerance + time.Second} {
		at := time.Unix(v.Timestamp, 0).Add(late)
		if _, err := verifySignature(v.Header, body, at, DefaultTolerance, secrets); !errors.Is(err, channel.ErrStale) {
			t.Errorf("at t+%v: err = %v, want ErrStale", late, err)
		}
	}
	if _, err := verifySignature(v.Header, append(body, ' '), time.Unix(v.NowUnix, 0), DefaultTolerance, secrets); !errors.Is(err, channel.ErrBadSignature) {
		t.Errorf("altered body: err = %v, want ErrBadSignature", err)
	}
}
