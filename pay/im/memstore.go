package im

import (
	"context"
	"sync"
	"time"

	"github.com/paykit-go/paykit/pay"
)

// MemStore is the in-memory Store, the default of NewSubsystem. It keeps
// devices and conversations for the life of the process and forgets
// accepted message IDs once their window has passed. It is safe for
// concurrent use.
type MemStore struct {
	mu      sync.Mutex
	devices map[string]Device
	convs   map[string]Conversation
	seen    map[string]time.Time // replay key -> keep until
	swept   time.Time
}

// memSweepEvery is how often Remember drops expired replay keys.
const memSweepEvery = time.Minute

// NewMemStore returns an empty in-memory store.
func NewMemStore() *MemStore {
	return &MemStore{devices: map[string]Device{}, convs: map[string]Conversation{}, seen: map[string]time.Time{}}
}

// CreateDevice implements Store.
func (s *MemStore) CreateDevice(ctx context.Context, d Device) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.devices[d.ID]; ok {
		return pay.Errorf(pay.ErrConflict, "id", "a device with this ID is registered")
	}
	s.devices[d.ID] = d.clone()
	return nil
}

// Device implements Store.
func (s *MemStore) Device(ctx context.Context, id string) (Device, error) {
	if err := ctx.Err(); err != nil {
		return Device{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.devices[id]
	if !ok {
		return Device{}, pay.Errorf(pay.ErrNotFound, "device_id", "no such device")
	}
	return d.clone(), nil
}

// Conversation implements Store.
func (s *MemStore) Conversation(ctx context.Context, id string) (Conversation, error) {
	if err := ctx.Err(); err != nil {
		return Conversation{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.convs[id]
	if !ok {
		return Conversation{}, pay.Errorf(pay.ErrNotFound, "conversation_id", "no such conversation")
	}
	return c, nil
}

// UpdateConversation implements Store.
func (s *MemStore) UpdateConversation(ctx context.Context, id string, fn func(*Conversation) error) (Conversation, error) {
	if err := ctx.Err(); err != nil {
		return Conversation{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.convs[id]
	if !ok {
		c = Conversation{ID: id}
	}
	if err := fn(&c); err != nil {
		return Conversation{}, err
	}
	c.ID = id
	s.convs[id] = c
	return c, nil
}

// Remember implements Store.
func (s *MemStore) Remember(ctx context.Context, key string, now, until time.Time) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if now.Sub(s.swept) >= memSweepEvery {
		for k, t := range s.seen {
			if t.Before(now) {
				delete(s.seen, k)
			}
		}
		s.swept = now
	}
	if t, ok := s.seen[key]; ok && !t.Before(now) {
		return false, nil
	}
	s.seen[key] = until
	return true, nil
}

var _ Store = (*MemStore)(nil)
