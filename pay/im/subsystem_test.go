package im_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/paykit-go/paykit/internal/clock"
	"github.com/paykit-go/paykit/internal/passwd"
	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/pay/account"
	"github.com/paykit-go/paykit/pay/im"
	"github.com/paykit-go/paykit/verify"
)

const (
	hjPassword = "correct-Horse-42"
	hjWrong    = "wrong-Horse-42"
	hjFunds    = 5000_00 // the wallet's top-up, CNY minor units
)

var hjStart = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

func hjCNY(a int64) pay.Money { return pay.Money{Amount: a, Currency: "CNY"} }

// hjEnv is a payment subsystem on its own platform and in-memory relay,
// on a fake clock, with a customer whose CNY wallet holds 5,000.00 and who
// owes two bills (water 1,234.57 then power 318.26), a payment password and
// a registered device.
type hjEnv struct {
	t        testing.TB
	ctx      context.Context
	clk      *clock.Fake
	platform *account.Platform
	sub      *im.Subsystem
	relay    *im.MemRelay
	key      *im.PrivateKey // the subsystem's X25519 key
	signer   ed25519.PrivateKey
	passwds  *passwd.Store
	merchant account.Merchant
	customer account.Customer
	wallet   account.Wallet
	water    account.Bill
	power    account.Bill
	dev      *hjDevice
	logs     *hjLockedBuffer
}

// hjDevice is an IM client: its keys and, per conversation, the last
// relay sequence number it read.
type hjDevice struct {
	id         string
	customerID string
	signer     ed25519.PrivateKey
	seal       *im.PrivateKey
	last       map[string]int64
}

type hjOptions struct {
	opts   []im.Option
	hybrid bool // the subsystem also holds a hybrid key
}

