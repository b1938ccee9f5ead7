package ledger

import "unsafe"

// memTx is MemStore's read-write transaction. Writes go straight into the
// store; what they overwrite is logged so that rollback can undo them, and
// what they append (accounts, records, arena bytes, failures) is undone by
// truncating back to a mark. The logs are reused from one transaction to the
// next and hold no pointers on the hot path.
type memTx struct {
	s *MemStore

	base        undoMark   // the state at the start of the transaction
	acctUpdated []acctUndo // accounts overwritten
	acctFull    []Account  // old values of accounts whose non-balance fields changed
	recUpdated  []recUndo  // transfer records overwritten
	heapPopped  []expiry   // expiry entries popped, to push back
	marks       []undoMark // savepoints

	// A small cache of account ID -> index, kept across transactions (an
	// account's index changes only when its creation is rolled back), so
	// that busy accounts are found without hashing and PutAccount after
	// Account does not look the ID up again.
	cacheID    [acctCacheSize]string
	cacheAlias [acctCacheSize]string // the last other string equal to cacheID
	cacheIdx   [acctCacheSize]int32
	cacheN     uint8

	// The last ID Transfer did not find, with its hash and free slot, so
	// that PutTransfer of that ID inserts without probing again. Any insert
	// or rollback invalidates it.
	missID    string
	missHash  uint64
	missSlot  int
	missValid bool
}

const acctCacheSize = 4

type acctUndo struct {
	idx  int32
	full int32    // index into acctFull, or -1 when only balances changed
	bal  [4]int64 // old DebitsPending, DebitsPosted, CreditsPending, CreditsPosted
}

type recUndo struct {
	idx int32
	old memRecord
}

// undoMark is the extent of the store and of each log at a savepoint.
type undoMark struct {
	naccts, acctU, acctFull int
	nrec                    int32
	recU                    int
	arena                   uint64
	failures, heap          int
}

func (tx *memTx) mark() undoMark {
	s := tx.s
	return undoMark{
		len(s.accounts), len(tx.acctUpdated), len(tx.acctFull),
		s.transfers.nrec, len(tx.recUpdated),
		s.arena.pos, len(s.failures), len(tx.heapPopped),
	}
}

func (tx *memTx) begin() { tx.base = tx.mark() }

// end empties the logs, keeping their capacity, and forgets the last miss.
// (The account cache stays valid across transactions.)
func (tx *memTx) end() {
	clear(tx.acctFull) // drop references to old strings
	clear(tx.heapPopped)
	tx.acctUpdated = tx.acctUpdated[:0]
	tx.acctFull = tx.acctFull[:0]
	tx.recUpdated = tx.recUpdated[:0]
	tx.heapPopped = tx.heapPopped[:0]
	tx.marks = tx.marks[:0]
	tx.missID, tx.missValid = "", false
}

func (tx *memTx) dropCaches() {
	tx.cacheID, tx.cacheAlias = [acctCacheSize]string{}, [acctCacheSize]string{}
	tx.missID, tx.missValid = "", false
}

// cachedAccount returns the index of account id if the cache has it. It
// first looks for the very same string (a pointer comparison, no call),
// then compares bytes.
func (tx *memTx) cachedAccount(id string) (int32, bool) {
	if id == "" {
		return 0, false
	}
	p := unsafe.StringData(id)
	for k := range tx.cacheID {
		if (unsafe.StringData(tx.cacheID[k]) == p && len(tx.cacheID[k]) == len(id)) ||
			(unsafe.StringData(tx.cacheAlias[k]) == p && len(tx.cacheAlias[k]) == len(id)) {
			return tx.cacheIdx[k], true
		}
	}
	for k := range tx.cacheID {
		if tx.cacheID[k] == id {
			tx.cacheAlias[k] = id
			return tx.cacheIdx[k], true
		}
	}
	return 0, false
}

