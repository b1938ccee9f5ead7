package im_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/pay/im"
)

// A client seals a pay request to the payment subsystem; the subsystem
// reads the header to route it, opens it, checks who signed, and decodes
// the request. One character changed on the way and it does not open.
func ExampleSeal() {
	// The subsystem's HPKE key: clients know its public half.
	subsystem, err := im.GenerateKey(im.SuiteX25519)
	if err != nil {
		panic(err)
	}
	// A client device's Ed25519 key, registered with the subsystem.
	devicePub, deviceKey, _ := ed25519.GenerateKey(rand.Reader)
	devices := func(id string) (ed25519.PublicKey, error) {
		if id != "dev_phone" {
			return nil, errors.New("unknown device")
		}
		return devicePub, nil
	}

	payload, err := im.EncodeRequest(im.Request{
		Kind:       im.RequestPay,
		CustomerID: "cus_aaaaaaaaaaaaaaaaaaaaaaaaaa",
		BillID:     "bill_bbbbbbbbbbbbbbbbbbbbbbbbbb",
		WalletID:   "wal_dddddddddddddddddddddddddd",
		Amount:     pay.Money{Amount: 8640, Currency: "CNY"},
		Password:   "Secr3t-pw!",
	})
	if err != nil {
		panic(err)
	}
	text, err := im.Seal(im.Header{
		MessageID:      im.NewMessageID(),
		ConversationID: "conv_42",
		SenderID:       "dev_phone",
		Timestamp:      time.Now(),
	}, subsystem.Public(), deviceKey, payload)
	if err != nil {
		panic(err)
	}
	fmt.Println("IM body starts with", text[:len(im.TextPrefix)])

	// The subsystem: the header is readable before opening.
	e, err := im.ParseEnvelope(text)
	if err != nil {
		panic(err)
	}
	fmt.Println("conversation", e.Header.ConversationID, "from", e.Header.SenderID, "to me:", e.Header.To == subsystem.Public().ID())
	opened, err := e.Open(subsystem, devices)
	if err != nil {
		panic(err)
	}
	req, err := im.DecodeRequest(opened)
	if err != nil {
		panic(err)
	}
	fmt.Println(req) // the password is redacted

	// A relay that changes one character: the envelope no longer opens.
	i := len(text) - 10
	c := "A"
	if text[i] == 'A' {
		c = "B"
	}
	tampered, err := im.ParseEnvelope(text[:i] + c + text[i+1:])
	if err == nil {
		_, err = tampered.Open(subsystem, devices)
	}
	fmt.Println("tampered:", errors.Is(err, im.ErrOpen))
	// Output:
	// IM body starts with PKIM1.
	// conversation conv_42 from dev_phone to me: true
	// im.Request{kind=pay customer=cus_aaaaaaaaaaaaaaaaaaaaaaaaaa bill=bill_bbbbbbbbbbbbbbbbbbbbbbbbbb wallet=wal_dddddddddddddddddddddddddd amount=86.40 CNY password=[redacted]}
	// tampered: true
}

// The prompts a client shows, one of each kind.
func ExamplePrompt_Text() {
	cny := func(n int64) pay.Money { return pay.Money{Amount: n, Currency: "CNY"} }
	for _, p := range []im.Prompt{
		{Kind: im.PromptChooseBill, Bills: []im.BillItem{
			{ID: "bill_bbbbbbbbbbbbbbbbbbbbbbbbbb", Description: "Water bill", Amount: cny(8640)},
			{ID: "bill_cccccccccccccccccccccccccc", Description: "Electricity, May", Amount: cny(12000)},
		}},
		{Kind: im.PromptEnterPassword, BillID: "bill_bbbbbbbbbbbbbbbbbbbbbbbbbb", Amount: cny(8640), AttemptsLeft: 4},
		{Kind: im.PromptResult, Paid: true, Cleared: true, BillID: "bill_bbbbbbbbbbbbbbbbbbbbbbbbbb", Amount: cny(8640), TransactionID: "txn_eeeeeeeeeeeeeeeeeeeeeeeeee"},
		im.ErrorPrompt(pay.Errorf(im.ErrAmount, "amount", "the bill is 86.40 CNY")),
	} {
		b, err := im.EncodePrompt(p) // the subsystem seals these bytes
		if err != nil {
			panic(err)
		}
		got, err := im.DecodePrompt(b) // the client opens and decodes them
		if err != nil {
			panic(err)
		}
		fmt.Println(got.Text())
	}
	// Output:
	// Outstanding bills:
	// 1) Water bill — 86.40 CNY
	// 2) Electricity, May — 120.00 CNY
	// Reply with the number of the bill to pay.
	// Enter your payment password for bill bill_bbbbbbbbbbbbbbbbbbbbbbbbbb (86.40 CNY) (4 attempts left).
	// Paid 86.40 CNY; bill bill_bbbbbbbbbbbbbbbbbbbbbbbbbb cleared. Transaction txn_eeeeeeeeeeeeeeeeeeeeeeeeee.
	// Error (im_amount_mismatch): the bill is 86.40 CNY.
}

// A subsystem publishes its public key as text; a client reads it back
// with its suite.
func ExamplePublicKey_MarshalText() {
	k, err := im.GenerateKey(im.SuiteHybrid)
	if err != nil {
		panic(err)
	}
	text, _ := k.Public().MarshalText()
	var pub im.PublicKey
	if err := pub.UnmarshalText(text); err != nil {
		panic(err)
	}
	fmt.Println(pub.Suite(), pub.Equal(k.Public()), len(pub.ID()), im.Overhead(pub.Suite()))
	// Output:
	// mlkem768x25519 true 13 1236
}