func hjNew(t testing.TB, o ...func(*hjOptions)) *hjEnv {
	t.Helper()
	var cfg hjOptions
	for _, f := range o {
		f(&cfg)
	}
	e := &hjEnv{t: t, ctx: context.Background(), clk: clock.NewFake(hjStart), logs: &hjLockedBuffer{}}
	var err error
	if e.platform, err = account.New(account.WithClock(e.clk)); err != nil {
		t.Fatal(err)
	}
	e.merchant = hjMust(e.platform.CreateMerchant(e.ctx, "City Water & Power"))
	e.customer = hjMust(e.platform.CreateCustomer(e.ctx, "Li Lei", "+8613800138000"))
	e.wallet = e.openWallet(e.customer.ID, hjFunds)
	e.water = e.bill(e.customer.ID, 1234_57, "Water, October")
	e.power = e.bill(e.customer.ID, 318_26, "Power, October")

	e.key = hjMust(im.GenerateKey(im.SuiteX25519))
	_, e.signer, _ = ed25519.GenerateKey(rand.Reader)
	e.passwds = hjMust(passwd.NewStore(passwd.WithClock(e.clk)))
	e.relay = hjMust(im.NewMemRelay(im.WithRelayClock(e.clk)))
	opts := []im.Option{
		im.WithClock(e.clk), im.WithPasswords(e.passwds), im.WithRelay(e.relay),
		im.WithLogger(slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
	}
	if cfg.hybrid {
		opts = append(opts, im.WithKey(hjMust(im.GenerateKey(im.SuiteHybrid))))
	}
	e.sub = hjMust(im.NewSubsystem(e.platform, e.key, e.signer, append(opts, cfg.opts...)...))
	for _, k := range e.sub.Keys() {
		e.relay.Subscribe(k.ID(), e.sub.Receive)
	}
	if err := e.sub.SetPassword(e.ctx, e.customer.ID, hjPassword); err != nil {
		t.Fatal(err)
	}
	e.dev = e.device(e.customer.ID, im.SuiteX25519)
	return e
}

func hjMust[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func (e *hjEnv) openWallet(customerID string, funds int64) account.Wallet {
	e.t.Helper()
	w, err := e.platform.OpenWallet(e.ctx, customerID, "CNY")
	if err != nil {
		e.t.Fatal(err)
	}
	if funds > 0 {
		if _, err := e.platform.TopUp(e.ctx, account.TopUpRequest{WalletID: w.ID, Amount: hjCNY(funds), Source: account.SourceMachine, TerminalID: "kiosk-1"}); err != nil {
			e.t.Fatal(err)
		}
	}
	return w
}

func (e *hjEnv) bill(customerID string, amount int64, what string) account.Bill {
	e.t.Helper()
	e.clk.Advance(time.Second) // bills list oldest first
	b, err := e.platform.CreateBill(e.ctx, account.CreateBillRequest{CustomerID: customerID, MerchantID: e.merchant.ID, Amount: hjCNY(amount), Description: what})
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

// device registers a new device for the customer with a seal key of
// suite s.
func (e *hjEnv) device(customerID string, s im.Suite) *hjDevice {
	e.t.Helper()
	_, signer, _ := ed25519.GenerateKey(rand.Reader)
	d := &hjDevice{id: "phone-" + im.NewMessageID()[:8], customerID: customerID, signer: signer, seal: hjMust(im.GenerateKey(s)), last: map[string]int64{}}
	if _, err := e.sub.RegisterDevice(e.ctx, im.Device{ID: d.id, CustomerID: customerID, SigningKey: signer.Public().(ed25519.PublicKey), SealKey: d.seal.Public()}); err != nil {
		e.t.Fatal(err)
	}
	return d
}

// customerWith makes another customer with a wallet (funds) and a
// password, and a device of theirs.
func (e *hjEnv) customerWith(funds int64) (account.Customer, account.Wallet, *hjDevice) {
	e.t.Helper()
	c := hjMust(e.platform.CreateCustomer(e.ctx, "Han Meimei", ""))
	w := e.openWallet(c.ID, funds)
	if err := e.sub.SetPassword(e.ctx, c.ID, hjPassword); err != nil {
		e.t.Fatal(err)
	}
	return c, w, e.device(c.ID, im.SuiteX25519)
}

// header is the header the device would seal now in the conversation.
func (e *hjEnv) header(d *hjDevice, conv string) im.Header {
	return im.Header{MessageID: im.NewMessageID(), ConversationID: conv, SenderID: d.id, Timestamp: e.clk.Now()}
}

// seal seals req from the device to the subsystem's X25519 key, after
// mod changes the header.
func (e *hjEnv) seal(d *hjDevice, conv string, req im.Request, mod func(*im.Header)) (string, im.Header) {
	e.t.Helper()
	h := e.header(d, conv)
	if mod != nil {
		mod(&h)
	}
	payload, err := im.EncodeRequest(req)
	if err != nil {
		e.t.Fatal(err)
	}
	body, err := im.Seal(h, e.key.Public(), d.signer, payload)
	if err != nil {
		e.t.Fatal(err)
	}
	return body, h
}

// post posts a body for the subsystem through the relay.
func (e *hjEnv) post(conv, body string) error {
	return e.relay.Post(e.ctx, conv, e.key.Public().ID(), body)
}

// prompts opens the prompts the relay holds for the device in the
// conversation since it last read, checking the subsystem's signature.
func (e *hjEnv) prompts(d *hjDevice, conv string) []im.Prompt {
	e.t.Helper()
	msgs, err := e.relay.Fetch(e.ctx, conv, d.seal.Public().ID(), d.last[conv])
	if err != nil {
		e.t.Fatal(err)
	}
	var out []im.Prompt
	for _, m := range msgs {
		d.last[conv] = m.Seq
		env, err := im.ParseEnvelope(m.Body)
		if err != nil {
			e.t.Fatalf("prompt %d: %v", m.Seq, err)
		}
		payload, err := env.Open(d.seal, func(id string) (ed25519.PublicKey, error) {
			if id != im.SubsystemSender {
				return nil, errors.New("not the subsystem")
			}
			return e.sub.SigningKey(), nil
		})
		if err != nil {
			e.t.Fatalf("prompt %d: %v", m.Seq, err)
		}
		p, err := im.DecodePrompt(payload)
		if err != nil {
			e.t.Fatalf("prompt %d: %v", m.Seq, err)
		}
		out = append(out, p)
	}
	return out
}

// ask sends req from the device and returns the one prompt answering it.
func (e *hjEnv) ask(d *hjDevice, conv string, req im.Request) im.Prompt {
	e.t.Helper()
	body, h := e.seal(d, conv, req, nil)
	return e.askBody(d, conv, body, h.MessageID)
}

// askBody posts a sealed body, which must be accepted, and returns the one
// prompt answering it.
func (e *hjEnv) askBody(d *hjDevice, conv, body, messageID string) im.Prompt {
	e.t.Helper()
	if err := e.post(conv, body); err != nil {
		e.t.Fatalf("post: %v", err)
	}
	ps := e.prompts(d, conv)
	if len(ps) != 1 {
		e.t.Fatalf("%d prompts answer one request: %+v", len(ps), ps)
	}
	if ps[0].InReplyTo != messageID {
		e.t.Fatalf("prompt answers %q, want %q", ps[0].InReplyTo, messageID)
	}
	return ps[0]
}

// The requests of the customer's device.
func (e *hjEnv) start() im.Request {
	return im.Request{Kind: im.RequestStart, CustomerID: e.customer.ID}
}

func (e *hjEnv) choose(b account.Bill) im.Request {
	return im.Request{Kind: im.RequestChooseBill, CustomerID: e.customer.ID, BillID: b.ID}
}

func (e *hjEnv) pay(b account.Bill, password string) im.Request {
	return im.Request{Kind: im.RequestPay, CustomerID: e.customer.ID, BillID: b.ID, WalletID: e.wallet.ID, Amount: b.Amount, Password: password}
}

// toPassword starts a conversation and chooses b in it.
func (e *hjEnv) toPassword(d *hjDevice, conv string, b account.Bill) {
	e.t.Helper()
	hjKind(e.t, e.ask(d, conv, e.start()), im.PromptChooseBill)
	hjKind(e.t, e.ask(d, conv, e.choose(b)), im.PromptEnterPassword)
}

func hjKind(t testing.TB, p im.Prompt, kind im.PromptKind) {
	t.Helper()
	if p.Kind != kind {
		t.Fatalf("prompt %s (%s), want %s", p.Kind, p.Text(), kind)
	}
}

// hjRefused checks p is an error prompt matching kind.
func hjRefused(t testing.TB, p im.Prompt, kind *pay.Error) {
	t.Helper()
	if p.Kind != im.PromptError || !errors.Is(p.Err(), kind) {
		t.Fatalf("prompt %s (%s), want error %s", p.Kind, p.Text(), kind.Code)
	}
}

func hjIs(t testing.TB, what string, err error, kind *pay.Error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("%s: err = %v, want %s", what, err, kind.Code)
	}
}

func (e *hjEnv) balance(walletID string) int64 {
	e.t.Helper()
	w, err := e.platform.Wallet(e.ctx, walletID)
	if err != nil {
		e.t.Fatal(err)
	}
	return w.Balance.Amount
}

func (e *hjEnv) status(b account.Bill) account.BillStatus {
	e.t.Helper()
	got, err := e.platform.Bill(e.ctx, b.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return got.Status
}

// untouched checks nothing was deducted or cleared: the wallet holds its
// top-up, both bills are outstanding, the merchant received nothing.
func (e *hjEnv) untouched() {
	e.t.Helper()
	if got := e.balance(e.wallet.ID); got != hjFunds {
		e.t.Fatalf("wallet holds %d, want %d: something was deducted", got, hjFunds)
	}
	for _, b := range []account.Bill{e.water, e.power} {
		if s := e.status(b); s != account.BillOutstanding {
			e.t.Fatalf("bill %s is %s, want outstanding", b.Description, s)
		}
	}
	if m := hjMust(e.platform.MerchantBalance(e.ctx, e.merchant.ID, "CNY")); m.Amount != 0 {
		e.t.Fatalf("merchant received %v", m)
	}
}

// hjLockedBuffer is a bytes.Buffer safe for a logger shared by goroutines.
type hjLockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *hjLockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *hjLockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestSubsystemConversation: a customer with two outstanding bills asks
// for the arrears (both listed, oldest first, with amounts and texts),
// chooses the power bill, is asked for the password with 5 attempts, pays
// and is told it is paid and cleared; the power bill is paid with that
// transaction, the water bill still outstanding, the wallet debited by
// exactly the bill and the merchant credited by it; a new start lists only
// the water bill.
func TestSubsystemConversation(t *testing.T) {
	e := hjNew(t)
	conv := im.NewConversationID()

	p := e.ask(e.dev, conv, e.start())
	hjKind(t, p, im.PromptChooseBill)
	want := []im.BillItem{
		{ID: e.water.ID, Description: "Water, October", Amount: hjCNY(1234_57)},
		{ID: e.power.ID, Description: "Power, October", Amount: hjCNY(318_26)},
	}
	if d := cmp.Diff(want, p.Bills); d != "" {
		t.Fatalf("bills (-want +got):\n%s", d)
	}
	if txt := p.Text(); !strings.Contains(txt, "1) Water, October — 1234.57 CNY") || !strings.Contains(txt, "2) Power, October — 318.26 CNY") {
		t.Fatalf("text:\n%s", txt)
	}
	if c := hjMust(e.sub.Conversation(e.ctx, conv)); c.Step != im.StepChooseBill || c.DeviceID != e.dev.id || c.CustomerID != e.customer.ID {
		t.Fatalf("conversation after start: %+v", c)
	}

	p = e.ask(e.dev, conv, e.choose(e.power))
	if d := cmp.Diff(im.Prompt{Kind: im.PromptEnterPassword, InReplyTo: p.InReplyTo, BillID: e.power.ID, Amount: hjCNY(318_26), AttemptsLeft: 5}, p); d != "" {
		t.Fatalf("enter_password (-want +got):\n%s", d)
	}

	p = e.ask(e.dev, conv, e.pay(e.power, hjPassword))
	hjKind(t, p, im.PromptResult)
	paid := hjMust(e.platform.Bill(e.ctx, e.power.ID))
	if !p.Paid || !p.Cleared || p.BillID != e.power.ID || p.Amount != hjCNY(318_26) || p.TransactionID == "" || p.TransactionID != paid.TransactionID {
		t.Fatalf("result %+v; bill %+v", p, paid)
	}
	if paid.Status != account.BillPaid || e.status(e.water) != account.BillOutstanding {
		t.Fatalf("power %s, water %s; want paid and outstanding", paid.Status, e.status(e.water))
	}
	if got := e.balance(e.wallet.ID); got != hjFunds-318_26 {
		t.Fatalf("wallet %d, want %d", got, hjFunds-318_26)
	}
	if m := hjMust(e.platform.MerchantBalance(e.ctx, e.merchant.ID, "CNY")); m.Amount != 318_26 {
		t.Fatalf("merchant received %v", m)
	}
	if c := hjMust(e.sub.Conversation(e.ctx, conv)); c.Step != im.StepDone {
		t.Fatalf("conversation after paying: %+v", c)
	}

	// Paid: the conversation has ended; paying again needs a new choice.
	hjRefused(t, e.ask(e.dev, conv, e.pay(e.power, hjPassword)), im.ErrUnexpected)
	p = e.ask(e.dev, conv, e.start())
	if len(p.Bills) != 1 || p.Bills[0].ID != e.water.ID {
		t.Fatalf("arrears after paying: %+v", p.Bills)
	}
	if got := e.balance(e.wallet.ID); got != hjFunds-318_26 {
		t.Fatalf("wallet %d after the refused repeat", got)
	}
}

// TestSubsystemNoArrears: a customer without bills is told so.
func TestSubsystemNoArrears(t *testing.T) {
	e := hjNew(t)
	c, _, d := e.customerWith(100_00)
	p := e.ask(d, "c1", im.Request{Kind: im.RequestStart, CustomerID: c.ID})
	hjKind(t, p, im.PromptChooseBill)
	if len(p.Bills) != 0 || p.Text() != "You have no outstanding bills." {
		t.Fatalf("prompt %+v %q", p, p.Text())
	}
}

// TestSubsystemCancel: cancel ends the conversation without paying; a pay
// after it is out of order.
func TestSubsystemCancel(t *testing.T) {
	e := hjNew(t)
	e.toPassword(e.dev, "c1", e.water)
	p := e.ask(e.dev, "c1", im.Request{Kind: im.RequestCancel, CustomerID: e.customer.ID})
	if p.Kind != im.PromptResult || p.Paid || p.BillID != e.water.ID || p.Reason == "" {
		t.Fatalf("cancel answered %+v", p)
	}
	hjRefused(t, e.ask(e.dev, "c1", e.pay(e.water, hjPassword)), im.ErrUnexpected)
	e.untouched()
}

// TestSubsystemRelayRejections: a message that can't be opened or
// authenticated is refused to the relay with its sentinel: the relay stores
// nothing, the device gets no prompt, and nothing is deducted.
func TestSubsystemRelayRejections(t *testing.T) {
	e := hjNew(t)
	other := hjMust(im.GenerateKey(im.SuiteX25519))
	_, stranger, _ := ed25519.GenerateKey(rand.Reader)
	second := e.device(e.customer.ID, im.SuiteX25519)
	payload := hjMust(im.EncodeRequest(e.pay(e.water, hjPassword)))
	// flip changes one character of the text at i to another base64url
	// character.
	flip := func(body string, i int) string {
		c := byte('A')
		if body[i] == 'A' {
			c = 'B'
		}
		return body[:i] + string(c) + body[i+1:]
	}
	cases := []struct {
		name string
		conv string
		body func(conv string) string
		want *pay.Error
	}{
		{"sealed to another key", "r1", func(conv string) string {
			return hjMust(im.Seal(e.header(e.dev, conv), other.Public(), e.dev.signer, payload))
		}, im.ErrOpen},
		{"sealed to another key, header naming the subsystem's", "r2", func(conv string) string {
			// The header claims the subsystem's key ID; the ciphertext is
			// for another key.
			body := hjMust(im.Seal(e.header(e.dev, conv), other.Public(), e.dev.signer, payload))
			env := hjMust(im.ParseEnvelope(body))
			env.Header.To = e.key.Public().ID()
			return env.Text()
		}, im.ErrOpen},
		{"altered ciphertext", "r3", func(conv string) string {
			body, _ := e.seal(e.dev, conv, e.pay(e.water, hjPassword), nil)
			return flip(body, len(body)-10)
		}, im.ErrOpen},
		{"altered header timestamp", "r4", func(conv string) string {
			body, _ := e.seal(e.dev, conv, e.pay(e.water, hjPassword), nil)
			env := hjMust(im.ParseEnvelope(body))
			env.Header.Timestamp = env.Header.Timestamp.Add(time.Millisecond)
			return env.Text()
		}, im.ErrOpen},
		{"altered header conversation", "r5x", func(conv string) string {
			body, _ := e.seal(e.dev, "r5y", e.pay(e.water, hjPassword), nil)
			env := hjMust(im.ParseEnvelope(body))
			env.Header.ConversationID = conv
			return env.Text()
		}, im.ErrOpen},
		{"altered sender", "r6", func(conv string) string {
			body, _ := e.seal(e.dev, conv, e.pay(e.water, hjPassword), nil)
			env := hjMust(im.ParseEnvelope(body))
			env.Header.SenderID = second.id
			return env.Text()
		}, im.ErrOpen},
		{"unknown device", "r7", func(conv string) string {
			h := e.header(e.dev, conv)
			h.SenderID = "phone-unregistered"
			return hjMust(im.Seal(h, e.key.Public(), stranger, payload))
		}, im.ErrUnknownDevice},
		{"the subsystem's own sender ID", "r8", func(conv string) string {
			h := e.header(e.dev, conv)
			h.SenderID = im.SubsystemSender
			return hjMust(im.Seal(h, e.key.Public(), stranger, payload))
		}, im.ErrUnknownDevice},
		{"signed by another device", "r9", func(conv string) string {
			// Claims to be e.dev, signed with the second device's key.
			return hjMust(im.Seal(e.header(e.dev, conv), e.key.Public(), second.signer, payload))
		}, im.ErrSignature},
		{"posted to another conversation", "r10x", func(string) string {
			body, _ := e.seal(e.dev, "r10y", e.pay(e.water, hjPassword), nil)
			return body
		}, im.ErrMalformed},
		{"not an envelope", "r11", func(string) string { return "pay bill " + e.water.ID + " password " + hjPassword }, im.ErrMalformed},
		{"truncated", "r12", func(conv string) string {
			body, _ := e.seal(e.dev, conv, e.pay(e.water, hjPassword), nil)
			return body[:60]
		}, im.ErrMalformed},
		{"too large", "r13", func(string) string { return im.TextPrefix + strings.Repeat("A", im.MaxText) }, im.ErrTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := e.post(tc.conv, tc.body(tc.conv))
			hjIs(t, "post", err, tc.want)
			if m := e.relay.Messages(tc.conv); len(m) != 0 {
				t.Fatalf("the relay stored %d messages of a refused post", len(m))
			}
			if ps := e.prompts(e.dev, tc.conv); len(ps) != 0 {
				t.Fatalf("a refused message was answered: %+v", ps)
			}
			if _, err := e.sub.Conversation(e.ctx, tc.conv); !errors.Is(err, pay.ErrNotFound) {
				t.Fatalf("a refused message made a conversation: %v", err)
			}
			e.untouched()
		})
	}
	if got := e.relay.Conversations(); len(got) != 0 {
		t.Fatalf("the relay holds conversations %v", got)
	}
	// The error text carries no password, and the log no body.
	err := e.post("r14", "pay "+hjPassword)
	if strings.Contains(err.Error(), hjPassword) {
		t.Fatalf("error quotes the body: %v", err)
	}
	if strings.Contains(e.logs.String(), hjPassword) {
		t.Fatal("the log quotes a body")
	}
}

// TestSubsystemErrorPrompts: authentic requests the subsystem refuses get
// a sealed error prompt with the refusal's code, and nothing is deducted
// or cleared.
func TestSubsystemErrorPrompts(t *testing.T) {
	e := hjNew(t)
	other, otherWallet, otherDev := e.customerWith(100_00)
	otherBill := e.bill(other.ID, 50_00, "Gas")
	poor, poorWallet, poorDev := e.customerWith(10_00)
	poorBill := e.bill(poor.ID, 50_00, "Gas")
	n := 0
	conv := func() string { n++; return fmt.Sprintf("e%d", n) }
	rawPayload := func(d *hjDevice, c string, payload []byte) (string, string) {
		h := e.header(d, c)
		return hjMust(im.Seal(h, e.key.Public(), d.signer, payload)), h.MessageID
	}

	cases := []struct {
		name string
		run  func() im.Prompt
		want *pay.Error
	}{
		{"too old", func() im.Prompt {
			c := conv()
			body, h := e.seal(e.dev, c, e.start(), func(h *im.Header) { h.Timestamp = h.Timestamp.Add(-im.MaxAge - time.Second) })
			return e.askBody(e.dev, c, body, h.MessageID)
		}, im.ErrStale},
		{"from the future", func() im.Prompt {
			c := conv()
			body, h := e.seal(e.dev, c, e.start(), func(h *im.Header) { h.Timestamp = h.Timestamp.Add(im.MaxSkew + time.Second) })
			return e.askBody(e.dev, c, body, h.MessageID)
		}, im.ErrStale},
		{"payload not JSON", func() im.Prompt {
			c := conv()
			body, id := rawPayload(e.dev, c, []byte("pay bill please"))
			return e.askBody(e.dev, c, body, id)
		}, im.ErrMalformed},
		{"unknown field", func() im.Prompt {
			c := conv()
			body, id := rawPayload(e.dev, c, []byte(`{"kind":"start","customer_id":"`+e.customer.ID+`","admin":true}`))
			return e.askBody(e.dev, c, body, id)
		}, im.ErrMalformed},
		{"malformed wallet ID", func() im.Prompt {
			c := conv()
			e.toPassword(e.dev, c, e.water)
			body, id := rawPayload(e.dev, c, []byte(`{"kind":"pay","customer_id":"`+e.customer.ID+`","bill_id":"`+e.water.ID+
				`","wallet_id":"wal_NOT-AN-ID","amount":{"amount":123457,"currency":"CNY"},"password":"`+hjPassword+`"}`))
			return e.askBody(e.dev, c, body, id)
		}, im.ErrMalformed},
		{"negative amount", func() im.Prompt {
			c := conv()
			e.toPassword(e.dev, c, e.water)
			body, id := rawPayload(e.dev, c, []byte(`{"kind":"pay","customer_id":"`+e.customer.ID+`","bill_id":"`+e.water.ID+
				`","wallet_id":"`+e.wallet.ID+`","amount":{"amount":-123457,"currency":"CNY"},"password":"`+hjPassword+`"}`))
			return e.askBody(e.dev, c, body, id)
		}, im.ErrMalformed},
		{"another customer named", func() im.Prompt {
			return e.ask(e.dev, conv(), im.Request{Kind: im.RequestStart, CustomerID: other.ID})
		}, im.ErrCustomer},
		{"pay before choosing", func() im.Prompt {
			c := conv()
			hjKind(t, e.ask(e.dev, c, e.start()), im.PromptChooseBill)
			return e.ask(e.dev, c, e.pay(e.water, hjPassword))
		}, im.ErrUnexpected},
		{"pay another bill than the one chosen", func() im.Prompt {
			c := conv()
			e.toPassword(e.dev, c, e.water)
			return e.ask(e.dev, c, e.pay(e.power, hjPassword))
		}, im.ErrUnexpected},
		{"a bill that isn't the user's", func() im.Prompt {
			return e.ask(e.dev, conv(), im.Request{Kind: im.RequestChooseBill, CustomerID: e.customer.ID, BillID: otherBill.ID})
		}, im.ErrBill},
		{"an unknown bill", func() im.Prompt {
			return e.ask(e.dev, conv(), im.Request{Kind: im.RequestChooseBill, CustomerID: e.customer.ID, BillID: pay.NewID(pay.PrefixBill)})
		}, im.ErrBill},
		{"amount lower than the bill", func() im.Prompt {
			c := conv()
			e.toPassword(e.dev, c, e.water)
			r := e.pay(e.water, hjPassword)
			r.Amount = hjCNY(1234_56)
			return e.ask(e.dev, c, r)
		}, im.ErrAmount},
		{"amount in another currency", func() im.Prompt {
			c := conv()
			e.toPassword(e.dev, c, e.water)
			r := e.pay(e.water, hjPassword)
			r.Amount = pay.Money{Amount: 1234_57, Currency: "USD"}
			return e.ask(e.dev, c, r)
		}, im.ErrAmount},
		{"another customer's wallet", func() im.Prompt {
			c := conv()
			e.toPassword(e.dev, c, e.water)
			r := e.pay(e.water, hjPassword)
			r.WalletID = otherWallet.ID
			return e.ask(e.dev, c, r)
		}, im.ErrWallet},
		{"an unknown wallet", func() im.Prompt {
			c := conv()
			e.toPassword(e.dev, c, e.water)
			r := e.pay(e.water, hjPassword)
			r.WalletID = pay.NewID(pay.PrefixWallet)
			return e.ask(e.dev, c, r)
		}, im.ErrWallet},
		{"a wallet in another currency", func() im.Prompt {
			c := conv()
			usd := hjMust(e.platform.OpenWallet(e.ctx, e.customer.ID, "USD"))
			e.toPassword(e.dev, c, e.water)
			r := e.pay(e.water, hjPassword)
			r.WalletID = usd.ID
			return e.ask(e.dev, c, r)
		}, im.ErrWallet},
		{"insufficient funds", func() im.Prompt {
			c := conv()
			hjKind(t, e.ask(poorDev, c, im.Request{Kind: im.RequestStart, CustomerID: poor.ID}), im.PromptChooseBill)
			hjKind(t, e.ask(poorDev, c, im.Request{Kind: im.RequestChooseBill, CustomerID: poor.ID, BillID: poorBill.ID}), im.PromptEnterPassword)
			p := e.ask(poorDev, c, im.Request{Kind: im.RequestPay, CustomerID: poor.ID, BillID: poorBill.ID, WalletID: poorWallet.ID, Amount: poorBill.Amount, Password: hjPassword})
			if e.balance(poorWallet.ID) != 10_00 || e.status(poorBill) != account.BillOutstanding {
				t.Fatal("an unfunded payment moved money or cleared the bill")
			}
			return p
		}, pay.ErrInsufficientFunds},
		{"a conversation of another device", func() im.Prompt {
			c := conv()
			hjKind(t, e.ask(e.dev, c, e.start()), im.PromptChooseBill)
			return e.ask(otherDev, c, im.Request{Kind: im.RequestStart, CustomerID: other.ID})
		}, im.ErrUnexpected},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			p := tc.run()
			hjRefused(t, p, tc.want)
			if strings.Contains(p.Message, hjPassword) {
				t.Fatalf("the prompt quotes the password: %q", p.Message)
			}
			e.untouched()
			if e.balance(otherWallet.ID) != 100_00 || e.status(otherBill) != account.BillOutstanding {
				t.Fatal("the other customer's wallet or bill changed")
			}
		})
	}
}

