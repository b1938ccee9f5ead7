package qr

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/paykit-go/paykit/pay"
)

func TestDurationsTravelAsSeconds(t *testing.T) {
	r := IssueRequest{Holder: "Li Lei", Token: "ptk_x", Balance: pay.Money{Amount: 100, Currency: "CNY"}, Uses: 3, Validity: 30 * 24 * time.Hour}
	b, err := json.Marshal(r)
	if err != nil || !strings.Contains(string(b), `"validity_seconds":2592000`) {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	var back IssueRequest
	if err := json.Unmarshal(b, &back); err != nil || back != r {
		t.Fatalf("round trip = %+v, %v", back, err)
	}
	if err := json.Unmarshal([]byte(`{"holder":"x","validity":5}`), &back); err == nil {
		t.Fatal("an unknown field (the old nanosecond validity) was accepted")
	}
	if err := json.Unmarshal([]byte(`{"holder":"x","validity_seconds":9223372036854775807}`), &back); err != nil || back.Validity <= 0 {
		t.Fatalf("huge validity = %v, %v; want clamped positive", back.Validity, err)
	}
	l := DefaultOfflineLimits
	b, err = json.Marshal(l)
	if err != nil || !strings.Contains(string(b), `"max_unsettled_seconds":86400`) || !strings.Contains(string(b), `"per_transaction":`) {
		t.Fatalf("limits JSON = %s, %v", b, err)
	}
	var lb OfflineLimits
	if err := json.Unmarshal(b, &lb); err != nil || lb != l {
		t.Fatalf("limits round trip = %+v, %v", lb, err)
	}
}
