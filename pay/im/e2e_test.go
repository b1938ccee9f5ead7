package im_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/pay/account"
	"github.com/paykit-go/paykit/pay/im"
	"github.com/paykit-go/paykit/pay/paytest"
)

// hjBackend is the reference backend with a customer (CNY wallet of
// 5,000.00, two outstanding bills) and an IM client of theirs whose seal
// key is of suite s, registered and with a payment password, over HTTP.
type hjBackend struct {
	t        *testing.T
	ctx      context.Context
	srv      *paytest.Server
	acct     *account.Client
	merchant account.Merchant
	customer account.Customer
	wallet   account.Wallet
	water    account.Bill
	power    account.Bill
	client   *im.Client
	seal     *im.PrivateKey
	after    map[string]int64
}

func hjNewBackend(t *testing.T, s im.Suite, opts ...paytest.Option) *hjBackend {
	t.Helper()
	srv, err := paytest.NewServer(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	b := &hjBackend{t: t, ctx: context.Background(), srv: srv, acct: account.NewClient(srv.Client), after: map[string]int64{}}
	admin := account.NewClient(srv.AdminClient)
	b.merchant = hjMust(admin.CreateMerchant(b.ctx, "City Water & Power"))
	b.customer = hjMust(b.acct.CreateCustomer(b.ctx, account.CreateCustomerRequest{Name: "Li Lei", Phone: "+8613800138000"}))
	b.wallet = hjMust(b.acct.OpenWallet(b.ctx, b.customer.ID, "CNY"))
	if _, err := b.acct.TopUp(b.ctx, account.TopUpRequest{WalletID: b.wallet.ID, Amount: hjCNY(hjFunds), Source: account.SourceMachine, TerminalID: "kiosk-1"}); err != nil {
		t.Fatal(err)
	}
	b.water = hjMust(b.acct.CreateBill(b.ctx, account.CreateBillRequest{CustomerID: b.customer.ID, MerchantID: b.merchant.ID, Amount: hjCNY(1234_57), Description: "Water, October"}))
	if err := srv.Advance(1); err != nil {
		t.Fatal(err)
	}
	b.power = hjMust(b.acct.CreateBill(b.ctx, account.CreateBillRequest{CustomerID: b.customer.ID, MerchantID: b.merchant.ID, Amount: hjCNY(318_26), Description: "Power, October"}))

	keys := hjMust(im.FetchKeys(b.ctx, srv.DeviceClient))
	sk := hjMust(keys.For(s))
	_, signer, _ := ed25519.GenerateKey(rand.Reader)
	b.seal = hjMust(im.GenerateKey(s))
	b.client = hjMust(im.NewClient(srv.DeviceClient, "phone-li", signer, b.seal, sk, im.WithClientClock(srv.Backend)))
	if _, err := b.client.Register(b.ctx, b.customer.ID); err != nil {
		t.Fatal(err)
	}
	if err := b.client.SetPassword(b.ctx, b.customer.ID, hjPassword); err != nil {
		t.Fatal(err)
	}
	return b
}

// next sends req and returns the one prompt answering it, read over HTTP.
func (b *hjBackend) next(conv string, req im.Request) im.Prompt {
	b.t.Helper()
	if err := b.client.Send(b.ctx, conv, req); err != nil {
		b.t.Fatalf("send %s: %v", req.Kind, err)
	}
	ds := hjMust(b.client.Fetch(b.ctx, conv, b.after[conv]))
	if len(ds) != 1 || ds[0].Err != nil {
		b.t.Fatalf("%d prompts answer %s: %+v", len(ds), req.Kind, ds)
	}
	b.after[conv] = ds[0].Seq
	return ds[0].Prompt
}

func (b *hjBackend) balance() int64 {
	b.t.Helper()
	return hjMust(account.NewClient(b.srv.DeviceClient).Wallet(b.ctx, b.wallet.ID)).Balance.Amount
}

// TestEndToEndOverHTTPRelay: through the reference backend's HTTP relay,
// for each suite, a customer with two outstanding bills asks for the
// arrears, chooses the water bill, enters the password and is told it is
// paid and cleared; over HTTP the water bill is paid, the power bill
// outstanding, the wallet debited by exactly the bill. The relay stored
// the six messages, and none holds the password, an ID, an amount or a
// description, in text or decoded.
func TestEndToEndOverHTTPRelay(t *testing.T) {
	for _, s := range []im.Suite{im.SuiteX25519, im.SuiteHybrid} {
		t.Run(s.String(), func(t *testing.T) {
			b := hjNewBackend(t, s, paytest.WithIMHybrid())
			conv := im.NewConversationID()

			p := b.next(conv, im.Request{Kind: im.RequestStart, CustomerID: b.customer.ID})
			hjKind(t, p, im.PromptChooseBill)
			if len(p.Bills) != 2 || p.Bills[0].ID != b.water.ID || p.Bills[1].ID != b.power.ID || p.Bills[0].Amount != hjCNY(1234_57) {
				t.Fatalf("arrears %+v", p.Bills)
			}
			p = b.next(conv, im.Request{Kind: im.RequestChooseBill, CustomerID: b.customer.ID, BillID: b.water.ID})
			if p.Kind != im.PromptEnterPassword || p.BillID != b.water.ID || p.Amount != hjCNY(1234_57) || p.AttemptsLeft != 5 {
				t.Fatalf("password prompt %+v", p)
			}
			p = b.next(conv, im.Request{Kind: im.RequestPay, CustomerID: b.customer.ID, BillID: b.water.ID, WalletID: b.wallet.ID, Amount: hjCNY(1234_57), Password: hjPassword})
			if p.Kind != im.PromptResult || !p.Paid || !p.Cleared || p.Amount != hjCNY(1234_57) || p.BillID != b.water.ID {
				t.Fatalf("result %+v", p)
			}
			if !strings.HasPrefix(p.Text(), "Paid 1234.57 CNY; bill "+b.water.ID+" cleared.") {
				t.Fatalf("result text %q", p.Text())
			}

			water := hjMust(b.acct.Bill(b.ctx, b.water.ID))
			if water.Status != account.BillPaid || water.TransactionID != p.TransactionID {
				t.Fatalf("water bill %+v", water)
			}
			if power := hjMust(b.acct.Bill(b.ctx, b.power.ID)); power.Status != account.BillOutstanding {
				t.Fatalf("power bill %+v", power)
			}
			if got := b.balance(); got != hjFunds-1234_57 {
				t.Fatalf("wallet %d, want %d", got, hjFunds-1234_57)
			}
			if m := hjMust(b.acct.MerchantBalance(b.ctx, b.merchant.ID, "CNY")); m.Amount != 1234_57 {
				t.Fatalf("merchant %v", m)
			}

			stored := b.srv.Relay.Messages(conv)
			if len(stored) != 6 {
				t.Fatalf("the relay stored %d messages, want 3 requests and 3 prompts", len(stored))
			}
			secrets := []string{
				hjPassword, b.customer.ID, b.wallet.ID, b.water.ID, b.power.ID, p.TransactionID,
				"Water, October", "Power, October", "1234.57", "123457", "318.26", "31826",
				`"password"`, `"kind"`, `"bills"`,
			}
			for _, m := range stored {
				if !strings.HasPrefix(m.Body, im.TextPrefix) {
					t.Fatalf("stored body is not an envelope: %.20q", m.Body)
				}
				raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(m.Body, im.TextPrefix))
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(string(raw), conv) {
					t.Fatal("the scan misses what is there: the clear header's conversation ID")
				}
				for _, sec := range secrets {
					if strings.Contains(m.Body, sec) || strings.Contains(string(raw), sec) {
						t.Fatalf("message %d from the relay's storage holds %q", m.Seq, sec)
					}
				}
			}
		})
	}
}