// rollback undoes every write made after m: overwrites newest first, then
// appends by truncation (so an entity appended and then overwritten inside
// the range is first restored, then removed).
func (tx *memTx) rollback(m undoMark) {
	s := tx.s
	for i := len(tx.acctUpdated) - 1; i >= m.acctU; i-- {
		u := &tx.acctUpdated[i]
		a := &s.accounts[u.idx]
		if u.full >= 0 {
			*a = tx.acctFull[u.full]
		}
		a.DebitsPending, a.DebitsPosted, a.CreditsPending, a.CreditsPosted = u.bal[0], u.bal[1], u.bal[2], u.bal[3]
	}
	tx.acctUpdated = tx.acctUpdated[:m.acctU]
	clear(tx.acctFull[m.acctFull:])
	tx.acctFull = tx.acctFull[:m.acctFull]
	for i := len(s.accounts) - 1; i >= m.naccts; i-- {
		delete(s.accountIdx, s.accounts[i].ID)
		s.accounts[i] = Account{}
	}
	s.accounts = s.accounts[:m.naccts]

	for i := len(tx.recUpdated) - 1; i >= m.recU; i-- {
		u := &tx.recUpdated[i]
		*s.transfers.record(u.idx) = u.old
	}
	tx.recUpdated = tx.recUpdated[:m.recU]
	for s.transfers.nrec > m.nrec {
		s.transfers.removeLast(&s.arena) // before the arena is truncated: it reads the key
	}
	s.arena.pos = m.arena
	clear(s.failures[m.failures:])
	s.failures = s.failures[:m.failures]

	for i := len(tx.heapPopped) - 1; i >= m.heap; i-- {
		s.expiries.push(tx.heapPopped[i])
		tx.heapPopped[i] = expiry{}
	}
	tx.heapPopped = tx.heapPopped[:m.heap]
	tx.dropCaches()
}

func (tx *memTx) Account(id string) (Account, bool, error) {
	s := tx.s
	if i, ok := tx.cachedAccount(id); ok {
		return s.accounts[i], true, nil
	}
	i, ok := s.accountIdx[id]
	if !ok {
		return Account{}, false, nil
	}
	a := s.accounts[i]
	n := tx.cacheN % acctCacheSize
	tx.cacheID[n], tx.cacheAlias[n], tx.cacheIdx[n] = a.ID, id, i
	tx.cacheN++
	return a, true, nil
}

func (tx *memTx) PutAccount(a Account) error {
	s := tx.s
	if a.ID == "" {
		return errInvalidAccountID
	}
	i, ok := tx.cachedAccount(a.ID)
	if !ok {
		if i, ok = s.accountIdx[a.ID]; !ok {
			s.accountIdx[a.ID] = int32(len(s.accounts))
			s.accounts = append(s.accounts, a)
			return nil
		}
	}
	old := &s.accounts[i]
	u := acctUndo{idx: i, full: -1, bal: [4]int64{old.DebitsPending, old.DebitsPosted, old.CreditsPending, old.CreditsPosted}}
	if old.ID == a.ID && old.Currency == a.Currency && old.Flags == a.Flags && old.CreatedAt == a.CreatedAt {
		// The usual case: write the balances only (no pointers, no write barriers).
		old.DebitsPending, old.DebitsPosted, old.CreditsPending, old.CreditsPosted = a.DebitsPending, a.DebitsPosted, a.CreditsPending, a.CreditsPosted
	} else {
		u.full = int32(len(tx.acctFull))
		tx.acctFull = append(tx.acctFull, *old)
		*old = a
	}
	tx.acctUpdated = append(tx.acctUpdated, u)
	return nil
}

func (tx *memTx) ForEachAccount(fn func(Account) error) error { return tx.s.forEachAccount(fn) }

func (tx *memTx) Transfer(id string) (TransferRecord, bool, error) {
	s := tx.s
	h, slot, idx, found := s.lookupTransfer(id)
	if !found {
		tx.missID, tx.missHash, tx.missSlot, tx.missValid = id, h, slot, true
		return TransferRecord{}, false, nil
	}
	return s.decode(idx), true, nil
}

