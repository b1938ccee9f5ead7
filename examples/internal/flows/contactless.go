package flows

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/pay/account"
	"github.com/paykit-go/paykit/pay/paytest"
	"github.com/paykit-go/paykit/token"
)

// Contactless runs the contactless credential flow through the public
// clients: a wallet app provisions a credential to a phone, the phone tops
// the wallet up at a top-up machine and pays at a consumption machine by
// tap (earning points), a replayed tap is refused, a suspended credential
// is refused, and once resumed it pays again. It prints only the last four
// digits of the token and never the cryptogram or its key.
func Contactless(ctx context.Context, srv *paytest.Server) error {
	operator := account.NewClient(srv.AdminClient)
	merchant := account.NewClient(srv.Client)
	machine := account.NewClient(srv.DeviceClient)
	vault := token.NewClient(srv.Client)
	cny := func(s string) pay.Money { m, _ := pay.ParseMoney(s, "CNY"); return m }

	shop, err := operator.CreateMerchant(ctx, "Metro Noodle Bar")
	if err != nil {
		return err
	}
	cus, err := merchant.CreateCustomer(ctx, account.CreateCustomerRequest{Name: "Han Meimei", Phone: "+8613900139000"})
	if err != nil {
		return err
	}
	wallet, err := merchant.OpenWallet(ctx, cus.ID, "CNY")
	if err != nil {
		return err
	}
	fmt.Printf("operator: registered %q; merchant backend: %s opened a %s wallet\n", shop.Name, cus.Name, wallet.Currency)

	issued, err := vault.Provision(ctx, token.ProvisionRequest{WalletID: wallet.ID, DeviceID: "phone-hmm-1"})
	if err != nil {
		return err
	}
	phone, err := issued.DeviceCredential()
	if err != nil {
		return err
	}
	cred := issued.Token
	fmt.Printf("wallet app: provisioned credential …%s to %s (contactless only, cryptogram on every tap); its key stays in the phone's secure element\n",
		last4(cred.Value), phone.DeviceID)

	// tap is the phone answering a terminal's tap; each terminal picks a
	// fresh unpredictable number.
	tap := func(amount pay.Money, merchantID string) (*account.Credential, error) {
		un := make([]byte, 8)
		_, _ = rand.Read(un)
		c, err := phone.Present(amount, merchantID, un)
		return &c, err
	}
	charge := func(c *account.Credential, amount pay.Money) (account.Transaction, error) {
		return machine.Consume(ctx, account.ConsumeRequest{Credential: c, MerchantID: shop.ID, Amount: amount, TerminalID: "pos-7"})
	}

	c, err := tap(cny("200.00"), "")
	if err != nil {
		return err
	}
	top, err := machine.TopUp(ctx, account.TopUpRequest{Credential: c, Amount: cny("200.00"), Source: account.SourceMachine, TerminalID: "topup-kiosk-2"})
	if err != nil {
		return err
	}
	fmt.Printf("top-up machine: phone tapped, +%s → wallet %s\n", top.Amount, top.WalletAfter)

	paid, err := tap(cny("38.00"), shop.ID)
	if err != nil {
		return err
	}
	buy, err := charge(paid, cny("38.00"))
	if err != nil {
		return err
	}
	fmt.Printf("POS: phone tapped, charged %s at %s → wallet %s, earned %d points (now %d)\n", buy.Amount, shop.Name, buy.WalletAfter, buy.Points, *buy.PointsAfter)

	if err := refused(ctx, machine, wallet.ID, *buy.WalletAfter, "attacker: replayed the captured tap", func() error {
		_, err := charge(paid, cny("38.00"))
		return err
	}); err != nil {
		return err
	}

	if _, err := vault.Suspend(ctx, cred.ID); err != nil {
		return err
	}
	fmt.Println("wallet app: phone reported lost; credential suspended")
	if err := refused(ctx, machine, wallet.ID, *buy.WalletAfter, "POS: tap with the suspended credential", func() error {
		c, err := tap(cny("15.00"), shop.ID)
		if err != nil {
			return err
		}
		_, err = charge(c, cny("15.00"))
		return err
	}); err != nil {
		return err
	}
	if _, err := vault.Resume(ctx, cred.ID); err != nil {
		return err
	}
	fmt.Println("wallet app: phone found; credential resumed")
	if c, err = tap(cny("15.00"), shop.ID); err != nil {
		return err
	}
	buy, err = charge(c, cny("15.00"))
	if err != nil {
		return err
	}
	fmt.Printf("POS: phone tapped, charged %s → wallet %s, earned %d points (now %d)\n", buy.Amount, buy.WalletAfter, buy.Points, *buy.PointsAfter)

	t, err := vault.Get(ctx, cred.ID)
	if err != nil {
		return err
	}
	got, err := merchant.MerchantBalance(ctx, shop.ID, "CNY")
	if err != nil {
		return err
	}
	fmt.Printf("books: credential …%s paid %d times, %s in all; %s received %s\n", last4(t.Value), t.Uses, t.Spent, shop.Name, got)
	if t.Uses != 2 || got != cny("53.00") || *buy.WalletAfter != cny("147.00") || *buy.PointsAfter != 53 {
		return fmt.Errorf("contactless: %d uses, shop %s, wallet %s, %d points; want 2, 53.00 CNY, 147.00 CNY, 53",
			t.Uses, got, buy.WalletAfter, *buy.PointsAfter)
	}
	return nil
}

// refused runs a tap that must be declined and checks the wallet kept its
// balance.
func refused(ctx context.Context, machine *account.Client, walletID string, balance pay.Money, what string, tap func() error) error {
	err := tap()
	var pe *pay.Error
	if !errors.Is(err, token.ErrDeclined) || !errors.As(err, &pe) {
		return fmt.Errorf("%s: want token_declined, got %v", what, err)
	}
	w, err2 := machine.Wallet(ctx, walletID)
	if err2 != nil {
		return err2
	}
	if w.Balance != balance {
		return fmt.Errorf("%s changed the wallet: %s → %s", what, balance, w.Balance)
	}
	fmt.Printf("%s → refused (%s); wallet still %s\n", what, pe.Code, w.Balance)
	return nil
}

// last4 is what a receipt shows of a token.
func last4(s string) string {
	if len(s) < 4 {
		return ""
	}
	return s[len(s)-4:]
}
