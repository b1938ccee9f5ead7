package paytest_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/pay/account"
	"github.com/paykit-go/paykit/pay/paytest"
	"github.com/paykit-go/paykit/token"
)

// testPAN is the account number behind the card tokens of these tests.
const testPAN = "4111111111111111"

// tokenEnv is a running backend with two merchants, a customer with a CNY
// wallet, and account and token clients for each API key.
type tokenEnv struct {
	srv                *paytest.Server
	mer, dev           *account.Client
	tmer, tdev, tadmin *token.Client
	shop, other        account.Merchant
	cus                account.Customer
	wallet             account.Wallet
}

func newTokenEnv(t *testing.T, opts ...paytest.Option) *tokenEnv {
	t.Helper()
	srv := newServer(t, opts...)
	ctx := context.Background()
	e := &tokenEnv{srv: srv, mer: account.NewClient(srv.Client), dev: account.NewClient(srv.DeviceClient),
		tmer: token.NewClient(srv.Client), tdev: token.NewClient(srv.DeviceClient), tadmin: token.NewClient(srv.AdminClient)}
	op := account.NewClient(srv.AdminClient)
	var err error
	if e.shop, err = op.CreateMerchant(ctx, "Shop"); err != nil {
		t.Fatal(err)
	}
	if e.other, err = op.CreateMerchant(ctx, "Other shop"); err != nil {
		t.Fatal(err)
	}
	if e.cus, err = e.mer.CreateCustomer(ctx, account.CreateCustomerRequest{Name: "Han Meimei"}); err != nil {
		t.Fatal(err)
	}
	if e.wallet, err = e.mer.OpenWallet(ctx, e.cus.ID, "CNY"); err != nil {
		t.Fatal(err)
	}
	return e
}

// provision issues a contactless credential for the wallet with the
// merchant key and returns the answer and the phone's side of it.
func (e *tokenEnv) provision(t *testing.T, deviceID string) (token.Issued, *token.DeviceCredential) {
	t.Helper()
	iss, err := e.tmer.Provision(context.Background(), token.ProvisionRequest{WalletID: e.wallet.ID, DeviceID: deviceID})
	if err != nil {
		t.Fatal(err)
	}
	phone, err := iss.DeviceCredential()
	if err != nil {
		t.Fatal(err)
	}
	return iss, phone
}

