package pay

import (
	"context"
	"errors"
	"math"
	"net/http"
	"testing"
	"time"
)

func TestDefaultRetryPolicies(t *testing.T) {
	want := RetryPolicy{MaxAttempts: 4, BaseDelay: 100 * time.Millisecond, MaxDelay: 5 * time.Second}
	if got := DefaultRetryPolicy(); got != want {
		t.Errorf("DefaultRetryPolicy() = %+v, want %+v", got, want)
	}
	if got := NoRetries(); got.MaxAttempts != 1 || got.Validate() != nil {
		t.Errorf("NoRetries() = %+v, want one valid attempt", got)
	}
	if err := DefaultRetryPolicy().Validate(); err != nil {
		t.Errorf("default policy invalid: %v", err)
	}
}

func TestRetryPolicyValidate(t *testing.T) {
	tests := []struct {
		p  RetryPolicy
		ok bool
	}{
		{RetryPolicy{1, time.Nanosecond, time.Nanosecond}, true},
		{RetryPolicy{10, time.Second, time.Hour}, true},
		{RetryPolicy{0, time.Second, time.Second}, false},
		{RetryPolicy{-1, time.Second, time.Second}, false},
		{RetryPolicy{3, 0, time.Second}, false},
		{RetryPolicy{3, -time.Second, time.Second}, false},
		{RetryPolicy{3, time.Second, time.Second - 1}, false},
	}
	for _, tt := range tests {
		err := tt.p.Validate()
		if (err == nil) != tt.ok {
			t.Errorf("%+v.Validate() = %v, want ok=%v", tt.p, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("%+v.Validate() = %v, want invalid_request", tt.p, err)
		}
	}
}

func TestBackoffCap(t *testing.T) {
	p := RetryPolicy{MaxAttempts: 10, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}
	tests := []struct {
		retry int
		want  time.Duration
	}{
		{0, 100 * time.Millisecond},
		{1, 200 * time.Millisecond},
		{2, 400 * time.Millisecond},
		{3, 800 * time.Millisecond},
		{4, time.Second},
		{5, time.Second},
		{63, time.Second},
		{1000, time.Second},
	}
	for _, tt := range tests {
		if got := p.backoffCap(tt.retry); got != tt.want {
			t.Errorf("backoffCap(%d) = %v, want %v", tt.retry, got, tt.want)
		}
	}
	// Doubling near the top of int64 must not overflow.
	huge := RetryPolicy{MaxAttempts: 2, BaseDelay: time.Duration(math.MaxInt64/2 + 1), MaxDelay: time.Duration(math.MaxInt64)}
	for _, r := range []int{0, 1, 2, 100} {
		if got := huge.backoffCap(r); got < huge.BaseDelay {
			t.Errorf("huge backoffCap(%d) = %v, overflowed", r, got)
		}
	}
}

func TestBackoffFullJitter(t *testing.T) {
	p := RetryPolicy{MaxAttempts: 10, BaseDelay: 10 * time.Millisecond, MaxDelay: 80 * time.Millisecond}
	for retry := range 8 {
		limit := p.backoffCap(retry)
		distinct := map[time.Duration]bool{}
		var low, high bool
		for range 2000 {
			d := p.Backoff(retry)
			if d < 0 || d > limit || d > p.MaxDelay {
				t.Fatalf("Backoff(%d) = %v, want within [0, %v]", retry, d, limit)
			}
			distinct[d] = true
			low = low || d < limit/4
			high = high || d > limit*3/4
		}
		if len(distinct) < 100 || !low || !high {
			t.Errorf("Backoff(%d) over 2000 draws: %d distinct, low %v, high %v; want spread over [0, %v]", retry, len(distinct), low, high, limit)
		}
	}
	tiny := RetryPolicy{MaxAttempts: 2, BaseDelay: 1, MaxDelay: 1}
	for range 100 {
		if d := tiny.Backoff(0); d < 0 || d > 1 {
			t.Fatalf("tiny backoff = %v", d)
		}
	}
}

func TestRetryableStatus(t *testing.T) {
	for code := 100; code <= 600; code++ {
		want := code == 429 || (code >= 500 && code <= 599 && code != 501)
		if got := retryableStatus(code); got != want {
			t.Errorf("retryableStatus(%d) = %v, want %v", code, got, want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 6, 2, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"   ", 0, false},
		{"5", 5 * time.Second, true},
		{" 12 ", 12 * time.Second, true},
		{"0", 0, true},
		{"60", time.Minute, true},
		{"61", time.Minute, true},
		{"99999999999999999999999", time.Minute, true},
		{"-1", 0, false},
		{"1.5", 0, false},
		{"soon", 0, false},
		{now.Add(10 * time.Second).Format(http.TimeFormat), 10 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{now.Add(2 * time.Hour).Format(http.TimeFormat), time.Minute, true},
		{"Tuesday, 02-Jun-26 10:00:30 GMT", 30 * time.Second, true}, // RFC 850
		{"Tue Jun  2 10:00:45 2026", 45 * time.Second, true},        // asctime
	}
	for _, tt := range tests {
		got, ok := parseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestClientSleep(t *testing.T) {
	if err := Sleep(context.Background(), 0); err != nil {
		t.Errorf("Sleep(0) = %v", err)
	}
	start := time.Now()
	if err := Sleep(context.Background(), 20*time.Millisecond); err != nil || time.Since(start) < 20*time.Millisecond {
		t.Errorf("Sleep(20ms) = %v after %v", err, time.Since(start))
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	start = time.Now()
	if err := Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) || time.Since(start) > 5*time.Second {
		t.Errorf("Sleep(hour) on canceled ctx = %v after %v", err, time.Since(start))
	}
	if err := Sleep(ctx, 0); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep(0) on canceled ctx = %v", err)
	}
}
