package ledger

import (
	"context"
	"errors"
	"hash/maphash"
	"sync"
	"time"
)

// MemStore is the in-memory Store, the Ledger's default. Update applies
// writes in place and keeps an undo log (reused between transactions) to roll
// them back, so committing a transfer allocates nothing beyond the growth of
// the store itself; transfers are kept in pointer-free memory that the
// garbage collector does not scan (see memtable.go). Safe for concurrent
// use: one transaction at a time, Update or View. (A sync.RWMutex would let
// Views overlap, but its extra atomics cost more than the sub-microsecond
// critical sections they would overlap.)
//
// Strings read through a Tx may point into the store's arena: those of
// committed data never change, but a caller using a MemStore directly must
// not keep strings it read from writes that its transaction then rolled back.
type MemStore struct {
	mu sync.Mutex

	accountIdx map[string]int32 // account ID -> index into accounts
	accounts   []Account

	transfers transferTable
	arena     arena
	failures  []Failure // referenced by memRecord.failure

	expiries expiryHeap

	tx memTx // the one read-write transaction; guarded by mu
}

// NewMemStore returns an empty in-memory store.
func NewMemStore() *MemStore {
	s := &MemStore{accountIdx: make(map[string]int32)}
	s.transfers.seed = maphash.MakeSeed()
	s.tx.s = s
	return s
}

var (
	errReadOnly         = errors.New("ledger: write in a read-only transaction")
	errBadSavepoint     = errors.New("ledger: unknown savepoint")
	errRecordID         = errors.New("ledger: transfer record ID is empty or differs from its key")
	errInvalidAccountID = errors.New("ledger: account ID is empty")
)

// Update implements Store.Update: fn's writes apply in place and are undone
// from the transaction's log if fn returns an error or panics.
func (s *MemStore) Update(ctx context.Context, fn func(tx Tx) error) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tx := &s.tx
	tx.begin()
	done := false
	defer func() {
		if !done { // fn panicked
			tx.rollback(tx.base)
			tx.end()
		}
	}()
	err = fn(tx)
	if err != nil {
		tx.rollback(tx.base)
	}
	tx.end()
	done = true
	return err
}

// View implements Store.View: fn reads under the store's lock; writes
// through its Tx fail.
func (s *MemStore) View(ctx context.Context, fn func(tx Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return fn(memView{s})
}

func (s *MemStore) account(id string) (Account, bool) {
	i, ok := s.accountIdx[id]
	if !ok {
		return Account{}, false
	}
	return s.accounts[i], true
}

func (s *MemStore) forEachAccount(fn func(Account) error) error {
	for i := range s.accounts {
		if err := fn(s.accounts[i]); err != nil {
			return err
		}
	}
	return nil
}

// lookupTransfer finds the record of id; slot is where it is or would go.
func (s *MemStore) lookupTransfer(id string) (h uint64, slot int, idx int32, found bool) {
	h = s.transfers.hash(id)
	slot, found = s.transfers.find(&s.arena, id, h)
	if found {
		idx = int32(uint32(s.transfers.slots[slot]) - 1)
	}
	return h, slot, idx, found
}

// decode turns the record at idx back into a TransferRecord. Its strings
// point into the arena.
func (s *MemStore) decode(idx int32) TransferRecord {
	r := s.transfers.record(idx)
	implied := ImpliedFields(r.bits &^ recFailed)
	if r.bits&recFailed != 0 {
		f := s.failures[r.amount-1] // a copy: the slice may be truncated by a rollback
		return TransferRecord{State: r.state, Implied: implied, Failure: &f}
	}
	return TransferRecord{
		Transfer: Transfer{
			ID:              s.str(r.key),
			DebitAccountID:  s.str(r.debit),
			CreditAccountID: s.str(r.credit),
			Amount:          r.amount,
			PendingID:       s.str(r.pending),
			Timeout:         time.Duration(r.timeout),
			Flags:           r.flags,
			Code:            r.code,
			UserData:        s.str(r.userData),
			Timestamp:       decodeTime(r.ts),
		},
		State:   r.state,
		Implied: implied,
	}
}

// str returns the string r refers to.
func (s *MemStore) str(r strRef) string {
	if r&acctRefTag != 0 {
		return s.accounts[uint32(r)].ID
	}
	return s.arena.get(r)
}

func (s *MemStore) transfer(id string) (TransferRecord, bool) {
	_, _, idx, found := s.lookupTransfer(id)
	if !found {
		return TransferRecord{}, false
	}
	return s.decode(idx), true
}

// memView is a read-only transaction.
type memView struct{ s *MemStore }

func (v memView) Account(id string) (Account, bool, error) {
	a, ok := v.s.account(id)
	return a, ok, nil
}

func (v memView) Transfer(id string) (TransferRecord, bool, error) {
	r, ok := v.s.transfer(id)
	return r, ok, nil
}

func (v memView) ForEachAccount(fn func(Account) error) error   { return v.s.forEachAccount(fn) }
func (v memView) PutAccount(Account) error                      { return errReadOnly }
func (v memView) PutTransfer(string, TransferRecord) error      { return errReadOnly }
func (v memView) AddExpiry(string, int64) error                 { return errReadOnly }
func (v memView) PopExpired(int64) (string, int64, bool, error) { return "", 0, false, errReadOnly }
func (v memView) Savepoint() (int, error)                       { return 0, errReadOnly }
func (v memView) RollbackTo(int) error                          { return errReadOnly }