func (e *tokenEnv) get(t *testing.T, tokenID string) token.Token {
	t.Helper()
	tok, err := e.tmer.Get(context.Background(), tokenID)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (e *tokenEnv) balance(t *testing.T) pay.Money {
	t.Helper()
	w, err := e.dev.Wallet(context.Background(), e.wallet.ID)
	if err != nil {
		t.Fatal(err)
	}
	return w.Balance
}

// tap is the phone's answer to a terminal whose unpredictable number is n.
func tap(t *testing.T, phone *token.DeviceCredential, amount pay.Money, merchantID string, n byte) account.Credential {
	t.Helper()
	c, err := phone.Present(amount, merchantID, []byte{'t', 'a', 'p', n})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// sameRefusal checks that err is exactly ErrDeclined as every non-owner
// sees it: no param, the one message, so it reveals no control.
func sameRefusal(t *testing.T, what string, err error) {
	t.Helper()
	wantErr(t, what, err, token.ErrDeclined, "")
	var pe *pay.Error
	if errors.As(err, &pe) && pe.Message != "the token was declined" {
		t.Errorf("%s: declined with message %q; every refusal must read the same", what, pe.Message)
	}
}

// TestContactlessOverHTTP: a credential provisioned to a phone tops up the
// wallet at a machine and pays at a POS by tap, each tap charging once and
// earning points; a replayed, altered, misdirected, overdrawn or suspended
// tap is refused and changes nothing, and a resumed credential pays again.
func TestContactlessOverHTTP(t *testing.T) {
	e := newTokenEnv(t)
	ctx := context.Background()
	iss, phone := e.provision(t, "phone-1")
	tok := iss.Token
	if tok.RequestorID != "merchant" || tok.AccountType != token.AccountWallet || tok.Format != token.FormatNumeric ||
		!token.LuhnValid(tok.Value) || tok.Controls.DeviceID != "phone-1" || !tok.Controls.RequireCryptogram ||
		!slices.Equal(tok.Controls.Modes, []token.Mode{token.ModeContactless}) || len(iss.Key) != token.KeySize {
		t.Fatalf("provisioned = %+v (key %d bytes)", tok, len(iss.Key))
	}
	consume := func(c account.Credential, amount pay.Money, merchantID string) (account.Transaction, error) {
		return e.dev.Consume(ctx, account.ConsumeRequest{Credential: &c, MerchantID: merchantID, Amount: amount, TerminalID: "pos-1"})
	}
	// unchanged fails the test if a refusal moved money or a token counter.
	unchanged := func(what string, balance pay.Money, uses int64, counter uint32) {
		t.Helper()
		got := e.get(t, tok.ID)
		if b := e.balance(t); b != balance || got.Uses != uses || got.LastCounter != counter {
			t.Errorf("%s changed state: wallet %v, uses %d, counter %d; want %v, %d, %d", what, b, got.Uses, got.LastCounter, balance, uses, counter)
		}
	}

	top := tap(t, phone, cny(100_00), "", 1)
	txn, err := e.dev.TopUp(ctx, account.TopUpRequest{Credential: &top, Amount: cny(100_00), Source: account.SourceMachine, TerminalID: "kiosk-1"})
	if err != nil || txn.WalletID != "" || *txn.WalletAfter != cny(100_00) || txn.CredentialUseID == "" {
		t.Fatalf("top-up by credential = %+v, %v", txn, err)
	}
	unchanged("a top-up (credits count against no limit)", cny(100_00), 0, 1)

	buy := tap(t, phone, cny(25_50), e.shop.ID, 2)
	txn, err = consume(buy, cny(25_50), e.shop.ID)
	if err != nil || txn.WalletID != "" || *txn.WalletAfter != cny(74_50) || txn.Points != 25 || *txn.PointsAfter != 25 {
		t.Fatalf("consumption by credential = %+v, %v", txn, err)
	}
	_, err = consume(buy, cny(25_50), e.shop.ID)
	sameRefusal(t, "replayed cryptogram", err)
	unchanged("the replay", cny(74_50), 1, 2)

	c := tap(t, phone, cny(10_00), e.shop.ID, 3)
	_, err = consume(c, cny(20_00), e.shop.ID)
	sameRefusal(t, "cryptogram for another amount", err)
	_, err = consume(c, cny(10_00), e.other.ID)
	sameRefusal(t, "cryptogram for another merchant", err)
	unchanged("the altered taps", cny(74_50), 1, 2)
	if txn, err = consume(c, cny(10_00), e.shop.ID); err != nil || *txn.WalletAfter != cny(64_50) {
		t.Fatalf("the untampered tap after the altered ones = %+v, %v; refusals must consume nothing", txn, err)
	}

	c = tap(t, phone, cny(1_00), e.shop.ID, 4)
	c.DeviceID = "phone-2"
	_, err = consume(c, cny(1_00), e.shop.ID)
	sameRefusal(t, "wrong device", err)
	unchanged("the wrong device", cny(64_50), 2, 3)

	_, err = consume(tap(t, phone, cny(500_00), e.shop.ID, 5), cny(500_00), e.shop.ID)
	wantErr(t, "overdraft by credential", err, pay.ErrInsufficientFunds, "amount")
	unchanged("the overdraft (its use given back, its cryptogram spent)", cny(64_50), 2, 5)

	if s, err := e.tmer.Suspend(ctx, tok.ID); err != nil || s.Status != token.StatusSuspended || s.SuspendedBy != token.PartyRequestor {
		t.Fatalf("Suspend = %+v, %v", s, err)
	}
	_, err = consume(tap(t, phone, cny(5_00), e.shop.ID, 6), cny(5_00), e.shop.ID)
	sameRefusal(t, "suspended credential", err)
	unchanged("the suspended tap", cny(64_50), 2, 5)
	if r, err := e.tmer.Resume(ctx, tok.ID); err != nil || r.Status != token.StatusActive || r.SuspendedBy != "" {
		t.Fatalf("Resume = %+v, %v", r, err)
	}
	if txn, err = consume(tap(t, phone, cny(5_00), e.shop.ID, 7), cny(5_00), e.shop.ID); err != nil || *txn.WalletAfter != cny(59_50) || *txn.PointsAfter != 40 {
		t.Fatalf("after resume = %+v, %v", txn, err)
	}

	final := e.get(t, tok.ID)
	if final.Uses != 3 || final.Spent != cny(40_50) || final.LastCounter != 7 {
		t.Errorf("token = uses %d, spent %v, counter %d; want 3, 40.50 CNY, 7", final.Uses, final.Spent, final.LastCounter)
	}
	if m, err := e.mer.MerchantBalance(ctx, e.shop.ID, "CNY"); err != nil || m != cny(40_50) {
		t.Errorf("shop balance = %v, %v; want 40.50 CNY", m, err)
	}
	type row struct {
		Kind    token.UseKind
		Status  token.UseStatus
		Amount  int64
		Counter uint32
	}
	uses, err := e.tmer.Uses(ctx, tok.ID, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []row
	approved := map[string]bool{}
	for _, u := range uses {
		got = append(got, row{u.Kind, u.Status, u.Amount.Amount, u.Counter})
		approved[u.ID] = u.Status == token.UseApproved
		if u.DeviceID != "phone-1" || u.Mode != token.ModeContactless || u.AcceptorID != "account-platform" {
			t.Errorf("use %+v: want device phone-1, contactless, accepted by the platform", u)
		}
	}
	want := []row{
		{token.UseCredit, token.UseApproved, 100_00, 1}, {token.UseDebit, token.UseApproved, 25_50, 2},
		{token.UseDebit, token.UseApproved, 10_00, 3}, {token.UseDebit, token.UseReversed, 500_00, 5},
		{token.UseDebit, token.UseApproved, 5_00, 7},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("uses (-want +got):\n%s", d)
	}
	txns, err := e.dev.Transactions(ctx, e.wallet.ID)
	if err != nil || len(txns) != 4 {
		t.Fatalf("transactions = %d, %v; want the top-up and 3 consumptions", len(txns), err)
	}
	for _, x := range txns {
		if !approved[x.CredentialUseID] {
			t.Errorf("transaction %s names credential use %q, not an approved use", x.ID, x.CredentialUseID)
		}
	}
}

// TestTokenDetokenizeOverHTTP: only keys with the detokenize scope see an
// account number; the device key manages nothing and learns nothing from a
// refusal; a requestor can't lift the issuer's suspension.
func TestTokenDetokenizeOverHTTP(t *testing.T) {
	srv := newServer(t)
	ctx := context.Background()
	mer, dev, admin := token.NewClient(srv.Client), token.NewClient(srv.DeviceClient), token.NewClient(srv.AdminClient)
	iss, err := mer.Issue(ctx, token.IssueRequest{Account: testPAN, AccountType: token.AccountCard, Controls: token.Controls{Merchants: []string{"m_coffee"}}})
	if err != nil {
		t.Fatal(err)
	}
	tok := iss.Token
	if tok.Value == testPAN || tok.AccountLast4 != "1111" || !srv.Tokens.BINRange().Contains(tok.Value) || tok.RequestorID != "merchant" {
		t.Fatalf("issued = %+v", tok)
	}
	use := token.UseRequest{Token: tok.Value, Amount: cny(12_00), MerchantID: "m_coffee", Mode: token.ModeEcommerce}
	if res, err := mer.Use(ctx, use); err != nil || res.Account != "" || res.AccountType != "" || res.Use.AcceptorID != "merchant" {
		t.Fatalf("merchant Use = %+v, %v; want an approval without the account", res, err)
	}
	_, err = mer.Detokenize(ctx, tok.ID)
	wantErr(t, "merchant detokenizing", err, token.ErrNotDetokenizer, "")
	if got, err := admin.Detokenize(ctx, tok.ID); err != nil || got != (token.DetokenizeResult{TokenID: tok.ID, AccountType: token.AccountCard, Account: testPAN}) {
		t.Fatalf("admin Detokenize = %+v, %v", got, err)
	}

	for name, call := range map[string]func() error{
		"get":        func() error { _, err := dev.Get(ctx, tok.ID); return err },
		"uses":       func() error { _, err := dev.Uses(ctx, tok.ID, "", 0); return err },
		"suspend":    func() error { _, err := dev.Suspend(ctx, tok.ID); return err },
		"delete":     func() error { _, err := dev.Delete(ctx, tok.ID); return err },
		"controls":   func() error { _, err := dev.UpdateControls(ctx, tok.ID, token.Controls{}); return err },
		"detokenize": func() error { _, err := dev.Detokenize(ctx, tok.ID); return err },
		"issue": func() error {
			_, err := dev.Issue(ctx, token.IssueRequest{Account: testPAN, AccountType: token.AccountCard})
			return err
		},
	} {
		wantErr(t, "device key: "+name, call(), pay.ErrForbidden, "")
	}

	elsewhere := use
	elsewhere.MerchantID = "m_bakery"
	_, err = mer.Use(ctx, elsewhere)
	wantErr(t, "owner at another merchant", err, token.ErrDomain, "merchant_id")
	_, err = dev.Use(ctx, elsewhere)
	sameRefusal(t, "device at another merchant", err)
	unknown := use
	unknown.Token = testPAN // a card number is not a token
	_, err = dev.Use(ctx, unknown)
	sameRefusal(t, "device presenting an unknown token", err)

	if s, err := admin.Suspend(ctx, tok.ID); err != nil || s.SuspendedBy != token.PartyIssuer {
		t.Fatalf("issuer Suspend = %+v, %v", s, err)
	}
	_, err = mer.Resume(ctx, tok.ID)
	wantErr(t, "requestor resuming the issuer's suspension", err, token.ErrWrongParty, "token_id")
	_, err = mer.Suspend(ctx, tok.ID)
	wantErr(t, "requestor re-suspending", err, token.ErrWrongParty, "token_id")
	_, err = mer.Use(ctx, use)
	wantErr(t, "owner using a suspended token", err, token.ErrSuspended, "token")
	_, err = dev.Use(ctx, use)
	sameRefusal(t, "device using a suspended token", err)
	if r, err := admin.Resume(ctx, tok.ID); err != nil || r.Status != token.StatusActive {
		t.Fatalf("issuer Resume = %+v, %v", r, err)
	}
	if res, err := dev.Use(ctx, use); err != nil || res.Account != "" {
		t.Fatalf("device Use after resume = %+v, %v", res, err)
	}
	if got, _ := mer.Get(ctx, tok.ID); got.Uses != 2 || got.Spent != cny(24_00) {
		t.Errorf("token = uses %d, spent %v; want 2 and 24.00 CNY", got.Uses, got.Spent)
	}

	// A merchant key granted the scope sees the account.
	srv2 := newServer(t, paytest.WithScopes(paytest.RoleMerchant, token.ScopeDetokenize))
	mer2, dev2 := token.NewClient(srv2.Client), token.NewClient(srv2.DeviceClient)
	iss2, err := mer2.Issue(ctx, token.IssueRequest{Account: testPAN, AccountType: token.AccountCard})
	if err != nil {
		t.Fatal(err)
	}
	use.Token = iss2.Token.Value
	if res, err := mer2.Use(ctx, use); err != nil || res.Account != testPAN || res.AccountType != token.AccountCard {
		t.Fatalf("scoped merchant Use = %+v, %v; want the account", res, err)
	}
	if got, err := mer2.Detokenize(ctx, iss2.Token.ID); err != nil || got.Account != testPAN {
		t.Fatalf("scoped merchant Detokenize = %+v, %v", got, err)
	}
	if res, err := dev2.Use(ctx, use); err != nil || res.Account != "" {
		t.Fatalf("device Use on the scoped server = %+v, %v; want no account", res, err)
	}
}

// TestTokenUsesAndReverseOverHTTP: the owner pages through uses; the
// acceptor reverses one, which gives the use back under the limit; nobody
// else may reverse it.
func TestTokenUsesAndReverseOverHTTP(t *testing.T) {
	srv := newServer(t)
	ctx := context.Background()
	mer, dev, admin := token.NewClient(srv.Client), token.NewClient(srv.DeviceClient), token.NewClient(srv.AdminClient)
	iss, err := mer.Issue(ctx, token.IssueRequest{Account: testPAN, AccountType: token.AccountCard, Controls: token.Controls{MaxUses: 5}})
	if err != nil {
		t.Fatal(err)
	}
	id := iss.Token.ID
	use := func(c *token.Client, amount int64) (token.UseResult, error) {
		return c.Use(ctx, token.UseRequest{Token: iss.Token.Value, Amount: cny(amount), MerchantID: "m_coffee", Mode: token.ModeQR})
	}
	var ids []string
	for i := range 5 {
		res, err := use(dev, int64(i+1)*100)
		if err != nil {
			t.Fatalf("use %d: %v", i+1, err)
		}
		ids = append(ids, res.Use.ID)
	}
	_, err = use(dev, 100)
	sameRefusal(t, "sixth use by the device", err)
	_, err = use(mer, 100)
	wantErr(t, "sixth use by the owner", err, token.ErrUseLimit, "token")

	var paged []string
	var sizes []int
	for after := ""; ; {
		page, err := mer.Uses(ctx, id, after, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		sizes = append(sizes, len(page))
		for _, u := range page {
			paged = append(paged, u.ID)
		}
		after = page[len(page)-1].ID
	}
	if d := cmp.Diff(ids, paged); d != "" || !slices.Equal(sizes, []int{2, 2, 1}) {
		t.Errorf("paged uses %v (-want +got):\n%s", sizes, d)
	}
	if all, err := admin.Uses(ctx, id, "", 0); err != nil || len(all) != 5 {
		t.Errorf("issuer listing = %d uses, %v; want 5", len(all), err)
	}
	_, err = mer.Uses(ctx, id, "", 101)
	wantErr(t, "limit 101", err, pay.ErrInvalidRequest, "limit")
	_, err = mer.Uses(ctx, id, "tku_nosuchuse", 2)
	wantErr(t, "after an unknown use", err, pay.ErrInvalidRequest, "after")

	rev, err := dev.ReverseUse(ctx, ids[2])
	if err != nil || rev.Status != token.UseReversed || rev.ReversedAt == nil || rev.Amount != cny(3_00) {
		t.Fatalf("ReverseUse = %+v, %v", rev, err)
	}
	if again, err := dev.ReverseUse(ctx, ids[2]); err != nil || again.Status != token.UseReversed {
		t.Fatalf("second ReverseUse = %+v, %v", again, err)
	}
	if got, _ := mer.Get(ctx, id); got.Uses != 4 || got.Spent != cny(12_00) {
		t.Fatalf("after reversal: uses %d, spent %v; want 4 and 12.00 CNY", got.Uses, got.Spent)
	}
	if _, err := use(dev, 100); err != nil {
		t.Fatalf("the use the reversal gave back: %v", err)
	}
	_, err = use(dev, 100)
	sameRefusal(t, "past the limit again", err)

	// A use of another requestor's token: its acceptor may reverse it, a
	// caller that neither made it nor owns the token may not.
	other, err := admin.Issue(ctx, token.IssueRequest{Account: testPAN, AccountType: token.AccountCard, RequestorID: "wallet-app"})
	if err != nil || other.Token.RequestorID != "wallet-app" {
		t.Fatalf("issue on behalf = %+v, %v", other.Token, err)
	}
	res, err := mer.Use(ctx, token.UseRequest{Token: other.Token.Value, Amount: cny(1_00), MerchantID: "m_coffee", Mode: token.ModeQR})
	if err != nil {
		t.Fatal(err)
	}
	_, err = mer.Get(ctx, other.Token.ID)
	wantErr(t, "merchant reading another requestor's token", err, pay.ErrNotFound, "token_id")
	_, err = dev.ReverseUse(ctx, res.Use.ID)
	wantErr(t, "device reversing the merchant's use", err, pay.ErrNotFound, "use_id")
	if rev, err := mer.ReverseUse(ctx, res.Use.ID); err != nil || rev.Status != token.UseReversed {
		t.Fatalf("acceptor ReverseUse = %+v, %v", rev, err)
	}
	if got, _ := admin.Get(ctx, other.Token.ID); got.Uses != 0 {
		t.Errorf("after the acceptor's reversal: uses %d, want 0", got.Uses)
	}
}

// TestTokenUseIdempotentOverHTTP: a token use retried with its
// Idempotency-Key, by hand or after a lost response, uses the token once;
// a contactless payment retried that way charges once and is answered, not
// refused as a replayed cryptogram.
func TestTokenUseIdempotentOverHTTP(t *testing.T) {
	e := newTokenEnv(t)
	ctx := context.Background()
	iss, err := e.tmer.Issue(ctx, token.IssueRequest{Account: testPAN, AccountType: token.AccountCard})
	if err != nil {
		t.Fatal(err)
	}
	req := token.UseRequest{Token: iss.Token.Value, Amount: cny(1_00), MerchantID: "m_coffee", Mode: token.ModeInApp}
	key := pay.WithIdempotencyKey("tap-1")
	first, err := e.tdev.Use(ctx, req, key)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := e.tdev.Use(ctx, req, key); err != nil || again.Use.ID != first.Use.ID {
		t.Fatalf("retry = %+v, %v; want the first use %s", again.Use, err, first.Use.ID)
	}
	req.Amount = cny(2_00)
	_, err = e.tdev.Use(ctx, req, key)
	wantErr(t, "same key, another amount", err, pay.ErrIdempotencyConflict, "Idempotency-Key")
	if got := e.get(t, iss.Token.ID); got.Uses != 1 || got.Spent != cny(1_00) {
		t.Fatalf("after retries: uses %d, spent %v; want 1 and 1.00 CNY", got.Uses, got.Spent)
	}

	lossy := func() (*pay.Client, *dropFirst) {
		tr := &dropFirst{base: http.DefaultTransport}
		pc, err := pay.NewClient(e.srv.URL, pay.WithAPIKey(e.srv.Keys.Device), pay.WithHTTPClient(&http.Client{Transport: tr}),
			pay.WithRetryPolicy(pay.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}))
		if err != nil {
			t.Fatal(err)
		}
		return pc, tr
	}
	pc, tr := lossy()
	if _, err := token.NewClient(pc).Use(ctx, req); err != nil {
		t.Fatal(err)
	}
	if tr.dropped.Load() != 1 || tr.seen.Load() != 2 {
		t.Fatalf("dropped=%d attempts=%d; want 1 and 2", tr.dropped.Load(), tr.seen.Load())
	}
	if got := e.get(t, iss.Token.ID); got.Uses != 2 || got.Spent != cny(3_00) {
		t.Fatalf("after a lost response: uses %d, spent %v; want 2 and 3.00 CNY", got.Uses, got.Spent)
	}

	if _, err := e.dev.TopUp(ctx, account.TopUpRequest{WalletID: e.wallet.ID, Amount: cny(50_00), Source: account.SourceMachine, TerminalID: "kiosk"}); err != nil {
		t.Fatal(err)
	}
	cred, phone := e.provision(t, "phone-1")
	c := tap(t, phone, cny(8_00), e.shop.ID, 1)
	pc, tr = lossy()
	txn, err := account.NewClient(pc).Consume(ctx, account.ConsumeRequest{Credential: &c, MerchantID: e.shop.ID, Amount: cny(8_00), TerminalID: "pos-1"})
	if err != nil || *txn.WalletAfter != cny(42_00) || tr.seen.Load() != 2 {
		t.Fatalf("tap after a lost response = %+v, %v (%d attempts)", txn, err, tr.seen.Load())
	}
	if b := e.balance(t); b != cny(42_00) {
		t.Errorf("wallet %v; want one charge (42.00 CNY)", b)
	}
	if got := e.get(t, cred.Token.ID); got.Uses != 1 || got.LastCounter != 1 {
		t.Errorf("credential: uses %d, counter %d; want 1 and 1", got.Uses, got.LastCounter)
	}
}