func (tx *memTx) PutTransfer(id string, r TransferRecord) error {
	s := tx.s
	if id == "" || (r.Failure == nil && r.Transfer.ID != id) {
		return errRecordID
	}
	var (
		h     uint64
		slot  int
		idx   int32
		found bool
	)
	if tx.missValid && tx.missID == id {
		h, slot = tx.missHash, tx.missSlot
	} else {
		h, slot, idx, found = s.lookupTransfer(id)
	}
	tx.missID, tx.missValid = "", false
	if found {
		old := s.transfers.record(idx)
		tx.recUpdated = append(tx.recUpdated, recUndo{idx, *old})
		m, err := tx.encode(id, &r, old)
		if err != nil {
			return err
		}
		*old = m
		return nil
	}
	m, err := tx.encode(id, &r, &memRecord{})
	if err != nil {
		return err
	}
	s.transfers.insert(&s.arena, id, h, slot, m)
	return nil
}

// encode turns r into a memRecord, reusing old's strings where equal.
func (tx *memTx) encode(id string, r *TransferRecord, old *memRecord) (m memRecord, err error) {
	s := tx.s
	m.state, m.bits = r.State, uint8(r.Implied)&^recFailed
	if m.key = old.key; s.arena.get(old.key) != id {
		if m.key, err = s.arena.put(id); err != nil {
			return m, err
		}
	}
	if r.Failure != nil {
		s.failures = append(s.failures, *r.Failure)
		m.bits |= recFailed
		m.amount = int64(len(s.failures))
		m.ts = noTimestamp
		return m, nil
	}
	t := &r.Transfer
	if m.debit, err = tx.ref(old.debit, t.DebitAccountID, true); err != nil {
		return m, err
	}
	if m.credit, err = tx.ref(old.credit, t.CreditAccountID, true); err != nil {
		return m, err
	}
	if m.pending, err = tx.ref(old.pending, t.PendingID, false); err != nil {
		return m, err
	}
	if m.userData, err = tx.ref(old.userData, t.UserData, false); err != nil {
		return m, err
	}
	if m.ts, err = encodeTime(t.Timestamp); err != nil {
		return m, err
	}
	m.amount, m.timeout, m.flags, m.code = t.Amount, int64(t.Timeout), t.Flags, t.Code
	return m, nil
}

// ref returns a reference to v: old if it already refers to v, else the
// account whose ID v is when account and the account cache knows it, else
// a copy of v in the arena.
func (tx *memTx) ref(old strRef, v string, account bool) (strRef, error) {
	s := tx.s
	if s.str(old) == v {
		return old, nil
	}
	if account {
		if i, ok := tx.cachedAccount(v); ok {
			return acctRefTag | strRef(uint32(i)), nil
		}
	}
	return s.arena.put(v)
}

func (tx *memTx) AddExpiry(id string, deadline int64) error {
	// Not logged: an entry left behind by a rollback is harmless (see
	// Tx.PopExpired).
	tx.s.expiries.push(expiry{deadline, id})
	return nil
}

func (tx *memTx) PopExpired(now int64) (string, int64, bool, error) {
	h := &tx.s.expiries
	if len(*h) == 0 || (*h)[0].deadline > now {
		return "", 0, false, nil
	}
	e := h.pop()
	tx.heapPopped = append(tx.heapPopped, e)
	return e.id, e.deadline, true, nil
}

func (tx *memTx) Savepoint() (int, error) {
	tx.marks = append(tx.marks, tx.mark())
	return len(tx.marks) - 1, nil
}

func (tx *memTx) RollbackTo(sp int) error {
	if sp < 0 || sp >= len(tx.marks) {
		return errBadSavepoint
	}
	tx.rollback(tx.marks[sp])
	tx.marks = tx.marks[:sp]
	return nil
}
