package vrauth

import (
	"sync"
	"time"

	"github.com/paykit-go/paykit/pay"
)

// limiter is a per-key token bucket: n requests per window, refilled
// continuously. Keys name a client ("order:<headset>", "code:<ip>").
type limiter struct {
	mu      sync.Mutex
	clock   pay.Clock
	n       float64
	window  time.Duration
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newLimiter(n int, window time.Duration) *limiter {
	return &limiter{n: float64(n), window: window, buckets: map[string]*bucket{}}
}

// allow takes one token for key, or says how long until one is free.
func (l *limiter) allow(key string) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock.Now()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) > 100000 {
			l.prune(now)
		}
		b = &bucket{tokens: l.n, at: now}
		l.buckets[key] = b
	}
	rate := l.n / float64(l.window)
	if d := now.Sub(b.at); d > 0 {
		b.tokens = min(l.n, b.tokens+float64(d)*rate)
		b.at = now
	}
	if b.tokens < 1 {
		return time.Duration((1 - b.tokens) / rate), false
	}
	b.tokens--
	return 0, true
}

// prune drops buckets that have refilled, so idle clients cost nothing.
func (l *limiter) prune(now time.Time) {
	for k, b := range l.buckets {
		if now.Sub(b.at) >= l.window {
			delete(l.buckets, k)
		}
	}
}

// limit answers ErrRateLimited when key is over its limit.
func (s *Service) limit(key string) error {
	if wait, ok := s.limiter.allow(key); !ok {
		return pay.Errorf(pay.ErrRateLimited, "", "too many requests from this client; retry in %d s", int(wait.Seconds())+1)
	}
	return nil
}
