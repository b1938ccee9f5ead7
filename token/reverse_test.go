package token

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/pay"
)

// Detokenize needs both the Detokenize right and ownership; Use hands the
// account to Detokenize callers only.
func TestDetokenize(t *testing.T) {
	v, _ := h2Vault(t)
	ctx := context.Background()
	is := h2Issue(t, v, Controls{})
	id := is.Token.ID
	for _, tc := range []struct {
		c    Caller
		want *pay.Error
	}{
		{h2Requestor, ErrNotDetokenizer},
		{h2Issuer, ErrNotDetokenizer},
		{Caller{ID: "shop", Detokenize: true}, pay.ErrNotFound},
		{Caller{ID: "wallet-app", Detokenize: true}, nil},
		{Caller{ID: "bank", Issuer: true, Detokenize: true}, nil},
	} {
		typ, acct, err := v.Detokenize(ctx, tc.c, id)
		switch {
		case tc.want == nil && (err != nil || typ != AccountCard || acct != h2PAN):
			t.Errorf("%+v: Detokenize = %q, %q, %v; want the card", tc.c, typ, acct, err)
		case tc.want != nil && (!errors.Is(err, tc.want) || acct != ""):
			t.Errorf("%+v: Detokenize err = %v, account %q; want %s", tc.c, err, acct, tc.want.Code)
		}
	}
	res, err := v.Use(ctx, h2Requestor, h2Debit(is.Token.Value, 1))
	if err != nil || res.Account != "" || res.AccountType != "" {
		t.Fatalf("Use without Detokenize = %+v, %v; want no account", res, err)
	}
	res, err = v.Use(ctx, Caller{ID: "platform", Detokenize: true}, h2Debit(is.Token.Value, 1))
	if err != nil || res.Account != h2PAN || res.AccountType != AccountCard {
		t.Fatalf("Use with Detokenize = %+v, %v; want the card", res, err)
	}
	if _, err := v.Delete(ctx, h2Requestor, id); err != nil {
		t.Fatal(err)
	}
	if _, acct, err := v.Detokenize(ctx, Caller{ID: "bank", Issuer: true, Detokenize: true}, id); err != nil || acct != h2PAN {
		t.Fatalf("deleted token: Detokenize = %q, %v; want the card (deleted tokens stay traceable)", acct, err)
	}
}

