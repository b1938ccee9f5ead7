package qr_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/qr"
)

// An issuer signs a card into QR text; a POS that trusts the issuer's key
// decodes it, and refuses it once it has expired.
func Example_card() {
	ctx := context.Background()
	// A fixed key for a reproducible example; GenerateSigner draws one from
	// crypto/rand, and production keys live in a secure element.
	signer, err := qr.NewSoftwareSigner(1, ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32)))
	if err != nil {
		panic(err)
	}
	keys := qr.NewKeySet()
	if err := keys.Add(signer.KeyID(), signer.Public()); err != nil {
		panic(err)
	}

	issued := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	card := qr.Card{
		ID:        "svc_aaaqeayeaudao",
		Holder:    "Li Xiaoming 0042",
		Token:     "6250941006528599966", // a payment token, never the account number
		Balance:   pay.Money{Amount: 9_999_999, Currency: "CNY"},
		Uses:      50,
		NotBefore: issued,
		Expires:   issued.AddDate(1, 0, 0),
		Seq:       10_000,
	}
	text, err := qr.Encode(ctx, card, signer)
	if err != nil {
		panic(err)
	}
	fmt.Println("QR text:", len(text), "alphanumeric characters")

	got, err := qr.Decode(text, keys, issued.AddDate(0, 6, 0))
	if err != nil {
		panic(err)
	}
	fmt.Println(got.Holder, got.Balance, got.Uses, "uses, seq", got.Seq, "key", got.KeyID)

	_, err = qr.Decode(text, keys, issued.AddDate(2, 0, 0))
	fmt.Println(errors.Is(err, qr.ErrCardExpired), err)
	// Output:
	// QR text: 176 alphanumeric characters
	// Li Xiaoming 0042 99999.99 CNY 50 uses, seq 10000 key 1
	// true paykit: card_expired: the card expired at 2027-01-01T00:00:00Z (param expires)
}
