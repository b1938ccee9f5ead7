package token

import (
	"context"
	"errors"
)

// Record is what a Store keeps per token: the owner's view and, sealed, the
// account behind it. A store never sees an account number in clear: it
// compares numbers by fingerprint (an HMAC under a vault key).
type Record struct {
	Token Token
	// SealedAccount is the account number under AES-256-GCM, bound to the
	// token's ID.
	SealedAccount []byte
	// AccountFingerprint and TokenFingerprint identify the account number
	// and (for numeric tokens) the token value, so the store can keep the
	// two sets of numbers disjoint.
	AccountFingerprint string
	TokenFingerprint   string
	// ConvergentKey is set on tokens issued convergently; while the token
	// isn't deleted, no other record may hold it.
	ConvergentKey string
	// UseCount is the number of uses recorded for the token, of every kind
	// and status; the next use is number UseCount+1 (see UseID).
	UseCount int64
}

// ErrTaken is what Store.Create returns when the record would break one of
// the vault's uniqueness rules; the vault draws a new token and tries again
// (or, for a convergent key, looks the holder up).
var ErrTaken = errors.New("token: value taken")

// Store persists tokens and their uses. Records are values: neither the
// vault nor a store modifies a slice inside one in place.
//
// Implementations must make Create and Update atomic, and Update serialised
// per token, because the vault's guarantees (exactly N uses of a token
// limited to N, a cryptogram accepted once) rest on them.
type Store interface {
	// Create stores a new record. It fails with ErrTaken, storing nothing,
	// when the token value is already a token, the token's fingerprint is
	// the fingerprint of a vaulted account or of another token, the account's
	// fingerprint is that of a token, or the convergent key is held.
	Create(ctx context.Context, r Record) error
	// Get returns the record with the token ID, or pay.ErrNotFound.
	Get(ctx context.Context, id string) (Record, error)
	// ByValue returns the record whose token value is value, or
	// pay.ErrNotFound.
	ByValue(ctx context.Context, value string) (Record, error)
	// ByConvergentKey returns the record holding key, or pay.ErrNotFound.
	ByConvergentKey(ctx context.Context, key string) (Record, error)
	// Update runs fn on the record with the token ID and on the use named
	// useID (a zero Use when useID is "" or names no use of this token),
	// serialised with every other Update of the token. When fn returns nil
	// the store saves the record it returned and, if the returned Use has an
	// ID, saves that use, both or neither: a new use is the token's next
	// (its ID is UseID(id, UseCount) of the returned record), an existing
	// one is replaced. A deleted record frees its convergent key. When fn
	// fails, nothing changes and Update returns fn's error.
	Update(ctx context.Context, id, useID string, fn func(Record, Use) (Record, Use, error)) (Record, error)
	// UseByID returns a use, or pay.ErrNotFound. Use IDs name their token
	// (SplitUseID).
	UseByID(ctx context.Context, useID string) (Use, error)
	// Uses lists a token's uses oldest first, starting after the use with
	// ID after ("" for the first page), at most limit of them.
	Uses(ctx context.Context, tokenID, after string, limit int) ([]Use, error)
}
