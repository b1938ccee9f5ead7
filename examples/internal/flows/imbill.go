package flows

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"

	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/pay/account"
	"github.com/paykit-go/paykit/pay/im"
	"github.com/paykit-go/paykit/pay/paytest"
)

// IMBill is the IM payment flow: a customer with two outstanding bills
// pays one by chatting with the payment subsystem through the backend's
// relay — every request sealed (HPKE, signed by the phone's device key),
// every prompt sealed back — and a message altered in transit is refused.
func IMBill(ctx context.Context, srv *paytest.Server) error {
	cny := func(s string) pay.Money { m, _ := pay.ParseMoney(s, "CNY"); return m }
	operator := account.NewClient(srv.AdminClient)
	merchant := account.NewClient(srv.Client)
	device := account.NewClient(srv.DeviceClient)

	water, err := operator.CreateMerchant(ctx, "City Water")
	if err != nil {
		return err
	}
	power, err := operator.CreateMerchant(ctx, "Grid Power")
	if err != nil {
		return err
	}
	cus, err := merchant.CreateCustomer(ctx, account.CreateCustomerRequest{Name: "Han Mei", Phone: "+8613600136000"})
	if err != nil {
		return err
	}
	wallet, err := merchant.OpenWallet(ctx, cus.ID, "CNY")
	if err != nil {
		return err
	}
	if _, err := device.TopUp(ctx, account.TopUpRequest{WalletID: wallet.ID, Amount: cny("300.00"), Source: account.SourceMachine, TerminalID: "kiosk-2"}); err != nil {
		return err
	}
	for _, b := range []account.CreateBillRequest{
		{CustomerID: cus.ID, MerchantID: water.ID, Amount: cny("86.40"), Description: "Water, October"},
		{CustomerID: cus.ID, MerchantID: power.ID, Amount: cny("152.30"), Description: "Electricity, October"},
	} {
		if _, err := merchant.CreateBill(ctx, b); err != nil {
			return err
		}
	}
	fmt.Printf("backend: %s has a wallet with 300.00 CNY and two outstanding bills\n", cus.Name)

	// The phone: a device signing key and an HPKE key prompts are sealed to.
	_, signer, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	seal, err := im.GenerateKey(im.SuiteX25519)
	if err != nil {
		return err
	}
	keys, err := im.FetchKeys(ctx, srv.DeviceClient)
	if err != nil {
		return err
	}
	sub, err := keys.For(im.SuiteX25519)
	if err != nil {
		return err
	}
	phone, err := im.NewClient(srv.DeviceClient, "phone-hanmei", signer, seal, sub, im.WithClientClock(srv.Backend))
	if err != nil {
		return err
	}
	if _, err := phone.Register(ctx, cus.ID); err != nil {
		return err
	}
	const password = "730516"
	if err := phone.SetPassword(ctx, cus.ID, password); err != nil {
		return err
	}
	fmt.Println("phone: registered its device keys and preset the payment password")

	conv := "conv-" + strings.ToLower(cus.ID[len(cus.ID)-8:])
	var after int64
	ask := func(req im.Request) (im.Prompt, error) {
		if err := phone.Send(ctx, conv, req); err != nil {
			return im.Prompt{}, err
		}
		got, err := phone.Fetch(ctx, conv, after)
		if err != nil {
			return im.Prompt{}, err
		}
		if len(got) == 0 {
			return im.Prompt{}, errors.New("no prompt came back")
		}
		last := got[len(got)-1]
		after = last.Seq
		if last.Err != nil {
			return im.Prompt{}, last.Err
		}
		fmt.Printf("  subsystem → phone (sealed): %s\n", strings.ReplaceAll(last.Prompt.Text(), "\n", "\n                              "))
		return last.Prompt, nil
	}

	fmt.Println("phone → subsystem (sealed): what do I owe?")
	p, err := ask(im.Request{Kind: im.RequestStart, CustomerID: cus.ID})
	if err != nil {
		return err
	}
	if p.Kind != im.PromptChooseBill || len(p.Bills) != 2 {
		return fmt.Errorf("expected a choice of 2 bills, got %s with %d", p.Kind, len(p.Bills))
	}
	bill := p.Bills[0]
	fmt.Printf("phone → subsystem (sealed): bill %s\n", bill.ID)
	if p, err = ask(im.Request{Kind: im.RequestChooseBill, CustomerID: cus.ID, BillID: bill.ID}); err != nil {
		return err
	}
	if p.Kind != im.PromptEnterPassword {
		return fmt.Errorf("expected a password prompt, got %s", p.Kind)
	}
	fmt.Println("phone → subsystem (sealed): pay it from my wallet, password ******")
	if p, err = ask(im.Request{Kind: im.RequestPay, CustomerID: cus.ID, BillID: bill.ID, WalletID: wallet.ID, Amount: bill.Amount, Password: password}); err != nil {
		return err
	}
	if p.Kind != im.PromptResult || !p.Paid || !p.Cleared {
		return fmt.Errorf("expected a paid and cleared result, got %+v", p)
	}

	w, err := device.Wallet(ctx, wallet.ID)
	if err != nil {
		return err
	}
	left, err := device.Bills(ctx, cus.ID, account.BillOutstanding)
	if err != nil {
		return err
	}
	if len(left) != 1 || left[0].ID == bill.ID {
		return fmt.Errorf("expected the other bill alone outstanding, got %d", len(left))
	}
	fmt.Printf("books: wallet %s (300.00 − %s); still outstanding: %s %s\n", w.Balance, bill.Amount, left[0].Description, left[0].Amount)

	// An attacker on the IM server alters a sealed request in transit.
	body, _, err := phone.Seal(conv, im.Request{Kind: im.RequestPay, CustomerID: cus.ID, BillID: left[0].ID, WalletID: wallet.ID, Amount: left[0].Amount, Password: password})
	if err != nil {
		return err
	}
	i := len(body) - 10
	flipped := body[:i] + string("AB"[boolIndex(body[i] == 'A')]) + body[i+1:]
	err = im.NewHTTPRelay(srv.DeviceClient).Post(ctx, conv, sub.SealKey.ID(), flipped)
	if err == nil {
		return errors.New("an altered message was accepted")
	}
	var pe *pay.Error
	errors.As(err, &pe)
	fmt.Printf("attacker: one character of a sealed request changed in transit → refused by the subsystem (%s)\n", pe.Code)
	if again, err := device.Bills(ctx, cus.ID, account.BillOutstanding); err != nil || len(again) != 1 {
		return fmt.Errorf("the altered request changed the bills: %v", err)
	}
	fmt.Println("books: nothing deducted, the other bill still outstanding")
	return nil
}

func boolIndex(b bool) int {
	if b {
		return 1
	}
	return 0
}
