package im_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/pay/account"
	"github.com/paykit-go/paykit/pay/im"
	"github.com/paykit-go/paykit/pay/paytest"
)

// An IM client pays one of two outstanding bills through the reference
// backend's relay, answering the subsystem's prompts; a message altered in
// transit is refused by the relay.
func ExampleClient() {
	ctx := context.Background()
	srv, _ := paytest.NewServer()
	defer srv.Close()

	// The biller's and the customer's records, on the account platform.
	p := srv.Platform
	utility, _ := p.CreateMerchant(ctx, "City Water & Power")
	cus, _ := p.CreateCustomer(ctx, "Li Lei", "+8613800138000")
	w, _ := p.OpenWallet(ctx, cus.ID, "CNY")
	_, _ = p.TopUp(ctx, account.TopUpRequest{WalletID: w.ID, Amount: pay.Money{Amount: 500_00, Currency: "CNY"}, Source: account.SourceMachine, TerminalID: "kiosk-1"})
	water, _ := p.CreateBill(ctx, account.CreateBillRequest{CustomerID: cus.ID, MerchantID: utility.ID, Amount: pay.Money{Amount: 86_40, Currency: "CNY"}, Description: "Water, October"})
	_ = srv.Advance(1)
	_, _ = p.CreateBill(ctx, account.CreateBillRequest{CustomerID: cus.ID, MerchantID: utility.ID, Amount: pay.Money{Amount: 31_80, Currency: "CNY"}, Description: "Power, October"})

	// The phone: its keys, the subsystem's published keys, registration
	// and the payment password.
	_, signer, _ := ed25519.GenerateKey(rand.Reader)
	sealKey, _ := im.GenerateKey(im.SuiteX25519)
	keys, _ := im.FetchKeys(ctx, srv.DeviceClient)
	sub, _ := keys.For(im.SuiteX25519)
	phone, _ := im.NewClient(srv.DeviceClient, "phone-li", signer, sealKey, sub, im.WithClientClock(srv.Backend))
	_, _ = phone.Register(ctx, cus.ID)
	_ = phone.SetPassword(ctx, cus.ID, "river-Stone-71")

	conv := im.NewConversationID()
	var seen int64
	show := func(req im.Request) im.Prompt {
		if err := phone.Send(ctx, conv, req); err != nil {
			fmt.Println("refused:", err)
		}
		ds, _ := phone.Fetch(ctx, conv, seen)
		seen = ds[len(ds)-1].Seq
		return ds[len(ds)-1].Prompt
	}
	fmt.Println(show(im.Request{Kind: im.RequestStart, CustomerID: cus.ID}).Text())
	ask := show(im.Request{Kind: im.RequestChooseBill, CustomerID: cus.ID, BillID: water.ID})
	fmt.Println(ask.Kind, ask.Amount, ask.AttemptsLeft, "attempts")

	// Altered in transit: the relay refuses it.
	body, _, _ := phone.Seal(conv, im.Request{Kind: im.RequestPay, CustomerID: cus.ID, BillID: water.ID, WalletID: w.ID, Amount: ask.Amount, Password: "river-Stone-71"})
	i := len(body) - 20 // a character of the ciphertext
	altered := body[:i] + "x" + body[i+1:]
	if body[i] == 'x' {
		altered = body[:i] + "y" + body[i+1:]
	}
	err := im.NewHTTPRelay(srv.DeviceClient).Post(ctx, conv, sub.SealKey.ID(), altered)
	fmt.Println("altered:", errors.Is(err, im.ErrOpen))

	res := show(im.Request{Kind: im.RequestPay, CustomerID: cus.ID, BillID: water.ID, WalletID: w.ID, Amount: ask.Amount, Password: "river-Stone-71"})
	fmt.Println("paid:", res.Paid, res.Amount, "cleared:", res.Cleared)
	after, _ := p.Wallet(ctx, w.ID)
	fmt.Println("wallet:", after.Balance)
	fmt.Println(show(im.Request{Kind: im.RequestStart, CustomerID: cus.ID}).Text())
	// Output:
	// Outstanding bills:
	// 1) Water, October — 86.40 CNY
	// 2) Power, October — 31.80 CNY
	// Reply with the number of the bill to pay.
	// enter_password 86.40 CNY 5 attempts
	// altered: true
	// paid: true 86.40 CNY cleared: true
	// wallet: 413.60 CNY
	// Outstanding bills:
	// 1) Power, October — 31.80 CNY
	// Reply with the number of the bill to pay.
}

// The engine alone: a subsystem with its default in-memory relay refuses
// what it can't open before anything is stored, and answers an authentic
// request with a prompt sealed to the device.
func ExampleSubsystem_Receive() {
	ctx := context.Background()
	p, _ := account.New()
	cus, _ := p.CreateCustomer(ctx, "Li Lei", "")
	key, _ := im.GenerateKey(im.SuiteX25519)
	_, subSigner, _ := ed25519.GenerateKey(rand.Reader)
	s, _ := im.NewSubsystem(p, key, subSigner)

	_, devSigner, _ := ed25519.GenerateKey(rand.Reader)
	devKey, _ := im.GenerateKey(im.SuiteX25519)
	_, _ = s.RegisterDevice(ctx, im.Device{ID: "phone-1", CustomerID: cus.ID, SigningKey: devSigner.Public().(ed25519.PublicKey), SealKey: devKey.Public()})

	relay := s.Relay()
	err := relay.Post(ctx, "c1", key.Public().ID(), "pay bill 1, password 123456")
	fmt.Println("plain text:", errors.Is(err, im.ErrMalformed))

	payload, _ := im.EncodeRequest(im.Request{Kind: im.RequestStart, CustomerID: cus.ID})
	body, _ := im.Seal(im.Header{MessageID: im.NewMessageID(), ConversationID: "c1", SenderID: "phone-1", Timestamp: time.Now()}, key.Public(), devSigner, payload)
	fmt.Println("sealed:", relay.Post(ctx, "c1", key.Public().ID(), body))

	msgs, _ := relay.Fetch(ctx, "c1", devKey.Public().ID(), 0)
	env, _ := im.ParseEnvelope(msgs[0].Body)
	plain, _ := env.Open(devKey, func(string) (ed25519.PublicKey, error) { return s.SigningKey(), nil })
	prompt, _ := im.DecodePrompt(plain)
	fmt.Println(prompt.Text())
	// Output:
	// plain text: true
	// sealed: <nil>
	// You have no outstanding bills.
}