// TestEndToEndTamperedOverHTTP: a sealed payment altered in transit is
// refused by the relay (400 im_open_failed) and stored nowhere; a message
// sealed to the wrong suite's key too; a forged prompt posted to the
// device's key is left out of Prompts and shown with its reason by Fetch;
// nothing is deducted.
func TestEndToEndTamperedOverHTTP(t *testing.T) {
	b := hjNewBackend(t, im.SuiteX25519)
	conv := im.NewConversationID()
	hjKind(t, b.next(conv, im.Request{Kind: im.RequestStart, CustomerID: b.customer.ID}), im.PromptChooseBill)
	hjKind(t, b.next(conv, im.Request{Kind: im.RequestChooseBill, CustomerID: b.customer.ID, BillID: b.water.ID}), im.PromptEnterPassword)

	body, _ := hjMust2(b.client.Seal(conv, im.Request{Kind: im.RequestPay, CustomerID: b.customer.ID, BillID: b.water.ID, WalletID: b.wallet.ID, Amount: hjCNY(1234_57), Password: hjPassword}))
	i := len(body) / 2
	c := byte('A')
	if body[i] == 'A' {
		c = 'B'
	}
	tampered := body[:i] + string(c) + body[i+1:]
	relay := im.NewHTTPRelay(b.srv.DeviceClient)
	subsystemKey := b.srv.IM.Keys()[0].ID()
	err := relay.Post(b.ctx, conv, subsystemKey, tampered)
	var pe *pay.Error
	if !errors.Is(err, im.ErrOpen) || !errors.As(err, &pe) || pe.HTTPStatus != http.StatusBadRequest || pe.RequestID == "" {
		t.Fatalf("tampered post: %v", err)
	}
	if strings.Contains(err.Error(), hjPassword) {
		t.Fatal("the error quotes the password")
	}
	if n := len(b.srv.Relay.Messages(conv)); n != 4 {
		t.Fatalf("the relay holds %d messages, want the 4 before", n)
	}
	if got := b.balance(); got != hjFunds {
		t.Fatalf("wallet %d after a tampered payment", got)
	}

	// A forged prompt: sealed to the device, but signed by someone else.
	_, forger, _ := ed25519.GenerateKey(rand.Reader)
	payload := hjMust(im.EncodePrompt(im.Prompt{Kind: im.PromptResult, Paid: true, Cleared: true, BillID: b.water.ID, Amount: hjCNY(1234_57), TransactionID: pay.NewID(account.PrefixTransaction)}))
	forged := hjMust(im.Seal(im.Header{MessageID: im.NewMessageID(), ConversationID: conv, SenderID: im.SubsystemSender, Timestamp: b.srv.Now()}, b.seal.Public(), forger, payload))
	if err := relay.Post(b.ctx, conv, b.seal.Public().ID(), forged); err != nil {
		t.Fatal(err)
	}
	if ps := hjMust(b.client.Prompts(b.ctx, conv, b.after[conv])); len(ps) != 0 {
		t.Fatalf("a forged prompt was shown: %+v", ps)
	}
	ds := hjMust(b.client.Fetch(b.ctx, conv, b.after[conv]))
	if len(ds) != 1 || !errors.Is(ds[0].Err, im.ErrSignature) {
		t.Fatalf("forged prompt delivered as %+v", ds)
	}
	b.after[conv] = ds[0].Seq

	// The untampered payment still goes through.
	if err := relay.Post(b.ctx, conv, subsystemKey, body); err != nil {
		t.Fatal(err)
	}
	ps := hjMust(b.client.Prompts(b.ctx, conv, b.after[conv]))
	if len(ps) != 1 || !ps[0].Paid {
		t.Fatalf("prompts %+v", ps)
	}
	if got := b.balance(); got != hjFunds-1234_57 {
		t.Fatalf("wallet %d", got)
	}
}