// TestSubsystemAlreadyPaid: a bill chosen in two conversations is paid in
// the first; paying it in the second, or choosing it again, is refused as
// ErrBill and deducts nothing more.
func TestSubsystemAlreadyPaid(t *testing.T) {
	e := hjNew(t)
	e.toPassword(e.dev, "a", e.water)
	e.toPassword(e.dev, "b", e.water)
	hjKind(t, e.ask(e.dev, "a", e.pay(e.water, hjPassword)), im.PromptResult)
	p := e.ask(e.dev, "b", e.pay(e.water, hjPassword))
	hjRefused(t, p, im.ErrBill)
	if !strings.Contains(p.Message, "already paid") {
		t.Fatalf("message %q", p.Message)
	}
	hjRefused(t, e.ask(e.dev, "c", e.choose(e.water)), im.ErrBill)
	if got := e.balance(e.wallet.ID); got != hjFunds-1234_57 {
		t.Fatalf("wallet %d, want %d", got, hjFunds-1234_57)
	}
}

// TestSubsystemFreshnessWindow: a request sealed 5 minutes ago or 30
// seconds ahead is accepted, a millisecond more either way is refused.
func TestSubsystemFreshnessWindow(t *testing.T) {
	e := hjNew(t)
	for i, tc := range []struct {
		shift time.Duration
		ok    bool
	}{
		{-im.MaxAge, true},
		{-im.MaxAge - time.Millisecond, false},
		{im.MaxSkew, true},
		{im.MaxSkew + time.Millisecond, false},
	} {
		conv := fmt.Sprintf("f%d", i)
		body, h := e.seal(e.dev, conv, e.start(), func(h *im.Header) { h.Timestamp = h.Timestamp.Add(tc.shift) })
		p := e.askBody(e.dev, conv, body, h.MessageID)
		if tc.ok {
			hjKind(t, p, im.PromptChooseBill)
		} else {
			hjRefused(t, p, im.ErrStale)
		}
	}
}

