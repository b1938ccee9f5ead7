package token_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/token"
)

// A card token limited to one use of at most 50.00 CNY at one merchant. The
// merchant learns only that a refused use was declined; the token's owner
// learns why.
func ExampleVault_Use() {
	ctx := context.Background()
	v, err := token.New(bytes.Repeat([]byte{1}, 32)) // a real master key is 32 random bytes, kept secret
	if err != nil {
		panic(err)
	}
	app := token.Caller{ID: "wallet-app"} // the token requestor, which owns the token
	shop := token.Caller{ID: "coffee-shop"}

	issued, err := v.Issue(ctx, app, token.IssueRequest{
		Account: "4111111111111111", AccountType: token.AccountCard,
		Controls: token.Controls{MaxUses: 1, PerUseLimit: pay.Money{Amount: 50_00, Currency: "CNY"}, Merchants: []string{"coffee-shop"}},
	})
	if err != nil {
		panic(err)
	}
	tok := issued.Token
	fmt.Println(tok.Format, len(tok.Value), v.BINRange().Holds(tok.Value), tok.AccountLast4)

	use := token.UseRequest{Token: tok.Value, Amount: pay.Money{Amount: 12_00, Currency: "CNY"}, MerchantID: "coffee-shop", Mode: token.ModeQR}
	res, err := v.Use(ctx, shop, use)
	fmt.Println(res.Use.Status, res.Use.Amount, res.Account == "", err)

	_, err = v.Use(ctx, shop, use)
	fmt.Println(err)
	_, err = v.Use(ctx, app, use)
	fmt.Println(err)
	// Output:
	// numeric 16 true 1111
	// approved 12.00 CNY true <nil>
	// paykit: token_declined: the token was declined
	// paykit: token_use_limit: the token's 1 uses are spent (param token)
}

// A contactless credential: a wallet token bound to a phone, presented
// contactless with a fresh cryptogram per tap. A replayed tap is refused.
func ExampleVault_Provision() {
	ctx := context.Background()
	v, err := token.New(bytes.Repeat([]byte{2}, 32))
	if err != nil {
		panic(err)
	}
	app := token.Caller{ID: "wallet-app"}
	issued, err := v.Provision(ctx, app, token.ProvisionRequest{WalletID: "wal_alice", DeviceID: "phone-1"})
	if err != nil {
		panic(err)
	}
	ctl := issued.Token.Controls
	fmt.Println(ctl.DeviceID, ctl.Modes, ctl.RequireCryptogram)

	// The phone keeps the credential; a tap at the canteen's terminal.
	cred, err := issued.DeviceCredential()
	if err != nil {
		panic(err)
	}
	amount := pay.Money{Amount: 8_00, Currency: "CNY"}
	tap, err := cred.Present(amount, "canteen", []byte{0x1f, 0x2e, 0x3d, 0x4c})
	if err != nil {
		panic(err)
	}
	// The platform behind the terminal may detokenize: it needs the wallet.
	platform := token.Caller{ID: "account-platform", Detokenize: true}
	use := token.UseRequest{
		Token: tap.Token, Amount: amount, MerchantID: "canteen", TerminalID: "pos-7",
		DeviceID: tap.DeviceID, Mode: token.ModeContactless, Cryptogram: tap.Cryptogram,
	}
	res, err := v.Use(ctx, platform, use)
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Use.Status, res.Use.Counter, res.AccountType, res.Account)

	_, err = v.Use(ctx, platform, use) // the same tap again
	fmt.Println(err)
	_, err = v.Use(ctx, app, use) // as the owner sees it
	fmt.Println(errors.Is(err, token.ErrCryptogram))
	// Output:
	// phone-1 [contactless] true
	// approved 1 wallet wal_alice
	// paykit: token_declined: the token was declined
	// true
}

// A device computes a cryptogram with the key it received at issue; the
// vault accepts it once, for that amount and merchant only.
func ExampleNewCryptogram() {
	ctx := context.Background()
	v, err := token.New(bytes.Repeat([]byte{3}, 32))
	if err != nil {
		panic(err)
	}
	app := token.Caller{ID: "wallet-app"}
	issued, err := v.Issue(ctx, app, token.IssueRequest{
		Account: "5555555555554444", AccountType: token.AccountCard,
		Controls: token.Controls{RequireCryptogram: true},
	})
	if err != nil {
		panic(err)
	}
	amount := pay.Money{Amount: 99_00, Currency: "CNY"}
	cg, err := token.NewCryptogram(issued.Key, token.CryptogramInput{
		Token: issued.Token.Value, Amount: amount, MerchantID: "bookshop", Counter: 1, Nonce: []byte{9, 8, 7, 6},
	})
	if err != nil {
		panic(err)
	}
	parsed, _ := token.ParseCryptogram(cg)
	fmt.Println(len(cg), parsed.Counter, parsed.Nonce)

	use := token.UseRequest{Token: issued.Token.Value, Amount: amount, MerchantID: "bookshop", Mode: token.ModeInApp, Cryptogram: cg}
	altered := use
	altered.Amount.Amount = 9_00
	_, err = v.Use(ctx, app, altered)
	fmt.Println(err)
	_, err = v.Use(ctx, app, use)
	fmt.Println(err)
	_, err = v.Use(ctx, app, use)
	fmt.Println(err)
	// Output:
	// 35 1 [9 8 7 6]
	// paykit: token_cryptogram_invalid: the cryptogram does not match this token, amount and merchant (param cryptogram)
	// <nil>
	// paykit: token_cryptogram_invalid: the cryptogram was already used (counter not above 1) (param cryptogram)
}

// A token BIN range: numeric tokens fall inside it, and the vault refuses
// to hold an account number inside it, so no token equals an account.
func ExampleBINRange() {
	r := token.BINRange{Start: "88880000", End: "88889999", Length: 19}
	fmt.Println(r.Validate())
	fmt.Println(r.Contains("8888123412341234"), r.Contains("4111111111111111"))

	ctx := context.Background()
	v, err := token.New(bytes.Repeat([]byte{4}, 32), token.WithBINRange(r))
	if err != nil {
		panic(err)
	}
	app := token.Caller{ID: "wallet-app"}
	issued, err := v.Issue(ctx, app, token.IssueRequest{Account: "4111111111111111", AccountType: token.AccountCard})
	if err != nil {
		panic(err)
	}
	t := issued.Token.Value
	fmt.Println(len(t), t[:4], r.Holds(t), token.LuhnValid(t))

	_, err = v.Issue(ctx, app, token.IssueRequest{Account: "8888123412341232", AccountType: token.AccountCard})
	fmt.Println(errors.Is(err, token.ErrTokenRange))
	fmt.Println(token.BINRange{Start: "88880000", End: "88889999", Length: 12}.Validate())
	// Output:
	// <nil>
	// true false
	// 19 8888 true true
	// true
	// token: numeric tokens have 16 to 19 digits
}
