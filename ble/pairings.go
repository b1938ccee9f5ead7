package ble

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/paykit-go/paykit/pay"
)

// HostPairing is the host's side of a confirmed pairing, as a PairingStore
// keeps it. Its keys print as [REDACTED].
type HostPairing struct {
	// Pairing is the number receipts under the pairing carry (never 0).
	Pairing uint16
	// HandheldID names the paired handheld.
	HandheldID string
	// ReceiptKey verifies the handheld's receipts; AckKey authenticates
	// the host's acks.
	ReceiptKey Key
	AckKey     Key
	// LastCounter is the highest receipt counter accepted (0 before the
	// first receipt). Receipts at or below it are replays.
	LastCounter uint64
	// Revoked pairings keep their number, so it is never reused, and their
	// receipts are refused.
	Revoked bool
	// Created is when the merchant confirmed the pairing.
	Created time.Time
}

// LogValue describes the pairing to log/slog without its keys (slog's
// JSON handler would otherwise marshal them).
func (p HostPairing) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Int("pairing", int(p.Pairing)), slog.String("handheld_id", p.HandheldID),
		slog.Uint64("last_counter", p.LastCounter), slog.Bool("revoked", p.Revoked))
}

// PairingStore keeps a host's pairings. Implementations must be safe for
// concurrent use and must return copies: a caller changing a returned
// HostPairing (or its keys) changes nothing stored. MemPairings is the
// in-memory one; a host that must survive restarts without pairing again
// stores them durably (the keys encrypted at rest).
type PairingStore interface {
	// Add stores a new pairing. It fails with pay.ErrConflict when the
	// number is taken (revoked pairings keep theirs).
	Add(ctx context.Context, p HostPairing) error
	// Get returns the pairing with the number; ErrUnknownPairing if none.
	Get(ctx context.Context, pairing uint16) (HostPairing, error)
	// Advance records counter as the pairing's LastCounter. It fails with
	// ErrReplay unless counter is above LastCounter, ErrRevoked when the
	// pairing is revoked, ErrUnknownPairing when there is none; on error
	// nothing changes.
	Advance(ctx context.Context, pairing uint16, counter uint64) error
	// Revoke marks the pairing revoked, for good; ErrUnknownPairing if
	// none. Revoking a revoked pairing is not an error.
	Revoke(ctx context.Context, pairing uint16) error
}

// MemPairings is the in-memory PairingStore, safe for concurrent use.
type MemPairings struct {
	mu sync.RWMutex
	m  map[uint16]HostPairing
}

// NewMemPairings returns an empty in-memory store.
func NewMemPairings() *MemPairings { return &MemPairings{m: map[uint16]HostPairing{}} }

// Add implements PairingStore.
func (s *MemPairings) Add(_ context.Context, p HostPairing) error {
	if p.Pairing == 0 {
		return pay.Errorf(pay.ErrInvalidRequest, "pairing", "pairing number 0 is never assigned")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[p.Pairing]; ok {
		return pay.Errorf(pay.ErrConflict, "pairing", "pairing %d exists", p.Pairing)
	}
	s.m[p.Pairing] = clonePairing(p)
	return nil
}

// Get implements PairingStore.
func (s *MemPairings) Get(_ context.Context, pairing uint16) (HostPairing, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, ok := s.m[pairing]
	if !ok {
		return HostPairing{}, pay.Errorf(ErrUnknownPairing, "pairing", "no pairing %d", pairing)
	}
	return clonePairing(p), nil
}

// Advance implements PairingStore.
func (s *MemPairings) Advance(_ context.Context, pairing uint16, counter uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.m[pairing]
	switch {
	case !ok:
		return pay.Errorf(ErrUnknownPairing, "pairing", "no pairing %d", pairing)
	case p.Revoked:
		return pay.Errorf(ErrRevoked, "pairing", "pairing %d was revoked", pairing)
	case counter <= p.LastCounter:
		return pay.Errorf(ErrReplay, "counter", "counter %d is not above the last accepted, %d", counter, p.LastCounter)
	}
	p.LastCounter = counter
	s.m[pairing] = p
	return nil
}

// Revoke implements PairingStore.
func (s *MemPairings) Revoke(_ context.Context, pairing uint16) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.m[pairing]
	if !ok {
		return pay.Errorf(ErrUnknownPairing, "pairing", "no pairing %d", pairing)
	}
	p.Revoked = true
	s.m[pairing] = p
	return nil
}

// clonePairing copies p with its own key slices.
func clonePairing(p HostPairing) HostPairing {
	p.ReceiptKey = Key(append([]byte(nil), p.ReceiptKey...))
	p.AckKey = Key(append([]byte(nil), p.AckKey...))
	return p
}