// TestSubsystemReplay: a message posted again within the window is
// refused as ErrReplay, after the window as ErrStale; a replayed payment
// pays nothing more.
func TestSubsystemReplay(t *testing.T) {
	e := hjNew(t)
	body, h := e.seal(e.dev, "c", e.start(), nil)
	hjKind(t, e.askBody(e.dev, "c", body, h.MessageID), im.PromptChooseBill)
	hjRefused(t, e.askBody(e.dev, "c", body, h.MessageID), im.ErrReplay)
	e.clk.Advance(im.MaxAge - time.Second)
	hjRefused(t, e.askBody(e.dev, "c", body, h.MessageID), im.ErrReplay)
	e.clk.Advance(2 * time.Second)
	hjRefused(t, e.askBody(e.dev, "c", body, h.MessageID), im.ErrStale)
	e.clk.Advance(time.Hour) // well after the IDs are forgotten
	hjRefused(t, e.askBody(e.dev, "c", body, h.MessageID), im.ErrStale)

	// A payment replayed, in the window and after it.
	e.toPassword(e.dev, "p", e.power)
	body, h = e.seal(e.dev, "p", e.pay(e.power, hjPassword), nil)
	hjKind(t, e.askBody(e.dev, "p", body, h.MessageID), im.PromptResult)
	e.toPassword(e.dev, "p", e.water) // the conversation is at the password step again
	hjRefused(t, e.askBody(e.dev, "p", body, h.MessageID), im.ErrReplay)
	e.clk.Advance(10 * time.Minute)
	hjRefused(t, e.askBody(e.dev, "p", body, h.MessageID), im.ErrStale)
	if got := e.balance(e.wallet.ID); got != hjFunds-318_26 {
		t.Fatalf("wallet %d, want %d: a replay paid", got, hjFunds-318_26)
	}
	if e.status(e.water) != account.BillOutstanding {
		t.Fatal("the water bill was paid by a replay")
	}

	// Message IDs are remembered per device: another device may use the
	// same ID, the first may not use it again.
	id := im.NewMessageID()
	second := e.device(e.customer.ID, im.SuiteX25519)
	setID := func(hh *im.Header) { hh.MessageID = id }
	body, _ = e.seal(e.dev, "q1", e.start(), setID)
	hjKind(t, e.askBody(e.dev, "q1", body, id), im.PromptChooseBill)
	body, _ = e.seal(second, "q2", e.start(), setID)
	hjKind(t, e.askBody(second, "q2", body, id), im.PromptChooseBill)
	body, _ = e.seal(e.dev, "q3", e.start(), setID)
	hjRefused(t, e.askBody(e.dev, "q3", body, id), im.ErrReplay)
}

