package account

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/internal/clock"
	"github.com/paykit-go/paykit/pay"
)

var cny = func(a int64) pay.Money { return pay.Money{Amount: a, Currency: "CNY"} }

// fixture is a platform with one merchant, one biller and one customer
// holding a CNY wallet with 100.00 CNY.
type fixture struct {
	p            *Platform
	clock        *clock.Fake
	shop, biller Merchant
	cus          Customer
	wallet       Wallet
}

func newFixture(t *testing.T, opts ...Option) fixture {
	t.Helper()
	ctx := context.Background()
	clk := clock.NewFake(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC))
	opts = append([]Option{WithClock(clk), WithPointsRule(PointsRule{Currency: "CNY", Every: 100, Points: 1})}, opts...)
	p, err := New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	f := fixture{p: p, clock: clk}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	f.shop, err = p.CreateMerchant(ctx, "Shop")
	must(err)
	f.biller, err = p.CreateMerchant(ctx, "Utility")
	must(err)
	f.cus, err = p.CreateCustomer(ctx, "Li Lei", "+8613800138000")
	must(err)
	f.wallet, err = p.OpenWallet(ctx, f.cus.ID, "CNY")
	must(err)
	_, err = p.TopUp(ctx, TopUpRequest{WalletID: f.wallet.ID, Amount: cny(100_00), Source: SourceMachine, TerminalID: "kiosk-1"})
	must(err)
	return f
}

// snapshot is every balance a failed request must leave alone.
type snapshot struct {
	Wallet, Available, Shop int64
	Points                  int64
	Outstanding             int
	Totals                  any
}

