package token

import (
	"context"
	"errors"
	"log/slog"
	"sync"

	"github.com/paykit-go/paykit/internal/clock"
	"github.com/paykit-go/paykit/pay"
)

// Vault is the token engine: it issues tokens, checks every domain control
// on each use and records the use atomically with the token's counters,
// and runs the token lifecycle. It keeps account numbers sealed under keys
// derived from its master key and never puts one in an error or a log.
type Vault struct {
	keys       *keys
	store      Store
	clock      pay.Clock
	log        *slog.Logger
	bins       BINRange
	convergent bool
	check      AccountCheck
	macs       sync.Map // token ID -> *sync.Pool of HMACs keyed with the token's cryptogram key; dropped on delete

	genMu sync.Mutex
	gen   *generator
}

// AccountCheck lets the vault ask the system of record whether an account
// exists before tokenizing it (the account platform, for wallets).
type AccountCheck func(ctx context.Context, t AccountType, account string) error

// Option configures a Vault.
type Option func(*Vault) error

// WithStore persists tokens in s (default: a MemStore).
func WithStore(s Store) Option {
	return func(v *Vault) error {
		if s == nil {
			return errors.New("token: nil store")
		}
		v.store = s
		return nil
	}
}

// WithClock sets the clock validity windows are judged by.
func WithClock(c pay.Clock) Option {
	return func(v *Vault) error {
		if c == nil {
			return errors.New("token: nil clock")
		}
		v.clock = c
		return nil
	}
}

// WithBINRange sets the range numeric tokens are drawn from (default
// DefaultBINRange).
func WithBINRange(r BINRange) Option {
	return func(v *Vault) error {
		g, err := newGenerator(r)
		if err != nil {
			return err
		}
		v.bins, v.gen = r, g
		return nil
	}
}

// WithConvergentIssue makes issue convergent: the same account issued to
// the same requestor for the same domain gets the token it already has
// (unless that token was deleted). Off by default, so each issue is a new
// token that can be controlled and deleted on its own.
func WithConvergentIssue() Option {
	return func(v *Vault) error { v.convergent = true; return nil }
}

// WithLogger logs refusals and lifecycle changes by token ID (never by
// token value or account number). Default: discard.
func WithLogger(l *slog.Logger) Option {
	return func(v *Vault) error {
		if l == nil {
			return errors.New("token: nil logger")
		}
		v.log = l
		return nil
	}
}

// WithAccountCheck makes Issue confirm the account exists first.
func WithAccountCheck(f AccountCheck) Option {
	return func(v *Vault) error {
		if f == nil {
			return errors.New("token: nil account check")
		}
		v.check = f
		return nil
	}
}

// New returns a vault whose keys derive from master (at least 32 random
// bytes, kept secret: whoever has it can open every account and forge
// cryptograms).
func New(master []byte, opts ...Option) (*Vault, error) {
	k, err := newKeys(master)
	if err != nil {
		return nil, err
	}
	v := &Vault{keys: k, clock: clock.System{}, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		if err := o(v); err != nil {
			return nil, err
		}
	}
	if v.gen == nil {
		v.bins = DefaultBINRange
		v.gen, _ = newGenerator(DefaultBINRange)
	}
	if v.store == nil {
		v.store = NewMemStore()
	}
	return v, nil
}

// BINRange is the range the vault draws numeric tokens from.
func (v *Vault) BINRange() BINRange { return v.bins }

// owns reports whether c owns t: the issuer owns every token, a requestor
// the tokens issued to it.
func owns(c Caller, t *Token) bool {
	return c.Issuer || (t != nil && c.ID != "" && c.ID == t.RequestorID)
}

// refuse is the error a caller sees for a refusal: the owner sees e, anyone
// else ErrDeclined, whatever the reason.
func (v *Vault) refuse(ctx context.Context, c Caller, t *Token, e error) error {
	var pe *pay.Error
	if !errors.As(e, &pe) {
		return e // not a refusal: a store failure
	}
	id := ""
	if t != nil {
		id = t.ID
	}
	v.log.InfoContext(ctx, "token refused", "token_id", id, "code", pe.Code, "param", pe.Param, "caller", c.ID)
	if owns(c, t) {
		return e
	}
	return pay.Errorf(ErrDeclined, "", "the token was declined")
}

// verify reports whether c is the cryptogram of in under the token's key,
// with a pooled HMAC keyed once per token. Keys are derived once per token
// and kept in memory, as a hardware vault keeps them in its key store.
func (v *Vault) verify(tokenID string, c Cryptogram, in CryptogramInput) bool {
	p, ok := v.macs.Load(tokenID)
	if !ok {
		key := deriveKey(v.keys.master, tokenID)
		p, _ = v.macs.LoadOrStore(tokenID, &sync.Pool{New: func() any { return newMACState(key) }})
	}
	pool := p.(*sync.Pool)
	h := pool.Get().(*macState)
	ok = c.verify(h, in)
	pool.Put(h)
	return ok
}

// newNumeric draws a numeric token.
func (v *Vault) newNumeric() string {
	v.genMu.Lock()
	defer v.genMu.Unlock()
	return v.gen.next()
}