// TestSubsystemWrongPasswordLockout: wrong passwords are refused with the
// attempts left (4, 3, 2, 1, 0); then the payment password is locked and
// even the right one is refused, choosing a bill too; nothing is
// deducted. After the 15-minute lock the right password pays.
func TestSubsystemWrongPasswordLockout(t *testing.T) {
	e := hjNew(t)
	e.toPassword(e.dev, "c", e.water)
	for left := 4; left >= 0; left-- {
		p := e.ask(e.dev, "c", e.pay(e.water, hjWrong))
		hjRefused(t, p, verify.ErrFailed)
		if want := fmt.Sprintf("; %d attempt", left); !strings.Contains(p.Message, want) {
			t.Fatalf("message %q lacks %q", p.Message, want)
		}
		if strings.Contains(p.Message, hjWrong) {
			t.Fatal("the prompt quotes the password")
		}
	}
	hjRefused(t, e.ask(e.dev, "c", e.pay(e.water, hjPassword)), verify.ErrLocked)
	hjRefused(t, e.ask(e.dev, "d", e.choose(e.power)), verify.ErrLocked)
	e.untouched()

	e.clk.Advance(passwd.DefaultLockout)
	p := e.ask(e.dev, "d", e.choose(e.power))
	hjKind(t, p, im.PromptEnterPassword)
	if p.AttemptsLeft != 5 {
		t.Fatalf("attempts left after the lock: %d", p.AttemptsLeft)
	}
	hjRefused(t, e.ask(e.dev, "d", e.pay(e.power, hjWrong)), verify.ErrFailed)
	if p := e.ask(e.dev, "d", e.choose(e.power)); p.AttemptsLeft != 4 {
		t.Fatalf("attempts left after a failure: %d", p.AttemptsLeft)
	}
	hjKind(t, e.ask(e.dev, "d", e.pay(e.power, hjPassword)), im.PromptResult)
	if got := e.balance(e.wallet.ID); got != hjFunds-318_26 {
		t.Fatalf("wallet %d", got)
	}
}

