package im

import (
	"context"
	"time"
)

// Store is where the payment subsystem keeps its state: the registered
// devices, each conversation's step, and the message IDs it has accepted
// (replay protection). MemStore is the in-memory default; a store on a
// shared database lets several subsystem processes serve one relay.
//
// Bills, wallets and money live in the account platform, not here; a
// conversation only remembers which bill the customer chose.
type Store interface {
	// CreateDevice stores a new device. An ID already taken is
	// pay.ErrConflict and changes nothing.
	CreateDevice(ctx context.Context, d Device) error
	// Device returns the device with the ID, or pay.ErrNotFound.
	Device(ctx context.Context, id string) (Device, error)
	// Conversation returns the conversation with the ID, or
	// pay.ErrNotFound.
	Conversation(ctx context.Context, id string) (Conversation, error)
	// UpdateConversation runs fn on the conversation with the ID (a
	// Conversation with only ID set when there is none yet), serialised
	// with every other update of that ID, and stores what fn left when fn
	// returns nil. When fn fails nothing changes and UpdateConversation
	// returns fn's error. fn must be quick: it runs under the store's lock.
	UpdateConversation(ctx context.Context, id string, fn func(c *Conversation) error) (Conversation, error)
	// Remember records that key (a sender and message ID) was accepted,
	// to be kept at least until until. It reports false, recording
	// nothing, when key is already remembered: the message is a replay.
	// Keys whose until is before now may be forgotten. Remember must be
	// atomic: of many concurrent calls with one key, exactly one returns
	// true.
	Remember(ctx context.Context, key string, now, until time.Time) (fresh bool, err error)
}
