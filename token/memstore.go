package token

import (
	"context"
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
	uses     sync.Map // use ID -> *entry
}

type entry struct {
	mu     sync.Mutex
	rec    Record
	uses   []Use
	useIdx map[string]int
}

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
	e := &entry{rec: r, useIdx: map[string]int{}}
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
	if i, ok := e.useIdx[useID]; ok && useID != "" {
		u = e.uses[i]
	}
	r, u, err := fn(e.rec, u)
	if err != nil {
		return Record{}, err
	}
	r.Token.ID, r.Token.Value = e.rec.Token.ID, e.rec.Token.Value // keys never change
	if r.Token.Status == StatusDeleted && e.rec.ConvergentKey != "" {
		s.mu.Lock()
		if s.conv[e.rec.ConvergentKey] == e {
			delete(s.conv, e.rec.ConvergentKey)
		}
		s.mu.Unlock()
	}
	e.rec = r
	if u.ID != "" {
		u.TokenID = id
		if i, ok := e.useIdx[u.ID]; ok {
			e.uses[i] = u
		} else {
			e.useIdx[u.ID] = len(e.uses)
			e.uses = append(e.uses, u)
			s.uses.Store(u.ID, e)
		}
	}
	return r, nil
}

// UseByID implements Store.
func (s *MemStore) UseByID(_ context.Context, useID string) (Use, error) {
	v, ok := s.uses.Load(useID)
	if !ok {
		return Use{}, pay.Errorf(pay.ErrNotFound, "use_id", "no such use")
	}
	e := v.(*entry)
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.uses[e.useIdx[useID]], nil
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
		i, ok := e.useIdx[after]
		if !ok {
			return nil, pay.Errorf(pay.ErrInvalidRequest, "after", "no such use on this token")
		}
		start = i + 1
	}
	end := min(start+max(limit, 0), len(e.uses))
	return append([]Use(nil), e.uses[start:end]...), nil
}