// TestSubsystemNoPassword: a customer without a payment password can't
// choose a bill to pay.
func TestSubsystemNoPassword(t *testing.T) {
	e := hjNew(t)
	c := hjMust(e.platform.CreateCustomer(e.ctx, "Wei", ""))
	b := e.bill(c.ID, 10_00, "")
	d := e.device(c.ID, im.SuiteX25519)
	hjRefused(t, e.ask(d, "c", im.Request{Kind: im.RequestChooseBill, CustomerID: c.ID, BillID: b.ID}), verify.ErrNotSetUp)
}

// TestSubsystemHybrid: with a hybrid key besides the X25519 one, a device
// with a hybrid seal key seals its requests to the hybrid key and gets
// hybrid prompts, and pays; one with an X25519 key keeps working.
func TestSubsystemHybrid(t *testing.T) {
	e := hjNew(t, func(o *hjOptions) { o.hybrid = true })
	keys := e.sub.Keys()
	if len(keys) != 2 || keys[0].Suite() != im.SuiteX25519 || keys[1].Suite() != im.SuiteHybrid {
		t.Fatalf("keys %v", keys)
	}
	hd := e.device(e.customer.ID, im.SuiteHybrid)
	ask := func(conv string, req im.Request) im.Prompt {
		t.Helper()
		h := e.header(hd, conv)
		body := hjMust(im.Seal(h, keys[1], hd.signer, hjMust(im.EncodeRequest(req))))
		if err := e.relay.Post(e.ctx, conv, keys[1].ID(), body); err != nil {
			t.Fatal(err)
		}
		msgs := hjMust(e.relay.Fetch(e.ctx, conv, hd.seal.Public().ID(), hd.last[conv]))
		if len(msgs) != 1 {
			t.Fatalf("%d prompts", len(msgs))
		}
		hd.last[conv] = msgs[0].Seq
		env := hjMust(im.ParseEnvelope(msgs[0].Body))
		if env.Suite != im.SuiteHybrid {
			t.Fatalf("prompt sealed with %v", env.Suite)
		}
		return hjMust(im.DecodePrompt(hjMust(env.Open(hd.seal, func(string) (ed25519.PublicKey, error) { return e.sub.SigningKey(), nil }))))
	}
	hjKind(t, ask("h", e.start()), im.PromptChooseBill)
	hjKind(t, ask("h", e.choose(e.water)), im.PromptEnterPassword)
	hjKind(t, ask("h", e.pay(e.water, hjPassword)), im.PromptResult)
	hjKind(t, e.ask(e.dev, "x", e.start()), im.PromptChooseBill)
	if got := e.balance(e.wallet.ID); got != hjFunds-1234_57 {
		t.Fatalf("wallet %d", got)
	}
}

