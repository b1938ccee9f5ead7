package channel

import (
	"context"
	"maps"
	"sync"
)

// Store persists the aggregator's state. The in-memory MemStore is the
// default; a PostgreSQL store implements the same contract with one
// transaction per Update call (SELECT … FOR UPDATE on the row, an insert
// into a unique event-key table).
type Store interface {
	// InsertPayment stores a new payment; an existing ID is a conflict.
	InsertPayment(ctx context.Context, p Payment) error
	// Payment returns a payment by ID (ErrUnknownCharge if absent).
	Payment(ctx context.Context, id string) (Payment, error)
	// UpdatePayment runs fn on a copy of the payment, serialised with every
	// other update of it. When fn returns nil the copy is stored and, when
	// eventKey isn't empty, eventKey is recorded as applied, atomically.
	// When eventKey was recorded before, fn isn't run and the error is
	// ErrDuplicate. When fn fails nothing changes.
	UpdatePayment(ctx context.Context, id, eventKey string, fn func(*Payment) error) (Payment, error)

	// InsertAgreement, Agreement and UpdateAgreement do the same for
	// agreements.
	InsertAgreement(ctx context.Context, a AgreementRecord) error
	Agreement(ctx context.Context, id string) (AgreementRecord, error)
	UpdateAgreement(ctx context.Context, id, eventKey string, fn func(*AgreementRecord) error) (AgreementRecord, error)

	// SetEnabled switches a channel system-wide.
	SetEnabled(ctx context.Context, channel string, enabled bool) error
	// SetUserEnabled switches a channel for one user.
	SetUserEnabled(ctx context.Context, userID, channel string, enabled bool) error
	// Switches returns the system-wide switches and the user's own (nil
	// user map when userID is empty). A channel absent from a map has no
	// switch there.
	Switches(ctx context.Context, userID string) (system, user map[string]bool, err error)
}

// MemStore is the in-memory Store.
type MemStore struct {
	mu         sync.Mutex
	payments   map[string]*entry[Payment]
	agreements map[string]*entry[AgreementRecord]
	applied    map[string]struct{}
	system     map[string]bool
	users      map[string]map[string]bool
}

type entry[T any] struct {
	mu sync.Mutex // serialises updates of this record
	v  T
}

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore {
	return &MemStore{
		payments:   map[string]*entry[Payment]{},
		agreements: map[string]*entry[AgreementRecord]{},
		applied:    map[string]struct{}{},
		system:     map[string]bool{},
		users:      map[string]map[string]bool{},
	}
}

// InsertPayment implements Store.
func (s *MemStore) InsertPayment(_ context.Context, p Payment) error {
	return insert(s, s.payments, p.ID, p.clone())
}

// Payment implements Store.
func (s *MemStore) Payment(_ context.Context, id string) (Payment, error) {
	e, err := lookup(s, s.payments, id, "payment")
	if err != nil {
		return Payment{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.v.clone(), nil
}

// UpdatePayment implements Store.
func (s *MemStore) UpdatePayment(_ context.Context, id, eventKey string, fn func(*Payment) error) (Payment, error) {
	return update(s, s.payments, id, "payment", eventKey, Payment.clone, fn)
}

// InsertAgreement implements Store.
func (s *MemStore) InsertAgreement(_ context.Context, a AgreementRecord) error {
	return insert(s, s.agreements, a.ID, a)
}

// Agreement implements Store.
func (s *MemStore) Agreement(_ context.Context, id string) (AgreementRecord, error) {
	e, err := lookup(s, s.agreements, id, "agreement")
	if err != nil {
		return AgreementRecord{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.v.clone(), nil
}

// UpdateAgreement implements Store.
func (s *MemStore) UpdateAgreement(_ context.Context, id, eventKey string, fn func(*AgreementRecord) error) (AgreementRecord, error) {
	return update(s, s.agreements, id, "agreement", eventKey, AgreementRecord.clone, fn)
}

// SetEnabled implements Store.
func (s *MemStore) SetEnabled(_ context.Context, channel string, enabled bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.system[channel] = enabled
	return nil
}

// SetUserEnabled implements Store.
func (s *MemStore) SetUserEnabled(_ context.Context, userID, channel string, enabled bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.users[userID] == nil {
		s.users[userID] = map[string]bool{}
	}
	s.users[userID][channel] = enabled
	return nil
}

// Switches implements Store.
func (s *MemStore) Switches(_ context.Context, userID string) (map[string]bool, map[string]bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var user map[string]bool
	if userID != "" {
		user = maps.Clone(s.users[userID])
	}
	return maps.Clone(s.system), user, nil
}

func insert[T any](s *MemStore, m map[string]*entry[T], id string, v T) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := m[id]; ok {
		return Errorf(ErrDuplicate, "id", "%s already exists", id)
	}
	m[id] = &entry[T]{v: v}
	return nil
}

func lookup[T any](s *MemStore, m map[string]*entry[T], id, what string) (*entry[T], error) {
	s.mu.Lock()
	e, ok := m[id]
	s.mu.Unlock()
	if !ok {
		return nil, Errorf(ErrUnknownCharge, "id", "no %s %q", what, id)
	}
	return e, nil
}

func update[T any](s *MemStore, m map[string]*entry[T], id, what, eventKey string, clone func(T) T, fn func(*T) error) (T, error) {
	var zero T
	e, err := lookup(s, m, id, what)
	if err != nil {
		return zero, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if eventKey != "" {
		s.mu.Lock()
		_, seen := s.applied[eventKey]
		s.mu.Unlock()
		if seen {
			return zero, Errorf(ErrDuplicate, "", "event already applied")
		}
	}
	v := clone(e.v)
	if err := fn(&v); err != nil {
		return zero, err
	}
	s.mu.Lock()
	e.v = v
	if eventKey != "" {
		s.applied[eventKey] = struct{}{}
	}
	s.mu.Unlock()
	return clone(v), nil
}
