package paytest

import (
	"crypto/ed25519"
	"crypto/rand"

	"github.com/paykit-go/paykit/internal/passwd"
	"github.com/paykit-go/paykit/pay/im"
)

// WithIMHybrid makes the IM payment subsystem also hold a hybrid
// (ML-KEM-768 + X25519) key, published after its X25519 key, so clients
// may seal requests with either suite.
func WithIMHybrid() Option {
	return func(c *config) error { c.imHybrid = true; return nil }
}

// setupIM builds the IM payment subsystem on the platform and the
// backend's clock, with fresh keys (an X25519 key, and a hybrid one under
// WithIMHybrid), its own payment password store and an in-memory relay
// subscribed to every subsystem key. Call it after the platform exists.
func (b *Backend) setupIM(c config) error {
	key, err := im.GenerateKey(im.SuiteX25519)
	if err != nil {
		return err
	}
	_, signer, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	passwords, err := passwd.NewStore(passwd.WithClock(c.clock))
	if err != nil {
		return err
	}
	if b.Relay, err = im.NewMemRelay(im.WithRelayClock(c.clock)); err != nil {
		return err
	}
	opts := []im.Option{im.WithClock(c.clock), im.WithPasswords(passwords), im.WithRelay(b.Relay), im.WithLogger(c.log)}
	if c.imHybrid {
		hybrid, err := im.GenerateKey(im.SuiteHybrid)
		if err != nil {
			return err
		}
		opts = append(opts, im.WithKey(hybrid))
	}
	if b.IM, err = im.NewSubsystem(b.Platform, key, signer, opts...); err != nil {
		return err
	}
	for _, k := range b.IM.Keys() {
		b.Relay.Subscribe(k.ID(), b.IM.Receive)
	}
	return nil
}
