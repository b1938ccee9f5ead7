package qr

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/paykit-go/paykit/pay"
)

// Terminals racing to register different keys under one key ID: exactly one
// wins, and the key set and the store agree on its key, so no stored
// terminal can settle under a key the key set doesn't hold.
func TestRegisterTerminalRace(t *testing.T) {
	for run := range 20 {
		e := h8NewEnv(t)
		const n = 32
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			won  []TerminalInfo
			lost int
		)
		start := make(chan struct{})
		for g := range n {
			s, err := GenerateSigner(7)
			if err != nil {
				t.Fatal(err)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				ti, err := e.iss.RegisterTerminal(e.ctx, fmt.Sprintf("t-%d", g), "m1", 7, s.Public())
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					won = append(won, ti)
				case errors.Is(err, pay.ErrConflict):
					lost++
				default:
					t.Error(err)
				}
			}()
		}
		close(start)
		wg.Wait()
		if len(won) != 1 || lost != n-1 {
			t.Fatalf("run %d: %d registered, %d refused; want 1 and %d", run, len(won), lost, n-1)
		}
		key, _ := e.keys.Key(7)
		if !key.Equal(won[0].PublicKey) {
			t.Fatalf("run %d: the key set holds another key than the registered terminal's", run)
		}
		for g := range n {
			id := fmt.Sprintf("t-%d", g)
			if _, err := e.iss.store.Terminal(e.ctx, id); err == nil && id != won[0].ID {
				t.Fatalf("run %d: losing terminal %s was stored", run, id)
			}
		}
	}
}
