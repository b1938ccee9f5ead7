package ledger

import (
	"errors"
	"hash/maphash"
	"math"
	"time"
	"unsafe"
)

// The MemStore keeps transfers in pointer-free memory so that the garbage
// collector never has to scan them, however many there are: strings are
// copied into an append-only byte arena, records are fixed-size structs of
// integers in a chunked slab, and the ID index is an open-addressing table of
// uint64s.

// strRef locates a string: in the arena as position << 24 | length, or, with
// acctRefTag set, as the ID of the account at index uint32(ref) (so that
// records do not repeat account IDs). The empty string is 0.
type strRef uint64

const acctRefTag strRef = 1 << 63

const (
	arenaChunkBits = 20
	arenaChunkSize = 1 << arenaChunkBits
	maxArenaString = 1<<24 - 1
)

var errStringTooLong = errors.New("ledger: string too long for MemStore")

// arena is an append-only store of string bytes in 1 MiB chunks; a string
// never straddles two. Bytes below pos are never modified while a string
// made from them may be reachable: the ledger only returns strings of
// committed records, and rollback only reclaims bytes written by the
// transaction being rolled back.
type arena struct {
	chunks []*[arenaChunkSize]byte
	pos    uint64 // next free position
}

func (a *arena) put(s string) (strRef, error) {
	n := uint64(len(s))
	if n == 0 {
		return 0, nil
	}
	if n > maxArenaString || n > arenaChunkSize {
		return 0, errStringTooLong
	}
	if a.pos&(arenaChunkSize-1)+n > arenaChunkSize {
		a.pos = (a.pos>>arenaChunkBits + 1) << arenaChunkBits
	}
	c := a.pos >> arenaChunkBits
	if c == uint64(len(a.chunks)) {
		a.chunks = append(a.chunks, new([arenaChunkSize]byte))
	}
	off := a.pos & (arenaChunkSize - 1)
	copy(a.chunks[c][off:], s)
	r := strRef(a.pos<<24 | n)
	a.pos += n
	return r, nil
}

func (a *arena) get(r strRef) string {
	if r == 0 {
		return ""
	}
	pos, n := uint64(r)>>24, uint64(r)&maxArenaString
	return unsafe.String(&a.chunks[pos>>arenaChunkBits][pos&(arenaChunkSize-1)], n)
}

// memRecord is a TransferRecord in pointer-free form, 72 bytes.
type memRecord struct {
	key      strRef // the transfer ID (also Transfer.ID unless failed)
	debit    strRef // usually an account reference
	credit   strRef
	pending  strRef
	userData strRef
	amount   int64 // for a failed ID: 1 + index into MemStore.failures
	timeout  int64
	ts       int64 // Timestamp as Unix nanoseconds; noTimestamp for the zero time
	flags    TransferFlags
	code     uint16
	state    PendingState
	bits     uint8 // ImpliedFields | recFailed
}

// recFailed marks a memRecord that records a failure.
const recFailed = 1 << 7

const noTimestamp = math.MinInt64

var errTimestampRange = errors.New("ledger: timestamp outside the range MemStore keeps")

// encodeTime returns t as Unix nanoseconds, or noTimestamp for the zero time.
func encodeTime(t time.Time) (int64, error) {
	if t.IsZero() {
		return noTimestamp, nil
	}
	if s := t.Unix(); s <= math.MinInt64/int64(time.Second) || s >= math.MaxInt64/int64(time.Second) {
		return 0, errTimestampRange
	}
	return t.UnixNano(), nil
}

func decodeTime(ns int64) time.Time {
	if ns == noTimestamp {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

const recordChunkSize = 1024

type recordChunk [recordChunkSize]memRecord

// transferTable is the transfer records and their ID index.
type transferTable struct {
	seed    maphash.Seed
	slots   []uint64 // 0 empty, else uint32(hash) << 32 | (record index + 1)
	n       int      // occupied slots
	records []*recordChunk
	nrec    int32
}

func (t *transferTable) hash(key string) uint64 { return maphash.String(t.seed, key) }

func (t *transferTable) record(i int32) *memRecord {
	return &t.records[i/recordChunkSize][i%recordChunkSize]
}

// find returns the slot of key (found) or the empty slot where it would go.
func (t *transferTable) find(a *arena, key string, h uint64) (slot int, found bool) {
	if len(t.slots) == 0 {
		return -1, false
	}
	mask := uint64(len(t.slots) - 1)
	tag := h & math.MaxUint32
	for p := tag & mask; ; p = (p + 1) & mask {
		s := t.slots[p]
		if s == 0 {
			return int(p), false
		}
		if s>>32 == tag && a.get(t.record(int32(uint32(s)-1)).key) == key { // keys are always in the arena
			return int(p), true
		}
	}
}

// insert appends r as a new record at the empty slot for hash h (from find,
// or -1 to find it again) and returns its index.
func (t *transferTable) insert(a *arena, key string, h uint64, slot int, r memRecord) int32 {
	if (t.n+1)*4 > len(t.slots)*3 {
		t.grow()
		slot = -1
	}
	if slot < 0 {
		slot, _ = t.find(a, key, h)
	}
	i := t.nrec
	if int(i/recordChunkSize) == len(t.records) {
		t.records = append(t.records, new(recordChunk))
	}
	*t.record(i) = r
	t.nrec++
	t.slots[slot] = (h&math.MaxUint32)<<32 | uint64(i+1)
	t.n++
	return i
}

func (t *transferTable) grow() {
	old := t.slots
	size := 2 * len(old)
	if size == 0 {
		size = 1024
	}
	t.slots = make([]uint64, size)
	mask := uint64(size - 1)
	for _, s := range old {
		if s == 0 {
			continue
		}
		p := (s >> 32) & mask
		for t.slots[p] != 0 {
			p = (p + 1) & mask
		}
		t.slots[p] = s
	}
}

// removeLast deletes the most recently inserted record (rollback is LIFO),
// closing the gap in its probe sequence by shifting later entries back.
func (t *transferTable) removeLast(a *arena) {
	i := t.nrec - 1
	r := t.record(i)
	slot, found := t.find(a, a.get(r.key), t.hash(a.get(r.key)))
	*r = memRecord{}
	t.nrec = i
	if !found {
		return
	}
	mask := len(t.slots) - 1
	t.slots[slot] = 0
	t.n--
	for j := (slot + 1) & mask; t.slots[j] != 0; j = (j + 1) & mask {
		home := int(t.slots[j]>>32) & mask
		// Move entry j into the hole if its home is not in (hole, j].
		if (j > slot && (home <= slot || home > j)) || (j < slot && home <= slot && home > j) {
			t.slots[slot], t.slots[j] = t.slots[j], 0
			slot = j
		}
	}
}