func (f fixture) snap(t *testing.T) snapshot {
	t.Helper()
	ctx := context.Background()
	w, err := f.p.Wallet(ctx, f.wallet.ID)
	if err != nil {
		t.Fatal(err)
	}
	shop, _ := f.p.MerchantBalance(ctx, f.shop.ID, "CNY")
	pts, _ := f.p.Points(ctx, f.cus.ID)
	bills, _ := f.p.Bills(ctx, f.cus.ID, BillOutstanding)
	totals, err := f.p.Ledger().Totals(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for unit, v := range totals {
		if v.DebitsPosted != v.CreditsPosted || v.DebitsPending != v.CreditsPending {
			t.Fatalf("ledger unbalanced in %s: %+v", unit, v)
		}
	}
	return snapshot{w.Balance.Amount, w.Available.Amount, shop.Amount, pts.Points, len(bills), totals}
}

func TestTopUpConsumeEarnRedeem(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	txn, err := f.p.Consume(ctx, ConsumeRequest{WalletID: f.wallet.ID, MerchantID: f.shop.ID, Amount: cny(12_99), TerminalID: "pos-7"})
	if err != nil {
		t.Fatal(err)
	}
	if txn.Points != 12 || *txn.WalletAfter != cny(87_01) || *txn.PointsAfter != 12 {
		t.Fatalf("consumption = %+v", txn)
	}
	got := f.snap(t)
	if got.Wallet != 87_01 || got.Shop != 12_99 || got.Points != 12 {
		t.Fatalf("after consumption: %+v", got)
	}
	red, err := f.p.RedeemPoints(ctx, f.cus.ID, RedeemRequest{Points: 10, Reference: "mug"})
	if err != nil || red.Points != 10 || *red.PointsAfter != 2 {
		t.Fatalf("redeem = %+v, %v", red, err)
	}
	if _, err := f.p.RedeemPoints(ctx, f.cus.ID, RedeemRequest{Points: 3}); !errors.Is(err, pay.ErrInsufficientFunds) {
		t.Fatalf("over-redeem err = %v", err)
	}
	txns, err := f.p.Transactions(ctx, f.wallet.ID)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []TransactionKind
	for _, x := range txns {
		kinds = append(kinds, x.Kind)
	}
	if diff := cmp.Diff([]TransactionKind{KindTopUp, KindConsumption}, kinds); diff != "" {
		t.Fatalf("wallet transactions (-want +got):\n%s", diff)
	}
}

func TestBillPaidAndCleared(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	b, err := f.p.CreateBill(ctx, CreateBillRequest{CustomerID: f.cus.ID, MerchantID: f.biller.ID, Amount: cny(35_00), Description: "Water"})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := f.p.Bills(ctx, f.cus.ID, BillOutstanding)
	if len(out) != 1 || out[0].ID != b.ID {
		t.Fatalf("outstanding = %+v", out)
	}
	paid, err := f.p.PayBill(ctx, b.ID, f.wallet.ID)
	if err != nil {
		t.Fatal(err)
	}
	if paid.Status != BillPaid || paid.PaidAt == nil || paid.TransactionID == "" {
		t.Fatalf("paid bill = %+v", paid)
	}
	if out, _ := f.p.Bills(ctx, f.cus.ID, BillOutstanding); len(out) != 0 {
		t.Fatalf("still outstanding: %+v", out)
	}
	if bal, _ := f.p.MerchantBalance(ctx, f.biller.ID, "CNY"); bal != cny(35_00) {
		t.Fatalf("biller balance = %v", bal)
	}
	before := f.snap(t)
	if _, err := f.p.PayBill(ctx, b.ID, f.wallet.ID); !errors.Is(err, pay.ErrConflict) {
		t.Fatalf("second payment err = %v", err)
	}
	if diff := cmp.Diff(before, f.snap(t)); diff != "" {
		t.Fatalf("second payment changed state:\n%s", diff)
	}
}

func TestBillBadPaymentsChangeNothing(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	other, _ := f.p.CreateCustomer(ctx, "Han Meimei", "")
	otherWallet, _ := f.p.OpenWallet(ctx, other.ID, "CNY")
	usd, _ := f.p.OpenWallet(ctx, f.cus.ID, "USD")
	big, _ := f.p.CreateBill(ctx, CreateBillRequest{CustomerID: f.cus.ID, MerchantID: f.biller.ID, Amount: cny(500_00)})
	small, _ := f.p.CreateBill(ctx, CreateBillRequest{CustomerID: f.cus.ID, MerchantID: f.biller.ID, Amount: cny(1_00)})
	before := f.snap(t)
	for _, tc := range []struct {
		name, bill, wallet string
		kind               *pay.Error
		param              string
	}{
		{"insufficient", big.ID, f.wallet.ID, pay.ErrInsufficientFunds, "amount"},
		{"other customer's wallet", small.ID, otherWallet.ID, pay.ErrInvalidRequest, "wallet_id"},
		{"wrong currency wallet", small.ID, usd.ID, pay.ErrInvalidRequest, "wallet_id"},
		{"unknown bill", "bill_nope", f.wallet.ID, pay.ErrNotFound, "bill_id"},
		{"malformed wallet", small.ID, "x", pay.ErrNotFound, "wallet_id"},
	} {
		_, err := f.p.PayBill(ctx, tc.bill, tc.wallet)
		var pe *pay.Error
		if !errors.Is(err, tc.kind) || !errors.As(err, &pe) || pe.Param != tc.param {
			t.Errorf("%s: err = %v; want %s on %s", tc.name, err, tc.kind.Code, tc.param)
		}
	}
	if diff := cmp.Diff(before, f.snap(t)); diff != "" {
		t.Fatalf("failed payments changed state:\n%s", diff)
	}
}

func TestBadInputChangesNothing(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	before := f.snap(t)
	w := f.wallet.ID
	for _, tc := range []struct {
		name  string
		call  func() error
		kind  *pay.Error
		param string
	}{
		{"zero top-up", func() error {
			_, err := f.p.TopUp(ctx, TopUpRequest{WalletID: w, Amount: cny(0), Source: SourceMachine, TerminalID: "k"})
			return err
		}, pay.ErrInvalidRequest, "amount.amount"},
		{"negative consumption", func() error {
			_, err := f.p.Consume(ctx, ConsumeRequest{WalletID: w, MerchantID: f.shop.ID, Amount: cny(-1), TerminalID: "p"})
			return err
		}, pay.ErrInvalidRequest, "amount.amount"},
		{"unknown currency", func() error {
			_, err := f.p.Consume(ctx, ConsumeRequest{WalletID: w, MerchantID: f.shop.ID, Amount: pay.Money{Amount: 1, Currency: "ZZZ"}, TerminalID: "p"})
			return err
		}, pay.ErrInvalidRequest, "amount.currency"},
		{"mismatched currency", func() error {
			_, err := f.p.Consume(ctx, ConsumeRequest{WalletID: w, MerchantID: f.shop.ID, Amount: pay.Money{Amount: 1, Currency: "USD"}, TerminalID: "p"})
			return err
		}, pay.ErrInvalidRequest, "amount.currency"},
		{"overdraw", func() error {
			_, err := f.p.Consume(ctx, ConsumeRequest{WalletID: w, MerchantID: f.shop.ID, Amount: cny(100_01), TerminalID: "p"})
			return err
		}, pay.ErrInsufficientFunds, "amount"},
		{"unknown wallet", func() error {
			_, err := f.p.Consume(ctx, ConsumeRequest{WalletID: "wal_unknown", MerchantID: f.shop.ID, Amount: cny(1), TerminalID: "p"})
			return err
		}, pay.ErrNotFound, "wallet_id"},
		{"unknown merchant", func() error {
			_, err := f.p.Consume(ctx, ConsumeRequest{WalletID: w, MerchantID: "mch_unknown", Amount: cny(1), TerminalID: "p"})
			return err
		}, pay.ErrNotFound, "merchant_id"},
		{"no terminal", func() error {
			_, err := f.p.Consume(ctx, ConsumeRequest{WalletID: w, MerchantID: f.shop.ID, Amount: cny(1)})
			return err
		}, pay.ErrInvalidRequest, "terminal_id"},
		{"credential without resolver", func() error {
			_, err := f.p.Consume(ctx, ConsumeRequest{Credential: &Credential{Token: "4000"}, MerchantID: f.shop.ID, Amount: cny(1), TerminalID: "p"})
			return err
		}, pay.ErrInvalidRequest, "credential"},
		{"wallet and credential", func() error {
			_, err := f.p.Consume(ctx, ConsumeRequest{WalletID: w, Credential: &Credential{Token: "4000"}, MerchantID: f.shop.ID, Amount: cny(1), TerminalID: "p"})
			return err
		}, pay.ErrInvalidRequest, "credential"},
		{"overflowing top-up", func() error {
			_, err := f.p.TopUp(ctx, TopUpRequest{WalletID: w, Amount: cny(1<<63 - 1), Source: SourceMachine, TerminalID: "k"})
			return err
		}, pay.ErrInvalidRequest, "amount"},
		{"channel top-up without reference", func() error {
			_, err := f.p.TopUp(ctx, TopUpRequest{WalletID: w, Amount: cny(1), Source: SourceChannel})
			return err
		}, pay.ErrInvalidRequest, "reference"},
		{"bad source", func() error {
			_, err := f.p.TopUp(ctx, TopUpRequest{WalletID: w, Amount: cny(1), Source: "gift"})
			return err
		}, pay.ErrInvalidRequest, "source"},
		{"zero redemption", func() error {
			_, err := f.p.RedeemPoints(ctx, f.cus.ID, RedeemRequest{Points: 0})
			return err
		}, pay.ErrInvalidRequest, "points"},
		{"bill for unknown customer", func() error {
			_, err := f.p.CreateBill(ctx, CreateBillRequest{CustomerID: "cus_unknown", MerchantID: f.biller.ID, Amount: cny(1)})
			return err
		}, pay.ErrNotFound, "customer_id"},
		{"bill with zero amount", func() error {
			_, err := f.p.CreateBill(ctx, CreateBillRequest{CustomerID: f.cus.ID, MerchantID: f.biller.ID, Amount: cny(0)})
			return err
		}, pay.ErrInvalidRequest, "amount.amount"},
		{"second CNY wallet", func() error {
			_, err := f.p.OpenWallet(ctx, f.cus.ID, "CNY")
			return err
		}, pay.ErrConflict, "currency"},
		{"bad phone", func() error {
			_, err := f.p.CreateCustomer(ctx, "X", "13800138000")
			return err
		}, pay.ErrInvalidRequest, "phone"},
	} {
		err := tc.call()
		var pe *pay.Error
		if !errors.Is(err, tc.kind) || !errors.As(err, &pe) || pe.Param != tc.param {
			t.Errorf("%s: err = %v; want %s on %q", tc.name, err, tc.kind.Code, tc.param)
		}
	}
	// The overflowing top-up must fail on the ledger's balance overflow; top up
	// once to make that reachable and confirm nothing else moved.
	if diff := cmp.Diff(before, f.snap(t)); diff != "" {
		t.Fatalf("bad input changed state (-before +after):\n%s", diff)
	}
}

type stubResolver struct {
	wallet   string
	reversed *[]string
}

func (s stubResolver) AuthorizeCredential(_ context.Context, u CredentialUse) (CredentialGrant, error) {
	if u.Credential.Token != "tok_good" {
		return CredentialGrant{}, pay.Errorf(pay.ErrUnauthorized, "credential", "credential refused")
	}
	return CredentialGrant{WalletID: s.wallet, UseID: "use_" + u.Amount.String()}, nil
}

func (s stubResolver) ReverseCredential(_ context.Context, g CredentialGrant) error {
	*s.reversed = append(*s.reversed, g.UseID)
	return nil
}

func TestConsumeByCredentialThroughResolver(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var reversed []string
	f.p.credentials = stubResolver{wallet: f.wallet.ID, reversed: &reversed}
	txn, err := f.p.Consume(ctx, ConsumeRequest{Credential: &Credential{Token: "tok_good"}, MerchantID: f.shop.ID, Amount: cny(5_00), TerminalID: "pos-1"})
	if err != nil || txn.WalletID != "" || txn.CustomerID != "" || *txn.WalletAfter != cny(95_00) || txn.CredentialUseID != "use_5.00 CNY" {
		t.Fatalf("credential consumption = %+v, %v", txn, err)
	}
	before := f.snap(t)
	if _, err := f.p.Consume(ctx, ConsumeRequest{Credential: &Credential{Token: "tok_bad"}, MerchantID: f.shop.ID, Amount: cny(5_00), TerminalID: "pos-1"}); !errors.Is(err, pay.ErrUnauthorized) {
		t.Fatalf("refused credential err = %v", err)
	}
	// An approved credential whose wallet can't pay: the use is reversed.
	if _, err := f.p.Consume(ctx, ConsumeRequest{Credential: &Credential{Token: "tok_good"}, MerchantID: f.shop.ID, Amount: cny(1000_00), TerminalID: "pos-1"}); !errors.Is(err, pay.ErrInsufficientFunds) {
		t.Fatalf("overdraft by credential err = %v", err)
	}
	if diff := cmp.Diff(before, f.snap(t)); diff != "" {
		t.Fatalf("refused credential changed state:\n%s", diff)
	}
	if len(reversed) != 1 || reversed[0] != "use_1000.00 CNY" {
		t.Fatalf("reversed = %v; want the failed use only", reversed)
	}
	// A top-up machine credits the wallet by credential.
	top, err := f.p.TopUp(ctx, TopUpRequest{Credential: &Credential{Token: "tok_good"}, Amount: cny(10_00), Source: SourceMachine, TerminalID: "topup-1"})
	if err != nil || top.WalletID != "" || *top.WalletAfter != cny(105_00) {
		t.Fatalf("credential top-up = %+v, %v", top, err)
	}
	// The stored transactions keep the wallet the credentials stood for.
	txns, err := f.p.Transactions(ctx, f.wallet.ID)
	if err != nil || len(txns) < 2 || txns[len(txns)-1].ID != top.ID || txns[len(txns)-1].WalletID != f.wallet.ID {
		t.Fatalf("stored transactions = %+v, %v", txns, err)
	}
	if _, err := f.p.TopUp(ctx, TopUpRequest{Credential: &Credential{Token: "tok_good"}, Amount: cny(10_00), Source: SourceChannel, Reference: "x"}); !errors.Is(err, pay.ErrInvalidRequest) {
		t.Fatalf("credential top-up from a channel err = %v", err)
	}
}
