package vrauth

import (
	"context"
)

// Store persists the service's records. Every Update runs fn on a copy of
// the current record while holding that record exclusively and writes the
// result only when fn returns nil, so each state change is atomic and a
// failed one leaves nothing behind. Lookups by secret go through hashes:
// the store never sees a device code, link token or terminal secret.
//
// MemStore is the in-memory implementation; a PostgreSQL store would map
// each Update to SELECT … FOR UPDATE and UPDATE in one transaction.
type Store interface {
	InsertUser(ctx context.Context, u User) error
	User(ctx context.Context, id string) (User, error)
	UpdateUser(ctx context.Context, id string, fn func(*User) error) (User, error)

	InsertTerminal(ctx context.Context, t Terminal) error
	Terminal(ctx context.Context, id string) (Terminal, error)
	// TerminalByActivation and TerminalBySecret find a terminal by the
	// SHA-256 of its activation token or cookie secret.
	TerminalByActivation(ctx context.Context, hash [32]byte) (Terminal, error)
	TerminalBySecret(ctx context.Context, hash [32]byte) (Terminal, error)
	Terminals(ctx context.Context, userID string) ([]Terminal, error)
	UpdateTerminal(ctx context.Context, id string, fn func(*Terminal) error) (Terminal, error)
	DeleteTerminal(ctx context.Context, id string) error

	// InsertAuthorization fails with ErrConflict-kind errors when its user
	// code is held by another live authorization.
	InsertAuthorization(ctx context.Context, a Authorization) error
	Authorization(ctx context.Context, id string) (Authorization, error)
	AuthorizationByDevice(ctx context.Context, hash [32]byte) (Authorization, error)
	AuthorizationByUserCode(ctx context.Context, code string) (Authorization, error)
	// AuthorizationByLink returns the authorization and the terminal a
	// link (by token hash) was sent to.
	AuthorizationByLink(ctx context.Context, hash [32]byte) (Authorization, string, error)
	AuthorizationByPayment(ctx context.Context, paymentID string) (Authorization, error)
	// PendingAuthorizations lists a user's pending authorizations.
	PendingAuthorizations(ctx context.Context, userID string) ([]Authorization, error)
	UpdateAuthorization(ctx context.Context, id string, fn func(*Authorization) error) (Authorization, error)

	InsertAgreement(ctx context.Context, g Agreement) error
	Agreement(ctx context.Context, id string) (Agreement, error)
	Agreements(ctx context.Context, userID string) ([]Agreement, error)
	UpdateAgreement(ctx context.Context, id string, fn func(*Agreement) error) (Agreement, error)
}
