package paytest_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/pay/account"
	"github.com/paykit-go/paykit/pay/paytest"
)

func cny(a int64) pay.Money { return pay.Money{Amount: a, Currency: "CNY"} }

func newServer(t *testing.T, opts ...paytest.Option) *paytest.Server {
	t.Helper()
	srv, err := paytest.NewServer(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

func wantErr(t *testing.T, what string, err error, kind *pay.Error, param string) {
	t.Helper()
	var pe *pay.Error
	if !errors.Is(err, kind) || !errors.As(err, &pe) || pe.Param != param {
		t.Errorf("%s: err = %v; want %s on %q", what, err, kind.Code, param)
		return
	}
	if pe.RequestID == "" || pe.HTTPStatus != kind.HTTPStatus {
		t.Errorf("%s: error lacks request ID or status: %+v", what, pe)
	}
}

// TestAccountContract drives every account route through account.Client
// against the reference backend, each with the role that may call it.
func TestAccountContract(t *testing.T) {
	srv := newServer(t, paytest.WithStartTime(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)))
	ctx := context.Background()
	op, mer, dev := account.NewClient(srv.AdminClient), account.NewClient(srv.Client), account.NewClient(srv.DeviceClient)

	shop, err := op.CreateMerchant(ctx, "Shop")
	if err != nil {
		t.Fatal(err)
	}
	utility, err := op.CreateMerchant(ctx, "Utility")
	if err != nil {
		t.Fatal(err)
	}
	cus, err := mer.CreateCustomer(ctx, account.CreateCustomerRequest{Name: "Li Lei", Phone: "+8613800138000"})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := mer.Customer(ctx, cus.ID); err != nil || got != cus {
		t.Fatalf("Customer = %+v, %v; want %+v", got, err, cus)
	}
	w, err := mer.OpenWallet(ctx, cus.ID, "CNY")
	if err != nil || w.Balance != cny(0) || w.CustomerID != cus.ID {
		t.Fatalf("OpenWallet = %+v, %v", w, err)
	}
	if ws, err := mer.Wallets(ctx, cus.ID); err != nil || len(ws) != 1 || ws[0].ID != w.ID {
		t.Fatalf("Wallets = %+v, %v", ws, err)
	}
	top, err := dev.TopUp(ctx, account.TopUpRequest{WalletID: w.ID, Amount: cny(100_00), Source: account.SourceMachine, TerminalID: "kiosk"})
	if err != nil || *top.WalletAfter != cny(100_00) {
		t.Fatalf("TopUp = %+v, %v", top, err)
	}
	if _, err := dev.TopUp(ctx, account.TopUpRequest{WalletID: w.ID, Amount: cny(20_00), Source: account.SourceChannel, Reference: "wxpay_4200001"}); err != nil {
		t.Fatal(err)
	}
	buy, err := dev.Consume(ctx, account.ConsumeRequest{WalletID: w.ID, MerchantID: shop.ID, Amount: cny(25_50), TerminalID: "pos-1"})
	if err != nil || buy.Points != 25 || *buy.WalletAfter != cny(94_50) {
		t.Fatalf("Consume = %+v, %v", buy, err)
	}
	if p, err := dev.Points(ctx, cus.ID); err != nil || p.Points != 25 {
		t.Fatalf("Points = %+v, %v", p, err)
	}
	if red, err := dev.RedeemPoints(ctx, cus.ID, account.RedeemRequest{Points: 5}); err != nil || *red.PointsAfter != 20 {
		t.Fatalf("RedeemPoints = %+v, %v", red, err)
	}
	bill, err := mer.CreateBill(ctx, account.CreateBillRequest{CustomerID: cus.ID, MerchantID: utility.ID, Amount: cny(40_00), Description: "Water"})
	if err != nil || bill.Status != account.BillOutstanding {
		t.Fatalf("CreateBill = %+v, %v", bill, err)
	}
	if got, err := dev.Bill(ctx, bill.ID); err != nil || got.ID != bill.ID {
		t.Fatalf("Bill = %+v, %v", got, err)
	}
	if out, err := dev.Bills(ctx, cus.ID, account.BillOutstanding); err != nil || len(out) != 1 {
		t.Fatalf("Bills outstanding = %+v, %v", out, err)
	}
	paid, err := dev.PayBill(ctx, bill.ID, w.ID)
	if err != nil || paid.Status != account.BillPaid {
		t.Fatalf("PayBill = %+v, %v", paid, err)
	}
	if out, err := dev.Bills(ctx, cus.ID, account.BillOutstanding); err != nil || len(out) != 0 {
		t.Fatalf("Bills after payment = %+v, %v", out, err)
	}
	if all, err := dev.Bills(ctx, cus.ID, ""); err != nil || len(all) != 1 || all[0].Status != account.BillPaid {
		t.Fatalf("all Bills = %+v, %v", all, err)
	}
	wallet, err := dev.Wallet(ctx, w.ID)
	if err != nil || wallet.Balance != cny(54_50) || wallet.Available != cny(54_50) {
		t.Fatalf("Wallet = %+v, %v", wallet, err)
	}
	txns, err := dev.Transactions(ctx, w.ID)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []account.TransactionKind
	for _, x := range txns {
		kinds = append(kinds, x.Kind)
	}
	want := []account.TransactionKind{account.KindTopUp, account.KindTopUp, account.KindConsumption, account.KindBillPayment}
	if diff := cmp.Diff(want, kinds); diff != "" {
		t.Fatalf("transactions (-want +got):\n%s", diff)
	}
	for m, want := range map[string]pay.Money{shop.ID: cny(25_50), utility.ID: cny(40_00)} {
		if got, err := mer.MerchantBalance(ctx, m, "CNY"); err != nil || got != want {
			t.Fatalf("MerchantBalance(%s) = %v, %v; want %v", m, got, err, want)
		}
	}

	// Admin routes: the ledger balances and the clock moves.
	var totals paytest.LedgerTotals
	if err := srv.AdminClient.Get(ctx, "/v1/admin/ledger/totals", &totals); err != nil {
		t.Fatal(err)
	}
	for unit, v := range totals.Totals {
		if v.DebitsPosted != v.CreditsPosted || v.DebitsPending != v.CreditsPending {
			t.Fatalf("ledger unbalanced in %s: %+v", unit, v)
		}
	}
	if totals.Totals["CNY"].CreditsPosted == 0 || totals.Totals[account.PointsUnit].CreditsPosted != 30 {
		t.Fatalf("totals = %+v", totals)
	}
	var clk paytest.ClockResponse
	if err := srv.AdminClient.Get(ctx, "/v1/admin/clock", &clk); err != nil || !clk.Now.Equal(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)) {
		t.Fatalf("clock = %v, %v", clk.Now, err)
	}
	if err := srv.AdminClient.Post(ctx, "/v1/admin/clock/advance", paytest.AdvanceClockRequest{Seconds: 3600}, &clk); err != nil || !clk.Now.Equal(time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)) {
		t.Fatalf("advance = %v, %v", clk.Now, err)
	}
}