// TestClientChecksPrompts: a relay that moves a genuine prompt into
// another conversation, or delivers it twice, does not fool the client:
// Fetch marks the moved one ErrMalformed and the copy ErrReplay, and
// Prompts shows neither.
func TestClientChecksPrompts(t *testing.T) {
	b := hjNewBackend(t, im.SuiteX25519)
	conv := im.NewConversationID()
	hjKind(t, b.next(conv, im.Request{Kind: im.RequestStart, CustomerID: b.customer.ID}), im.PromptChooseBill)
	var genuine string
	for _, m := range b.srv.Relay.Messages(conv) {
		if m.To == b.seal.Public().ID() {
			genuine = m.Body
		}
	}
	relay := im.NewHTTPRelay(b.srv.DeviceClient)
	moved := im.NewConversationID()
	if err := relay.Post(b.ctx, moved, b.seal.Public().ID(), genuine); err != nil {
		t.Fatal(err)
	}
	ds := hjMust(b.client.Fetch(b.ctx, moved, 0))
	if len(ds) != 1 || !errors.Is(ds[0].Err, im.ErrMalformed) {
		t.Fatalf("moved prompt delivered as %+v", ds)
	}
	if err := relay.Post(b.ctx, conv, b.seal.Public().ID(), genuine); err != nil {
		t.Fatal(err)
	}
	ds = hjMust(b.client.Fetch(b.ctx, conv, 0))
	if len(ds) != 2 || ds[0].Err != nil || !errors.Is(ds[1].Err, im.ErrReplay) {
		t.Fatalf("duplicated prompt delivered as %+v", ds)
	}
	if ps := hjMust(b.client.Prompts(b.ctx, conv, 0)); len(ps) != 1 || ps[0].Kind != im.PromptChooseBill {
		t.Fatalf("prompts %+v", ps)
	}
	if ps := hjMust(b.client.Prompts(b.ctx, moved, 0)); len(ps) != 0 {
		t.Fatalf("prompts of the moved conversation %+v", ps)
	}
}

