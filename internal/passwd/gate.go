package passwd

import "context"

// gate is a per-subject semaphore of one. refs counts the holder and the
// waiters, so the gate leaves the map when nobody uses it.
type gate struct {
	ch   chan struct{}
	refs int
}

// acquire waits until the caller is the only one working on subject, or
// ctx ends. The returned func releases the gate.
func (s *Store) acquire(ctx context.Context, subject string) (release func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	g := s.gates[subject]
	if g == nil {
		g = &gate{ch: make(chan struct{}, 1)}
		s.gates[subject] = g
	}
	g.refs++
	s.mu.Unlock()
	select {
	case g.ch <- struct{}{}:
		return func() {
			<-g.ch
			s.drop(subject, g)
		}, nil
	case <-ctx.Done():
		s.drop(subject, g)
		return nil, ctx.Err()
	}
}

func (s *Store) drop(subject string, g *gate) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g.refs--; g.refs == 0 {
		delete(s.gates, subject)
	}
}