// ReverseUse gives the count and amount back, once; only the acceptor and
// the token's owners may reverse; the cryptogram stays spent.
func TestReverseUse(t *testing.T) {
	v, clk := h2Vault(t)
	ctx := context.Background()
	is := h2Issue(t, v, Controls{MaxUses: 1, CumulativeLimit: h2CNY(100), RequireCryptogram: true})
	first := h2Sign(t, is, h2Debit(is.Token.Value, 100), 1)
	res, err := v.Use(ctx, h2Acceptor, first)
	if err != nil {
		t.Fatal(err)
	}
	_, err = v.Use(ctx, h2Requestor, h2Sign(t, is, h2Debit(is.Token.Value, 1), 2))
	h2WantErr(t, "use beyond max uses", err, ErrUseLimit, "token")

	for _, c := range []Caller{{ID: "other-shop"}, {ID: "other-app", Detokenize: true}, {}} {
		_, err := v.ReverseUse(ctx, c, res.Use.ID)
		if !errors.Is(err, pay.ErrNotFound) {
			t.Fatalf("reverse by %q: err = %v; want not found", c.ID, err)
		}
		_, unknown := v.ReverseUse(ctx, c, UseID(pay.NewID(PrefixToken), 1))
		if err.Error() != unknown.Error() {
			t.Fatalf("reverse by a stranger says %q, of an unknown use %q; want the same", err, unknown)
		}
	}
	// A use made by a caller without an ID belongs to no acceptor: another
	// anonymous caller may not reverse it.
	anon, err := v.Use(ctx, Caller{}, h2Debit(h2Issue(t, v, Controls{}).Token.Value, 1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.ReverseUse(ctx, Caller{}, anon.Use.ID); !errors.Is(err, pay.ErrNotFound) {
		t.Fatalf("anonymous reversal of an anonymous use: err = %v; want not found", err)
	}
	if _, err := v.ReverseUse(ctx, h2Acceptor, "tku"); !errors.Is(err, pay.ErrNotFound) {
		t.Fatalf("reverse of a malformed ID: err = %v; want not found", err)
	}

	clk.Advance(time.Minute)
	reversedAt := clk.Now()
	rev, err := v.ReverseUse(ctx, h2Acceptor, res.Use.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rev.Status != UseReversed || rev.ReversedAt == nil || !rev.ReversedAt.Equal(reversedAt) || rev.ID != res.Use.ID {
		t.Fatalf("reversed use = %+v", rev)
	}
	after := h2Snapshot(t, v, is.Token.ID)
	if after.Token.Uses != 0 || after.Token.Spent != h2CNY(0) || after.Token.LastCounter != 1 {
		t.Fatalf("after reversal: uses %d, spent %v, last counter %d; want 0, 0.00 CNY, 1", after.Token.Uses, after.Token.Spent, after.Token.LastCounter)
	}
	if len(after.Uses) != 1 || after.Uses[0].Status != UseReversed {
		t.Fatalf("uses after reversal = %+v", after.Uses)
	}

	// Idempotent: again (by each party allowed), later, nothing moves.
	clk.Advance(time.Minute)
	for _, c := range []Caller{h2Acceptor, h2Requestor, h2Issuer} {
		again, err := v.ReverseUse(ctx, c, res.Use.ID)
		if err != nil || !cmp.Equal(again, rev) {
			t.Fatalf("second reversal by %q = %+v, %v; want %+v", c.ID, again, err, rev)
		}
	}
	if d := cmp.Diff(after, h2Snapshot(t, v, is.Token.ID)); d != "" {
		t.Fatalf("second reversal changed the token:\n%s", d)
	}

	// The cryptogram stays spent; a fresh one uses the given-back use.
	_, err = v.Use(ctx, h2Requestor, first)
	h2WantErr(t, "replay after reversal", err, ErrCryptogram, "cryptogram")
	res2, err := v.Use(ctx, h2Acceptor, h2Sign(t, is, h2Debit(is.Token.Value, 100), 2))
	if err != nil {
		t.Fatalf("use after reversal: %v", err)
	}
	// The owners may reverse a use they did not make.
	for _, c := range []Caller{h2Requestor, h2Issuer} {
		if _, err := v.ReverseUse(ctx, c, res2.Use.ID); err != nil {
			t.Fatalf("reverse by owner %q: %v", c.ID, err)
		}
	}
	if tok, _ := v.Get(ctx, h2Issuer, is.Token.ID); tok.Uses != 0 || tok.Spent != h2CNY(0) {
		t.Fatalf("after owner reversal: uses %d, spent %v", tok.Uses, tok.Spent)
	}

	// A credit reversal moves no debit counter.
	if _, err := v.Use(ctx, h2Acceptor, h2Sign(t, is, h2Debit(is.Token.Value, 30), 3)); err != nil {
		t.Fatal(err)
	}
	credit := h2Sign(t, is, UseRequest{Token: is.Token.Value, Kind: UseCredit, Amount: h2CNY(7), Mode: ModeQR}, 4)
	cres, err := v.Use(ctx, h2Acceptor, credit)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.ReverseUse(ctx, h2Acceptor, cres.Use.ID); err != nil {
		t.Fatal(err)
	}
	if tok, _ := v.Get(ctx, h2Issuer, is.Token.ID); tok.Uses != 1 || tok.Spent != h2CNY(30) {
		t.Fatalf("after credit reversal: uses %d, spent %v; want 1, 0.30 CNY", tok.Uses, tok.Spent)
	}
}

// A token without a cumulative limit refuses the use that would overflow
// its spent total instead of wrapping it negative.
func TestSpentNeverOverflows(t *testing.T) {
	v, _ := h2Vault(t)
	owner := Caller{ID: "wallet-app"}
	iss, err := v.Issue(context.Background(), owner, IssueRequest{Account: "4111111111111111", AccountType: AccountCard})
	if err != nil {
		t.Fatal(err)
	}
	use := func(amount int64) error {
		_, err := v.Use(context.Background(), owner, UseRequest{Token: iss.Token.Value, Amount: pay.Money{Amount: amount, Currency: "CNY"}, MerchantID: "m", Mode: ModeEcommerce})
		return err
	}
	if err := use(math.MaxInt64 - 10); err != nil {
		t.Fatal(err)
	}
	if err := use(11); !errors.Is(err, ErrAmountLimit) {
		t.Fatalf("overflowing use err = %v; want ErrAmountLimit", err)
	}
	if err := use(10); err != nil {
		t.Fatalf("use up to the top: %v", err)
	}
	got, _ := v.Get(context.Background(), owner, iss.Token.ID)
	if got.Spent.Amount != math.MaxInt64 || got.Uses != 2 {
		t.Fatalf("spent %d uses %d", got.Spent.Amount, got.Uses)
	}
}
