package ledger

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/paykit-go/paykit/internal/clock"
	"github.com/paykit-go/paykit/pay"
)

// Ledger is the double-entry engine: it creates accounts and commits
// transfers between them with TigerBeetle's semantics (see the package
// documentation). Safe for concurrent use.
type Ledger struct {
	store   Store
	clock   pay.Clock
	batches sync.Pool // of *batch, so that committing a transfer allocates nothing
}

// Option configures a Ledger in New.
type Option func(*Ledger) error

// WithStore makes the Ledger keep its state in s instead of a new MemStore.
func WithStore(s Store) Option {
	return func(l *Ledger) error {
		if s == nil {
			return pay.Errorf(pay.ErrInvalidRequest, "store", "ledger store is nil")
		}
		l.store = s
		return nil
	}
}

// WithClock makes the Ledger take transfer timestamps and decide pending
// expiry by c instead of the wall clock; tests pass a *clock.Fake. A nil c is
// an error.
func WithClock(c pay.Clock) Option {
	return func(l *Ledger) error {
		if c == nil {
			return pay.Errorf(pay.ErrInvalidRequest, "clock", "ledger clock is nil")
		}
		l.clock = c
		return nil
	}
}

// New returns a Ledger. By default it keeps its state in NewMemStore() and
// tells time by clock.System{}.
func New(opts ...Option) (*Ledger, error) {
	l := &Ledger{clock: clock.System{}}
	for _, o := range opts {
		if err := o(l); err != nil {
			return nil, err
		}
	}
	if l.store == nil {
		l.store = NewMemStore()
	}
	l.batches.New = func() any {
		b := &batch{l: l}
		b.fn = b.run
		return b
	}
	return l, nil
}

// now returns the clock's time in UTC without its monotonic reading, so that
// stored times compare, print and persist as plain instants.
func (l *Ledger) now() time.Time { return l.clock.Now().Round(0).UTC() }

