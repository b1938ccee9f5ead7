package passwd

import (
	"context"
	"sync"
	"time"
)

// Record is what Store keeps per subject.
type Record struct {
	// PHC is the Argon2id hash in PHC string format.
	PHC string
	// Failures counts consecutive wrong attempts since the last success,
	// reset or expired lock.
	Failures int
	// LockedUntil is when the current lock ends; zero when not locked.
	LockedUntil time.Time
}

// Records persists Records by subject. Store serializes its calls for one
// subject; implementations must be safe for concurrent use across subjects.
// A backend shared by several processes must also serialize writes per
// subject (for example with a row lock), since Store's serialization is
// per process.
type Records interface {
	// Get returns the subject's record and whether it exists.
	Get(ctx context.Context, subject string) (Record, bool, error)
	// Put creates or replaces the subject's record.
	Put(ctx context.Context, subject string, r Record) error
	// Delete removes the subject's record; deleting a missing one is not
	// an error.
	Delete(ctx context.Context, subject string) error
}

// MemRecords is the in-memory Records, the default of NewStore.
type MemRecords struct {
	mu sync.Mutex
	m  map[string]Record
}

// NewMemRecords returns an empty in-memory Records.
func NewMemRecords() *MemRecords { return &MemRecords{m: make(map[string]Record)} }

// Get returns the subject's record and whether it exists.
func (m *MemRecords) Get(_ context.Context, subject string) (Record, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.m[subject]
	return r, ok, nil
}

// Put creates or replaces the subject's record.
func (m *MemRecords) Put(_ context.Context, subject string, r Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.m[subject] = r
	return nil
}

// Delete removes the subject's record.
func (m *MemRecords) Delete(_ context.Context, subject string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.m, subject)
	return nil
}