// TestRegisterDevice: registration checks the ID, keys and customer;
// registering the same device again is idempotent, another device under a
// taken ID is a conflict.
func TestRegisterDevice(t *testing.T) {
	e := hjNew(t)
	_, signer, _ := ed25519.GenerateKey(rand.Reader)
	pub := signer.Public().(ed25519.PublicKey)
	seal := hjMust(im.GenerateKey(im.SuiteX25519)).Public()
	good := im.Device{ID: "tablet-1", CustomerID: e.customer.ID, SigningKey: pub, SealKey: seal}
	for _, tc := range []struct {
		name  string
		mod   func(*im.Device)
		kind  *pay.Error
		param string
	}{
		{"empty ID", func(d *im.Device) { d.ID = "" }, pay.ErrInvalidRequest, "id"},
		{"ID with a slash", func(d *im.Device) { d.ID = "a/b" }, pay.ErrInvalidRequest, "id"},
		{"ID too long", func(d *im.Device) { d.ID = strings.Repeat("a", 65) }, pay.ErrInvalidRequest, "id"},
		{"reserved ID", func(d *im.Device) { d.ID = im.SubsystemSender }, pay.ErrInvalidRequest, "id"},
		{"short signing key", func(d *im.Device) { d.SigningKey = pub[:31] }, im.ErrKey, "signing_key"},
		{"no seal key", func(d *im.Device) { d.SealKey = im.PublicKey{} }, im.ErrKey, "seal_key"},
		{"unknown customer", func(d *im.Device) { d.CustomerID = pay.NewID(pay.PrefixCustomer) }, pay.ErrNotFound, ""},
	} {
		d := good
		tc.mod(&d)
		_, err := e.sub.RegisterDevice(e.ctx, d)
		var pe *pay.Error
		if !errors.Is(err, tc.kind) || !errors.As(err, &pe) || (tc.param != "" && pe.Param != tc.param) {
			t.Errorf("%s: err = %v, want %s on %q", tc.name, err, tc.kind.Code, tc.param)
		}
		if _, err := e.sub.Device(e.ctx, d.ID); err == nil && d.ID != e.dev.id {
			t.Errorf("%s: the device was stored", tc.name)
		}
	}
	first := hjMust(e.sub.RegisterDevice(e.ctx, good))
	if !first.CreatedAt.Equal(e.clk.Now()) || !first.SealKey.Equal(seal) {
		t.Fatalf("registered %+v", first)
	}
	e.clk.Advance(time.Minute)
	again := hjMust(e.sub.RegisterDevice(e.ctx, good))
	if d := cmp.Diff(first, again, cmp.Comparer(func(a, b im.PublicKey) bool { return a.Equal(b) })); d != "" {
		t.Fatalf("registering again (-first +again):\n%s", d)
	}
	other := good
	other.SealKey = hjMust(im.GenerateKey(im.SuiteX25519)).Public()
	_, err := e.sub.RegisterDevice(e.ctx, other)
	hjIs(t, "other keys under a taken ID", err, pay.ErrConflict)
	if got := hjMust(e.sub.Device(e.ctx, good.ID)); !got.SealKey.Equal(seal) {
		t.Fatal("a conflicting registration replaced the keys")
	}
}

// TestSetPassword: set once, with the password rule, for a known customer;
// errors never quote the password.
func TestSetPassword(t *testing.T) {
	e := hjNew(t)
	c := hjMust(e.platform.CreateCustomer(e.ctx, "Wei", ""))
	for _, tc := range []struct {
		customer, password string
		kind               *pay.Error
	}{
		{pay.NewID(pay.PrefixCustomer), hjPassword, pay.ErrNotFound},
		{c.ID, "123456", pay.ErrInvalidRequest},
		{c.ID, "abc", pay.ErrInvalidRequest},
		{e.customer.ID, "another-Secret-9", pay.ErrConflict},
	} {
		err := e.sub.SetPassword(e.ctx, tc.customer, tc.password)
		hjIs(t, tc.password, err, tc.kind)
		if strings.Contains(err.Error(), tc.password) {
			t.Fatalf("error quotes the password: %v", err)
		}
	}
	if err := e.sub.SetPassword(e.ctx, c.ID, "another-Secret-9"); err != nil {
		t.Fatal(err)
	}
}

