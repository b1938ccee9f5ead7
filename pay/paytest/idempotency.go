package paytest

import (
	"bytes"
	"crypto/sha256"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/paykit-go/paykit/pay"
)

// IdempotencyHeader is the request header naming a logical call.
const IdempotencyHeader = "Idempotency-Key"

// IdempotencyTTL is how long a stored response answers retries.
const IdempotencyTTL = 24 * time.Hour

// idemEntry is one idempotency key's first request and, once done, its
// response. done is closed when the response is stored.
type idemEntry struct {
	fingerprint [32]byte
	created     time.Time
	done        chan struct{}
	status      int
	ctype       string
	body        []byte
}

// idemStore remembers responses per (API key, Idempotency-Key) for
// IdempotencyTTL. A retry with the same key and the same method, path and
// body gets the stored response without running the handler again; the same
// key with a different request gets 409 idempotency_conflict. A retry that
// arrives while the first is still running waits for it. Responses with
// status 429 or 5xx are not stored, so a retry runs the request again.
type idemStore struct {
	clock   pay.Clock
	mu      sync.Mutex
	entries map[[32]byte]*idemEntry
	swept   time.Time
}

func newIdemStore(c pay.Clock) *idemStore {
	return &idemStore{clock: c, entries: map[[32]byte]*idemEntry{}}
}

func (s *idemStore) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get(IdempotencyHeader)
		if key == "" || r.Method == http.MethodGet || r.Method == http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		if len(key) > 255 {
			pay.WriteError(w, r, pay.Errorf(pay.ErrInvalidRequest, IdempotencyHeader, "Idempotency-Key is longer than 255 bytes"))
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, pay.MaxBodyBytes))
		if err != nil {
			pay.WriteError(w, r, pay.Errorf(pay.ErrPayloadTooLarge, "", "request body exceeds %d bytes", pay.MaxBodyBytes))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		p, _ := principalFrom(r.Context())
		slot := digest(p.digest[:], []byte(key))
		fp := digest([]byte(r.Method), []byte(r.URL.RequestURI()), body)

		for {
			e, fresh := s.claim(slot, fp)
			if fresh {
				s.run(w, r, next, slot, e)
				return
			}
			if e.fingerprint != fp {
				pay.WriteError(w, r, pay.Errorf(pay.ErrIdempotencyConflict, IdempotencyHeader, "this Idempotency-Key was used with a different request"))
				return
			}
			select {
			case <-e.done:
			case <-r.Context().Done():
				return
			}
			if e.status == 0 { // first attempt wasn't stored; run again
				continue
			}
			w.Header().Set("Content-Type", e.ctype)
			w.Header().Set("Idempotent-Replayed", "true")
			w.WriteHeader(e.status)
			_, _ = w.Write(e.body)
			return
		}
	})
}

// claim returns the live entry for slot, or creates one and reports fresh.
func (s *idemStore) claim(slot, fp [32]byte) (*idemEntry, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	if now.Sub(s.swept) > time.Minute {
		for k, e := range s.entries {
			if now.Sub(e.created) >= IdempotencyTTL && isDone(e) {
				delete(s.entries, k)
			}
		}
		s.swept = now
	}
	if e, ok := s.entries[slot]; ok && now.Sub(e.created) < IdempotencyTTL {
		return e, false
	}
	e := &idemEntry{fingerprint: fp, created: now, done: make(chan struct{})}
	s.entries[slot] = e
	return e, true
}

func isDone(e *idemEntry) bool {
	select {
	case <-e.done:
		return true
	default:
		return false
	}
}

// run serves the first request of a key and stores its response.
func (s *idemStore) run(w http.ResponseWriter, r *http.Request, next http.Handler, slot [32]byte, e *idemEntry) {
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		s.mu.Lock()
		if rec.status == http.StatusTooManyRequests || rec.status >= 500 || !rec.wrote {
			delete(s.entries, slot)
		} else {
			e.status, e.ctype, e.body = rec.status, rec.Header().Get("Content-Type"), rec.buf.Bytes()
		}
		s.mu.Unlock()
		close(e.done)
	}()
	next.ServeHTTP(rec, r)
}

func digest(parts ...[]byte) [32]byte {
	h := sha256.New()
	for _, p := range parts {
		var n [8]byte
		for i := range n {
			n[i] = byte(uint64(len(p)) >> (8 * i))
		}
		h.Write(n[:])
		h.Write(p)
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// recorder passes a response through while keeping a copy.
type recorder struct {
	http.ResponseWriter
	status int
	wrote  bool
	buf    bytes.Buffer
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if !r.wrote {
		r.wrote = true
	}
	r.buf.Write(b)
	return r.ResponseWriter.Write(b)
}
