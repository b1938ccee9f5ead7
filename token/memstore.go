package token

import (
	"context"
	"errors"
	"sync"

	"github.com/paykit-go/paykit/pay"
)

// MemStore is the in-memory Store, the default. Each token has its own
// lock, so uses of different tokens run in parallel.
type MemStore struct {
	mu       sync.RWMutex
	byID     map[string]*entry
	byValue  map[string]*entry
	accounts map[string]int      // account fingerprint -> tokens holding it
	tokenFPs map[string]struct{} // token fingerprints
	conv     map[string]*entry
}

type entry struct {
	mu   sync.Mutex
	rec  Record
	uses useLog
}

// useLog holds a token's uses in order, in fixed-size chunks, so recording
// a use neither allocates per use nor ever copies the uses before it.
type useLog struct {
	chunks [][]Use
	n      int
}

const useChunk = 64

func (l *useLog) append(u Use) {
	if l.n%useChunk == 0 {
		l.chunks = append(l.chunks, make([]Use, 0, useChunk))
	}
	c := &l.chunks[len(l.chunks)-1]
	*c = append(*c, u)
	l.n++
}

// at returns the i-th use (0-based), which must exist.
func (l *useLog) at(i int) *Use { return &l.chunks[i/useChunk][i%useChunk] }

// NewMemStore returns an empty in-memory store.
func NewMemStore() *MemStore {
	return &MemStore{
		byID: map[string]*entry{}, byValue: map[string]*entry{},
		accounts: map[string]int{}, tokenFPs: map[string]struct{}{}, conv: map[string]*entry{},
	}
}

// Create implements Store.
func (s *MemStore) Create(_ context.Context, r Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.byValue[r.Token.Value]; ok {
		return ErrTaken
	}
	if _, ok := s.byID[r.Token.ID]; ok {
		return ErrTaken
	}
	if r.TokenFingerprint != "" {
		if _, ok := s.tokenFPs[r.TokenFingerprint]; ok {
			return ErrTaken
		}
		if s.accounts[r.TokenFingerprint] > 0 {
			return ErrTaken
		}
	}
	if _, ok := s.tokenFPs[r.AccountFingerprint]; ok {
		return ErrTaken
	}
	if r.ConvergentKey != "" {
		if _, ok := s.conv[r.ConvergentKey]; ok {
			return ErrTaken
		}
	}
	e := &entry{rec: r}
	s.byID[r.Token.ID] = e
	s.byValue[r.Token.Value] = e
	s.accounts[r.AccountFingerprint]++
	if r.TokenFingerprint != "" {
		s.tokenFPs[r.TokenFingerprint] = struct{}{}
	}
	if r.ConvergentKey != "" {
		s.conv[r.ConvergentKey] = e
	}
	return nil
}

func (s *MemStore) find(m map[string]*entry, k string) (*entry, error) {
	s.mu.RLock()
	e, ok := m[k]
	s.mu.RUnlock()
	if !ok {
		return nil, pay.Errorf(pay.ErrNotFound, "token", "no such token")
	}
	return e, nil
}

func (e *entry) record() Record {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.rec
}

// Get implements Store.
func (s *MemStore) Get(_ context.Context, id string) (Record, error) {
	e, err := s.find(s.byID, id)
	if err != nil {
		return Record{}, err
	}
	return e.record(), nil
}

// ByValue implements Store.
func (s *MemStore) ByValue(_ context.Context, value string) (Record, error) {
	e, err := s.find(s.byValue, value)
	if err != nil {
		return Record{}, err
	}
	return e.record(), nil
}

// ByConvergentKey implements Store.
func (s *MemStore) ByConvergentKey(_ context.Context, key string) (Record, error) {
	e, err := s.find(s.conv, key)
	if err != nil {
		return Record{}, err
	}
	return e.record(), nil
}

// Update implements Store.
func (s *MemStore) Update(_ context.Context, id, useID string, fn func(Record, Use) (Record, Use, error)) (Record, error) {
	e, err := s.find(s.byID, id)
	if err != nil {
		return Record{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var u Use
	if tid, seq, ok := SplitUseID(useID); ok && tid == id && seq <= int64(e.uses.n) {
		u = *e.uses.at(int(seq - 1))
	}
	r, u, err := fn(e.rec, u)
	if err != nil {
		return Record{}, err
	}
	r.Token.ID, r.Token.Value = e.rec.Token.ID, e.rec.Token.Value // keys never change
	var seq int64
	if u.ID != "" {
		tid, n, ok := SplitUseID(u.ID)
		if !ok || tid != id || n > int64(e.uses.n)+1 || n > r.UseCount {
			return Record{}, errors.New("token: a new use must be the token's next (see UseID) and counted in UseCount")
		}
		seq, u.TokenID = n, id
	}
	if r.Token.Status == StatusDeleted && e.rec.ConvergentKey != "" {
		s.mu.Lock()
		if s.conv[e.rec.ConvergentKey] == e {
			delete(s.conv, e.rec.ConvergentKey)
		}
		s.mu.Unlock()
	}
	switch {
	case seq == 0:
	case seq == int64(e.uses.n)+1:
		e.uses.append(u)
	default:
		*e.uses.at(int(seq - 1)) = u
	}
	e.rec = r
	return r, nil
}

// UseByID implements Store.
func (s *MemStore) UseByID(_ context.Context, useID string) (Use, error) {
	tid, seq, ok := SplitUseID(useID)
	var e *entry
	if ok {
		e, _ = s.find(s.byID, tid)
	}
	if e != nil {
		e.mu.Lock()
		defer e.mu.Unlock()
		if seq <= int64(e.uses.n) {
			return *e.uses.at(int(seq - 1)), nil
		}
	}
	return Use{}, pay.Errorf(pay.ErrNotFound, "use_id", "no such use")
}

// Uses implements Store.
func (s *MemStore) Uses(_ context.Context, tokenID, after string, limit int) ([]Use, error) {
	e, err := s.find(s.byID, tokenID)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	start := 0
	if after != "" {
		tid, seq, ok := SplitUseID(after)
		if !ok || tid != tokenID || seq > int64(e.uses.n) {
			return nil, pay.Errorf(pay.ErrInvalidRequest, "after", "no such use on this token")
		}
		start = int(seq)
	}
	end := min(start+max(limit, 0), e.uses.n)
	out := make([]Use, 0, max(end-start, 0))
	for i := start; i < end; i++ {
		out = append(out, *e.uses.at(i))
	}
	return out, nil
}