// CreateAccounts creates accounts, all or nothing. Creating an account that
// exists with the same Currency and Flags is a no-op, so that callers can
// "ensure" accounts; with different fields it fails with
// pay.ErrIdempotencyConflict (ErrExistsWithDifferentFields).
func (l *Ledger) CreateAccounts(ctx context.Context, accounts ...Account) error {
	prefix := func(i int) string {
		if len(accounts) == 1 {
			return ""
		}
		return "accounts[" + strconv.Itoa(i) + "]."
	}
	for i := range accounts {
		if err := validateAccount(&accounts[i], prefix(i)); err != nil {
			return err
		}
	}
	err := l.store.Update(ctx, func(tx Tx) error {
		now := l.now()
		for i, a := range accounts {
			old, ok, err := tx.Account(a.ID)
			if err != nil {
				return err
			}
			if ok {
				if old.Currency != a.Currency || old.Flags != a.Flags {
					return fail(ErrExistsWithDifferentFields, prefix(i)+"id", "account "+strconv.Quote(a.ID)+" exists with different fields")
				}
				continue
			}
			a.CreatedAt = now
			if err := tx.PutAccount(a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return storeError(err)
	}
	return nil
}

// LookupAccount returns the account with the given ID, or a pay.ErrNotFound
// error (ErrAccountNotFound).
func (l *Ledger) LookupAccount(ctx context.Context, id string) (Account, error) {
	var a Account
	var found bool
	err := l.store.View(ctx, func(tx Tx) (err error) {
		a, found, err = tx.Account(id)
		return err
	})
	if err != nil {
		return Account{}, storeError(err)
	}
	if !found {
		return Account{}, fail(ErrAccountNotFound, "id", "account not found")
	}
	return a, nil
}

// LookupTransfer returns the committed transfer with the given ID, or a
// pay.ErrNotFound error (ErrTransferNotFound); an ID whose attempts failed
// has no transfer.
func (l *Ledger) LookupTransfer(ctx context.Context, id string) (Transfer, error) {
	var r TransferRecord
	var found bool
	err := l.store.View(ctx, func(tx Tx) (err error) {
		r, found, err = tx.Transfer(id)
		return err
	})
	if err != nil {
		return Transfer{}, storeError(err)
	}
	if !found || r.Failure != nil {
		return Transfer{}, fail(ErrTransferNotFound, "id", "transfer not found")
	}
	return r.Transfer, nil
}

// Totals returns, per currency, the sums of every account's balances. In a
// consistent ledger posted debits equal posted credits and pending debits
// equal pending credits; auditors and tests check exactly that.
func (l *Ledger) Totals(ctx context.Context) (map[string]Totals, error) {
	m := make(map[string]Totals)
	err := l.store.View(ctx, func(tx Tx) error {
		return tx.ForEachAccount(func(a Account) error {
			t := m[a.Currency]
			t.DebitsPending += a.DebitsPending
			t.DebitsPosted += a.DebitsPosted
			t.CreditsPending += a.CreditsPending
			t.CreditsPosted += a.CreditsPosted
			m[a.Currency] = t
			return nil
		})
	})
	if err != nil {
		return nil, storeError(err)
	}
	return m, nil
}

// ExpirePending releases the reservation of every pending transfer whose
// timeout has passed by the ledger's clock, and returns how many it expired.
// CreateTransfer and CreateTransfers do the same before anything else, so
// calling it is only needed to release reservations while no transfers are
// being made.
func (l *Ledger) ExpirePending(ctx context.Context) (int, error) {
	var n int
	err := l.store.Update(ctx, func(tx Tx) (err error) {
		n, err = expireDue(tx, l.now().UnixNano())
		return err
	})
	if err != nil {
		return 0, storeError(err)
	}
	return n, nil
}

// CreateTransfer commits one transfer and returns it as committed (or, for
// an idempotent replay, as first committed). The Linked flag is not allowed:
// use CreateLinked or CreateTransfers for chains.
func (l *Ledger) CreateTransfer(ctx context.Context, t Transfer) (Transfer, error) {
	if t.Flags&Linked != 0 {
		return Transfer{}, fail(ErrLinkedEventChainOpen, "flags", "a single transfer cannot be linked")
	}
	b := l.batches.Get().(*batch)
	b.one[0] = t
	b.in, b.out = b.one[:], b.oneOut[:]
	err := l.store.Update(ctx, b.fn)
	r := b.oneOut[0]
	b.release()
	if err != nil {
		return Transfer{}, storeError(err)
	}
	return r.Transfer, r.Err
}

// CreateTransfers commits a batch the way TigerBeetle does: each transfer
// independently, in order, except that transfers joined by the Linked flag
// form a chain that commits all or nothing. When a chain fails, the transfer
// at fault gets the real cause and the rest of its chain
// ErrLinkedEventFailed. A chain still open at the end of the batch fails with
// ErrLinkedEventChainOpen. Results are in the order of ts.
func (l *Ledger) CreateTransfers(ctx context.Context, ts []Transfer) []Result {
	out := make([]Result, len(ts))
	if len(ts) == 0 {
		return out
	}
	b := l.batches.Get().(*batch)
	b.in, b.out = ts, out
	err := l.store.Update(ctx, b.fn)
	b.release()
	if err != nil {
		e := storeError(err)
		for i := range out {
			out[i] = Result{Err: e}
		}
	}
	return out
}

// CreateLinked commits ts as one linked chain, all or nothing: it sets the
// Linked flag on every transfer but the last. On failure it returns the real
// cause (never ErrLinkedEventFailed) and no transfers.
func (l *Ledger) CreateLinked(ctx context.Context, ts ...Transfer) ([]Transfer, error) {
	if len(ts) == 0 {
		return nil, nil
	}
	chain := make([]Transfer, len(ts))
	copy(chain, ts)
	for i := range chain {
		chain[i].Flags |= Linked
	}
	chain[len(chain)-1].Flags &^= Linked
	results := l.CreateTransfers(ctx, chain)
	var firstErr error
	for _, r := range results {
		if r.Err == nil {
			continue
		}
		if !isLinkedFailed(r.Err) {
			return nil, r.Err
		}
		if firstErr == nil {
			firstErr = r.Err
		}
	}
	if firstErr != nil {
		return nil, firstErr
	}
	for i, r := range results {
		chain[i] = r.Transfer
	}
	return chain, nil
}

func isLinkedFailed(err error) bool {
	e, ok := err.(*pay.Error)
	return ok && e.Err == ErrLinkedEventFailed
}
