package qr

import (
	"context"
	"slices"
	"sync"

	"github.com/paykit-go/paykit/pay"
)

// MemStore is the in-memory Store, the default. Each card has its own lock,
// so deductions of different cards run in parallel.
type MemStore struct {
	mu        sync.RWMutex
	cards     map[string]*memCard
	terminals map[string]TerminalInfo
}

type memCard struct {
	mu    sync.Mutex
	state CardState
}

// NewMemStore returns an empty in-memory store.
func NewMemStore() *MemStore {
	return &MemStore{cards: map[string]*memCard{}, terminals: map[string]TerminalInfo{}}
}

// cloneState copies c so that callers never share its slices with the store.
// Receipts and transfer results are never modified once stored, so the
// pointers are shared.
func cloneState(c CardState) CardState {
	c.Consumed = slices.Clone(c.Consumed)
	for i := range c.Consumed {
		c.Consumed[i].Record.Signature = slices.Clone(c.Consumed[i].Record.Signature)
	}
	return c
}

// CreateCard implements Store.
func (s *MemStore) CreateCard(_ context.Context, c CardState) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.cards[c.ID]; ok {
		return pay.Errorf(pay.ErrConflict, "id", "card already exists")
	}
	s.cards[c.ID] = &memCard{state: cloneState(c)}
	return nil
}

func (s *MemStore) card(id string) (*memCard, error) {
	s.mu.RLock()
	m, ok := s.cards[id]
	s.mu.RUnlock()
	if !ok {
		return nil, notFound(ErrCardNotFound, "card_id")
	}
	return m, nil
}

// Card implements Store.
func (s *MemStore) Card(_ context.Context, id string) (CardState, error) {
	m, err := s.card(id)
	if err != nil {
		return CardState{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return cloneState(m.state), nil
}

// UpdateCard implements Store.
func (s *MemStore) UpdateCard(ctx context.Context, id string, fn func(c *CardState) error) (CardState, error) {
	m, err := s.card(id)
	if err != nil {
		return CardState{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return CardState{}, err
	}
	work := cloneState(m.state)
	if err := fn(&work); err != nil {
		return CardState{}, err
	}
	m.state = work
	return cloneState(work), nil
}

// PutTerminal implements Store.
func (s *MemStore) PutTerminal(_ context.Context, t TerminalInfo) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.terminals[t.ID]; ok {
		if old.MerchantID != t.MerchantID || old.KeyID != t.KeyID || !old.PublicKey.Equal(t.PublicKey) {
			return pay.Errorf(pay.ErrConflict, "id", "terminal already registered with other fields")
		}
		return nil
	}
	t.PublicKey = slices.Clone(t.PublicKey)
	s.terminals[t.ID] = t
	return nil
}

// Terminal implements Store.
func (s *MemStore) Terminal(_ context.Context, id string) (TerminalInfo, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, ok := s.terminals[id]
	if !ok {
		return TerminalInfo{}, notFound(ErrTerminalUnknown, "terminal_id")
	}
	t.PublicKey = slices.Clone(t.PublicKey)
	return t, nil
}