func hjMust2[A, B any](a A, b B, err error) (A, B) {
	if err != nil {
		panic(err)
	}
	return a, b
}

// TestEndToEndRoutes: the key route publishes the subsystem's keys (no
// hybrid key unless asked for); the device and password routes check
// their input; every IM route wants an API key.
func TestEndToEndRoutes(t *testing.T) {
	b := hjNewBackend(t, im.SuiteX25519)
	keys := hjMust(im.FetchKeys(b.ctx, b.srv.DeviceClient))
	if len(keys.Keys) != 1 || !keys.Keys[0].Equal(b.srv.IM.Keys()[0]) || !keys.SigningKey.Equal(b.srv.IM.SigningKey()) || keys.SenderID != im.SubsystemSender {
		t.Fatalf("published %+v", keys)
	}
	_, err := keys.For(im.SuiteHybrid)
	hjIs(t, "hybrid key of a backend without one", err, im.ErrKey)

	// Registering the same device again is fine; another customer's
	// device under its ID is not.
	if _, err := b.client.Register(b.ctx, b.customer.ID); err != nil {
		t.Fatalf("registering again: %v", err)
	}
	other := hjMust(b.acct.CreateCustomer(b.ctx, account.CreateCustomerRequest{Name: "Han"}))
	_, err = b.client.Register(b.ctx, other.ID)
	hjIs(t, "the device ID for another customer", err, pay.ErrConflict)
	err = b.srv.DeviceClient.Post(b.ctx, "/v1/im/devices", map[string]any{"id": "tab", "customer_id": other.ID, "signing_key": "AAAA", "seal_key": "x25519.AAAA"}, nil)
	hjIs(t, "bad keys", err, pay.ErrInvalidRequest)
	err = b.client.SetPassword(b.ctx, other.ID, "123456")
	hjIs(t, "weak password", err, pay.ErrInvalidRequest)
	if strings.Contains(err.Error(), "123456") {
		t.Fatal("the error quotes the password")
	}
	err = b.client.SetPassword(b.ctx, b.customer.ID, hjPassword)
	hjIs(t, "password set twice", err, pay.ErrConflict)

	anon := hjMust(pay.NewClient(b.srv.URL, pay.WithRetryPolicy(pay.NoRetries())))
	for _, path := range []string{"/v1/im/key", "/v1/im/conversations/c/messages?to=x"} {
		hjIs(t, path, anon.Get(b.ctx, path, nil), pay.ErrUnauthorized)
	}
	hjIs(t, "anonymous post", im.NewHTTPRelay(anon).Post(b.ctx, "c", "x", "y"), pay.ErrUnauthorized)
}