// TestNewSubsystemValidates: missing or bad required values and options
// are refused.
func TestNewSubsystemValidates(t *testing.T) {
	p := hjMust(account.New())
	k := hjMust(im.GenerateKey(im.SuiteX25519))
	_, signer, _ := ed25519.GenerateKey(rand.Reader)
	for name, f := range map[string]func() (*im.Subsystem, error){
		"nil platform":   func() (*im.Subsystem, error) { return im.NewSubsystem(nil, k, signer) },
		"nil key":        func() (*im.Subsystem, error) { return im.NewSubsystem(p, nil, signer) },
		"short signer":   func() (*im.Subsystem, error) { return im.NewSubsystem(p, k, signer[:32]) },
		"nil clock":      func() (*im.Subsystem, error) { return im.NewSubsystem(p, k, signer, im.WithClock(nil)) },
		"nil passwords":  func() (*im.Subsystem, error) { return im.NewSubsystem(p, k, signer, im.WithPasswords(nil)) },
		"nil relay":      func() (*im.Subsystem, error) { return im.NewSubsystem(p, k, signer, im.WithRelay(nil)) },
		"nil store":      func() (*im.Subsystem, error) { return im.NewSubsystem(p, k, signer, im.WithStore(nil)) },
		"nil extra key":  func() (*im.Subsystem, error) { return im.NewSubsystem(p, k, signer, im.WithKey(nil)) },
		"same key twice": func() (*im.Subsystem, error) { return im.NewSubsystem(p, k, signer, im.WithKey(k)) },
		"nil logger":     func() (*im.Subsystem, error) { return im.NewSubsystem(p, k, signer, im.WithLogger(nil)) },
	} {
		if s, err := f(); !errors.Is(err, pay.ErrInvalidRequest) || s != nil {
			t.Errorf("%s: %v, %v", name, s, err)
		}
	}
}

// TestSubsystemDefaultRelay: without WithRelay the subsystem makes a
// MemRelay subscribed to its keys, and Handler serves that relay's routes.
func TestSubsystemDefaultRelay(t *testing.T) {
	p := hjMust(account.New())
	k := hjMust(im.GenerateKey(im.SuiteX25519))
	_, signer, _ := ed25519.GenerateKey(rand.Reader)
	s := hjMust(im.NewSubsystem(p, k, signer))
	r, ok := s.Relay().(*im.MemRelay)
	if !ok {
		t.Fatalf("default relay %T", s.Relay())
	}
	err := r.Post(context.Background(), "c", k.Public().ID(), "not an envelope")
	hjIs(t, "post to the subsystem", err, im.ErrMalformed)
	if err := r.Post(context.Background(), "c", "somebody", "opaque"); err != nil {
		t.Fatalf("post to another recipient: %v", err)
	}
}

// TestSubsystemLogsNoSecrets: after payments, wrong passwords and
// rejections, the subsystem's log holds no password, key or body, but does
// name the refusals.
func TestSubsystemLogsNoSecrets(t *testing.T) {
	e := hjNew(t)
	e.toPassword(e.dev, "c", e.water)
	hjRefused(t, e.ask(e.dev, "c", e.pay(e.water, hjWrong)), verify.ErrFailed)
	body, h := e.seal(e.dev, "c", e.pay(e.water, hjPassword), nil)
	hjKind(t, e.askBody(e.dev, "c", body, h.MessageID), im.PromptResult)
	bad, _ := e.seal(e.dev, "d", e.start(), nil)
	_ = e.post("d", bad[:len(bad)-3]+"AAA")
	logs := e.logs.String()
	for _, secret := range []string{hjPassword, hjWrong, body[20:60], string(e.key.Bytes())} {
		if strings.Contains(logs, secret) {
			t.Fatalf("the log holds a secret or body: %q", secret)
		}
	}
	for _, want := range []string{"verification_failed", "im_open_failed"} {
		if !strings.Contains(logs, want) {
			t.Fatalf("the log does not name %s:\n%s", want, logs)
		}
	}
}

// FuzzReceive feeds the subsystem arbitrary bodies (seeded with real
// requests and their mutations): it never panics, and whatever it accepts
// or refuses, the customer's money and bills are untouched unless a valid
// payment was sealed (the seeds don't seal one: they lack the choice).
func FuzzReceive(f *testing.F) {
	e := hjNew(f)
	for i, r := range []im.Request{e.start(), e.choose(e.water), e.pay(e.water, hjPassword), {Kind: im.RequestCancel, CustomerID: e.customer.ID}} {
		conv := fmt.Sprintf("fz%d", i) // one conversation each: the pay is never preceded by its choice
		body, _ := e.seal(e.dev, conv, r, nil)
		f.Add(conv, body)
		f.Add(conv, body[:len(body)/2])
		f.Add("other", body)
	}
	f.Add("fz", "PKIM1.")
	f.Add("fz", "")
	f.Fuzz(func(t *testing.T, conv, body string) {
		_ = e.sub.Receive(context.Background(), conv, body)
		w, err := e.platform.Wallet(context.Background(), e.wallet.ID)
		if err != nil || w.Balance.Amount != hjFunds {
			t.Fatalf("wallet %+v, %v after a fuzzed message", w.Balance, err)
		}
	})
}

// BenchmarkSubsystemStep measures one conversation step through the
// in-memory relay, per suite: the device seals a start request, the relay
// pushes it to the subsystem, which opens and checks it, lists the two
// bills and seals the prompt back, and the device opens the prompt. (A pay
// step adds one Argon2id evaluation of the password, about 40 ms.)
func BenchmarkSubsystemStep(b *testing.B) {
	for _, s := range []im.Suite{im.SuiteX25519, im.SuiteHybrid} {
		b.Run(s.String(), func(b *testing.B) {
			e := hjNew(b, func(o *hjOptions) { o.hybrid = true })
			d := e.device(e.customer.ID, s)
			to := e.sub.Keys()[0]
			if s == im.SuiteHybrid {
				to = e.sub.Keys()[1]
			}
			payload := hjMust(im.EncodeRequest(e.start()))
			lookup := func(string) (ed25519.PublicKey, error) { return e.sub.SigningKey(), nil }
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				conv := fmt.Sprintf("b%d", i)
				body, err := im.Seal(e.header(d, conv), to, d.signer, payload)
				if err != nil {
					b.Fatal(err)
				}
				if err := e.relay.Post(e.ctx, conv, to.ID(), body); err != nil {
					b.Fatal(err)
				}
				msgs, err := e.relay.Fetch(e.ctx, conv, d.seal.Public().ID(), 0)
				if err != nil || len(msgs) != 1 {
					b.Fatal(len(msgs), err)
				}
				env, err := im.ParseEnvelope(msgs[0].Body)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := env.Open(d.seal, lookup); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