// TestBadInputOverHTTP: each bad request gets the right *pay.Error and
// leaves balances, points and bills unchanged.
func TestBadInputOverHTTP(t *testing.T) {
	srv := newServer(t)
	ctx := context.Background()
	demo, err := srv.Seed(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dev := account.NewClient(srv.DeviceClient)
	state := func() string {
		w, _ := dev.Wallet(ctx, demo.WalletID)
		p, _ := dev.Points(ctx, demo.CustomerID)
		b, _ := dev.Bills(ctx, demo.CustomerID, account.BillOutstanding)
		m, _ := account.NewClient(srv.Client).MerchantBalance(ctx, demo.MerchantID, "CNY")
		out, _ := json.Marshal([]any{w.Balance, p.Points, len(b), m})
		return string(out)
	}
	before := state()
	consume := func(m pay.Money) error {
		_, err := dev.Consume(ctx, account.ConsumeRequest{WalletID: demo.WalletID, MerchantID: demo.MerchantID, Amount: m, TerminalID: "pos"})
		return err
	}
	wantErr(t, "zero", consume(cny(0)), pay.ErrInvalidRequest, "amount.amount")
	wantErr(t, "negative", consume(cny(-5)), pay.ErrInvalidRequest, "amount.amount")
	wantErr(t, "unknown currency", consume(pay.Money{Amount: 1, Currency: "XYZ"}), pay.ErrInvalidRequest, "amount.currency")
	wantErr(t, "mismatched currency", consume(pay.Money{Amount: 1, Currency: "JPY"}), pay.ErrInvalidRequest, "amount.currency")
	wantErr(t, "insufficient", consume(cny(100_01)), pay.ErrInsufficientFunds, "amount")
	_, err = dev.TopUp(ctx, account.TopUpRequest{WalletID: demo.WalletID, Amount: cny(1<<63 - 1), Source: account.SourceMachine, TerminalID: "k"})
	wantErr(t, "overflow", err, pay.ErrInvalidRequest, "amount")
	_, err = dev.Wallet(ctx, "wal_doesnotexist")
	wantErr(t, "unknown wallet", err, pay.ErrNotFound, "wallet_id")
	_, err = dev.PayBill(ctx, demo.BillID, "wal_doesnotexist")
	wantErr(t, "unknown wallet for bill", err, pay.ErrNotFound, "wallet_id")

	// Raw bodies the typed client can't send.
	raw := func(body string) error {
		return srv.DeviceClient.Post(ctx, "/v1/consumptions", json.RawMessage(body), nil)
	}
	wantErr(t, "unknown field", raw(`{"wallet_id":"`+demo.WalletID+`","tip":5}`), pay.ErrInvalidRequest, "tip")
	wantErr(t, "wrong type", raw(`{"amount":"12.50"}`), pay.ErrInvalidRequest, "amount")
	big := `{"reference":"` + strings.Repeat("x", pay.MaxBodyBytes) + `"}`
	wantErr(t, "oversized", raw(big), pay.ErrPayloadTooLarge, "")

	req, _ := http.NewRequest("POST", srv.URL+"/v1/consumptions", strings.NewReader(`{"wallet_id": `))
	req.Header.Set("Authorization", "Bearer "+srv.Keys.Device)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var body struct{ Error pay.Error }
	_ = json.NewDecoder(res.Body).Decode(&body)
	res.Body.Close()
	if res.StatusCode != 400 || body.Error.Code != "invalid_request" || body.Error.RequestID != res.Header.Get(pay.RequestIDHeader) {
		t.Fatalf("malformed JSON: %d %+v", res.StatusCode, body.Error)
	}
	if after := state(); after != before {
		t.Fatalf("bad input changed state: %s -> %s", before, after)
	}
}

func TestAuth(t *testing.T) {
	srv := newServer(t)
	ctx := context.Background()
	anon, _ := pay.NewClient(srv.URL)
	wrong, _ := pay.NewClient(srv.URL, pay.WithAPIKey("sk_wrong_key_0123456789"))
	for _, tc := range []struct {
		name  string
		c     *pay.Client
		kind  *pay.Error
		route string
	}{
		{"no key", anon, pay.ErrUnauthorized, "/v1/customers"},
		{"wrong key", wrong, pay.ErrUnauthorized, "/v1/customers"},
		{"device on merchant route", srv.DeviceClient, pay.ErrForbidden, "/v1/customers"},
		{"merchant on admin route", srv.Client, pay.ErrForbidden, "/v1/merchants"},
		{"device on admin route", srv.DeviceClient, pay.ErrForbidden, "/v1/admin/clock/advance"},
	} {
		err := tc.c.Post(ctx, tc.route, map[string]any{"name": "x"}, nil)
		wantErr(t, tc.name, err, tc.kind, "")
		if strings.Contains(err.Error(), "sk_wrong_key") {
			t.Errorf("%s: error leaks the key: %v", tc.name, err)
		}
	}
	if _, err := account.NewClient(srv.Client).CreateCustomer(ctx, account.CreateCustomerRequest{Name: "ok"}); err != nil {
		t.Fatalf("merchant on merchant route: %v", err)
	}
	err := srv.Client.Get(ctx, "/v1/nowhere", nil)
	wantErr(t, "unknown route", err, pay.ErrNotFound, "")
}
