package flows

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/paykit-go/paykit/ble"
	"github.com/paykit-go/paykit/ble/gatt"
	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/pay/account"
	"github.com/paykit-go/paykit/pay/paytest"
	"github.com/paykit-go/paykit/qr/emv"
	"github.com/paykit-go/paykit/qr/qrimage"
)

// BLEReceipt runs Bluetooth-relayed QR collection (system C): a counter-top
// collection host pairs with the merchant's handheld (both show the same
// 6-digit code), over a simulated BLE link at the default MTU of 23 that
// loses, duplicates and reorders chunks. A customer scans the merchant's
// static EMVCo collection QR and pays through a sandbox channel; the
// backend's signed webhook reaches the handheld's endpoint, the handheld
// relays the receipt over BLE, and the host shows it and beeps; a partial
// refund follows with its own beep. A receipt forged under a guessed key
// and a webhook signed with a guessed secret are refused, and nothing more
// is shown.
func BLEReceipt(ctx context.Context, srv *paytest.Server) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	const terminal = 1

	// The collection host on the counter, and its display and buzzer.
	shown := make(chan ble.Receipt, 4)
	host, err := ble.NewHost("counter-1", counterDisplay{shown}, counterBuzzer{})
	if err != nil {
		return err
	}
	handheldEnd, hostEnd, err := ble.NewMemLink(ble.WithMTU(ble.DefaultMTU),
		ble.WithLoss(0.1), ble.WithDuplication(0.05), ble.WithReordering(0.05),
		ble.WithDelay(2*time.Millisecond, 2*time.Millisecond), ble.WithSeed(3))
	if err != nil {
		return err
	}
	defer handheldEnd.Close()
	var serving sync.WaitGroup
	defer serving.Wait()
	defer cancel() // runs before Wait: stops Serve
	serving.Go(func() { _ = host.Serve(ctx, hostEnd) })
	fmt.Printf("host %s: on a simulated BLE link at MTU %d that loses 10%% of chunks and duplicates and reorders 5%%\n", host.ID(), hostEnd.MTU())
	fmt.Printf("        (over a radio, ble/gatt advertises service %s as %q)\n", gatt.ServiceUUIDString, gatt.AdvertisedName(host.ID()))

	// Pairing: the host shows a QR, the handheld scans it and pairs over
	// the link, both show a code, the merchant compares them and confirms.
	offer, err := host.BeginPairing(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("host: shows the pairing QR %s… (%d characters)\n", offer.QR()[:16], len(offer.QR()))
	scanned, err := ble.ParseOffer(offer.QR())
	if err != nil {
		return err
	}
	retransmit := ble.WithRetransmit(30*time.Millisecond, 120*time.Millisecond)
	pctx, pcancel := context.WithTimeout(ctx, 10*time.Second)
	pairing, err := ble.PairOver(pctx, handheldEnd, scanned, "handheld-7", retransmit)
	pcancel()
	if err != nil {
		return err
	}
	hostCode, handheldID, err := offer.Code(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("host: %s wants to pair; code %s\nhandheld: paired with %s as pairing %d; code %s\n", handheldID, hostCode, pairing.HostID, pairing.Pairing, pairing.Code)
	if hostCode != pairing.Code {
		offer.Cancel()
		return fmt.Errorf("blereceipt: the codes differ (%s, %s): someone else answered the QR", hostCode, pairing.Code)
	}
	if err := offer.Confirm(ctx); err != nil {
		return err
	}
	fmt.Println("merchant: the codes match; confirmed on the host")
	handheld, err := ble.NewHandheld(handheldEnd, pairing, retransmit, ble.WithDeadline(10*time.Second))
	if err != nil {
		return err
	}

	// The handheld's webhook endpoint, registered with the backend.
	endpoint := httptest.NewUnstartedServer(nil)
	defer endpoint.Close()
	url := "http://" + endpoint.Listener.Addr().String() + "/paykit/webhooks"
	hooks := pay.NewWebhookEndpoints(srv.Client)
	ep, err := hooks.Create(ctx, url)
	if err != nil {
		return err
	}
	defer func() { _ = hooks.Delete(context.WithoutCancel(ctx), ep.ID) }() // before the endpoint closes
	acked := make(chan ble.Receipt, 4)
	send := func(ctx context.Context, r ble.Receipt) error {
		if err := handheld.Send(ctx, r); err != nil {
			return err
		}
		fmt.Printf("handheld: receipt %d (%s %s) acknowledged by the host\n", handheld.Pairing().Counter, r.Kind, r.Amount)
		acked <- r
		return nil
	}
	// The demo backend runs a manual clock: the handheld checks webhook
	// timestamps against it (a real handheld uses its own clock).
	wh, err := ble.NewWebhookHandler(terminal, send, pay.WithWebhookSecrets(ep.Secret), pay.WithWebhookClock(srv))
	if err != nil {
		return err
	}
	endpoint.Config.Handler = wh
	endpoint.Start()
	fmt.Printf("handheld: receives the merchant's webhooks at %s (terminal %d)\n", url, terminal)

	// The merchant's static collection QR, and a customer paying it.
	merchantID, order, err := collectionQR(ctx, srv)
	if err != nil {
		return err
	}
	amount, _ := pay.ParseMoney("56.80", order.Amount.Currency)
	const payer = "8613800138000" // the merchant knows this customer by phone number
	if _, err := channel.NewClient(srv.AdminClient).SetEnabled(ctx, paytest.SandboxChannels[0], true); err != nil {
		return err
	}
	p, err := channel.NewClient(srv.DeviceClient).CreatePayment(ctx, channel.PaymentRequest{
		MerchantID: merchantID, UserID: payer, Channel: paytest.SandboxChannels[0], Scenario: channel.ScenarioQR,
		Amount: amount, Description: order.MerchantName,
	})
	if err != nil {
		return err
	}
	fmt.Printf("customer: enters %s for %s and pays through %s (payment %s)\n", amount, order.MerchantName, p.Channel, p.ID)
	if err := srv.Sandboxes[p.Channel].Pay(ctx, p.ID); err != nil {
		return err
	}
	got, err := awaitShown(ctx, shown, acked)
	if err != nil {
		return err
	}
	if got.Kind != ble.KindPaid || got.Amount != amount || got.PaymentID != ble.ShortID(p.ID) || got.Payer != "8000" || got.Terminal != terminal {
		return fmt.Errorf("blereceipt: the host showed %+v; want the paid %s of payment %s", got, amount, p.ID)
	}

	refund, _ := pay.ParseMoney("6.80", amount.Currency)
	if _, err := channel.NewClient(srv.Client).Refund(ctx, p.ID, channel.RefundParams{Amount: refund, Reason: "one item short"}); err != nil {
		return err
	}
	fmt.Printf("merchant: refunds %s\n", refund)
	if got, err = awaitShown(ctx, shown, acked); err != nil {
		return err
	}
	if got.Kind != ble.KindRefunded || got.Amount != refund {
		return fmt.Errorf("blereceipt: the host showed %+v; want the refund of %s", got, refund)
	}
	st := handheldEnd.Stats()
	fmt.Printf("link: for the pairing and 2 receipts the handheld sent %d chunks: %d lost, %d duplicated, %d reordered\n", st.Sent, st.Dropped, st.Duplicated, st.Reordered)

	// A forged receipt: someone's device connects to the host and sends
	// "paid 999.00" under the pairing's number, with a key it guessed.
	before := host.Stats()
	attackerEnd, hostEnd2, err := ble.NewMemLink()
	if err != nil {
		return err
	}
	defer attackerEnd.Close()
	serving.Go(func() { _ = host.Serve(ctx, hostEnd2) })
	guess := ble.HandheldPairing{HostID: host.ID(), HandheldID: "handheld-7", Pairing: pairing.Pairing, ReceiptKey: randomKey(), AckKey: randomKey()}
	attacker, err := ble.NewHandheld(attackerEnd, guess, ble.WithRetransmit(100*time.Millisecond, 100*time.Millisecond), ble.WithDeadline(350*time.Millisecond))
	if err != nil {
		return err
	}
	big, _ := pay.ParseMoney("999.00", amount.Currency)
	err = attacker.Send(ctx, ble.Receipt{Kind: ble.KindPaid, PaymentID: ble.ShortID(p.ID), Amount: big, Channel: p.Channel, Time: srv.Now(), Terminal: terminal})
	after := host.Stats()
	if !errors.Is(err, ble.ErrUndelivered) || after.BadMAC == before.BadMAC || after.Displayed != before.Displayed {
		return fmt.Errorf("blereceipt: a forged receipt: %v, host stats %+v; want it refused and nothing shown", err, after)
	}
	fmt.Printf("attacker: a forged receipt for %s → refused by the host (%d bad MACs, no ack); nothing displayed\n", big, after.BadMAC-before.BadMAC)

	// A forged webhook: signed with a guessed secret, refused by the
	// handheld before anything goes over the air.
	status, err := forgedWebhook(ctx, srv, url, p, big)
	if err != nil {
		return err
	}
	if status != http.StatusUnauthorized || host.Stats().Displayed != before.Displayed {
		return fmt.Errorf("blereceipt: a forged webhook answered %d; want 401 and nothing shown", status)
	}
	fmt.Printf("attacker: a webhook for %s signed with a guessed secret → %d at the handheld; nothing sent, nothing displayed\n", big, status)
	select {
	case r := <-shown:
		return fmt.Errorf("blereceipt: the host showed an unexpected receipt %+v", r)
	default:
	}
	fmt.Printf("host: displayed %d receipts, each once\n", host.Stats().Displayed)
	return nil
}

// collectionQR makes a merchant and its static EMVCo collection QR, scans
// the PNG as the customer's phone would, and returns the paykit merchant
// it pays and the order it describes (no amount: the customer enters it).
func collectionQR(ctx context.Context, srv *paytest.Server) (string, emv.Order, error) {
	shop, err := account.NewClient(srv.AdminClient).CreateMerchant(ctx, "Harbour Noodle Bar")
	if err != nil {
		return "", emv.Order{}, err
	}
	code := emv.Payload{
		Initiation:       emv.Static,
		MerchantAccounts: []emv.Template{{ID: "26", GUI: PaykitGUI, Fields: []emv.DataObject{{ID: "01", Value: shop.ID}}}},
		MCC:              "5814", Currency: "156", Country: "CN", MerchantName: "Harbour Noodle Bar", MerchantCity: "Shanghai",
	}
	payload, err := code.Build()
	if err != nil {
		return "", emv.Order{}, err
	}
	png, err := qrimage.Encode(payload)
	if err != nil {
		return "", emv.Order{}, err
	}
	fmt.Printf("merchant: a static collection QR on the counter (%d characters, PNG %d bytes)\n", len(payload), len(png))
	text, err := qrimage.DecodePNG(png)
	if err != nil {
		return "", emv.Order{}, err
	}
	p, err := emv.Parse(text)
	if err != nil {
		return "", emv.Order{}, err
	}
	o, err := p.Order()
	if err != nil {
		return "", emv.Order{}, err
	}
	for _, a := range o.Accounts {
		if a.GUI == PaykitGUI && a.Field("01") != "" && !o.HasAmount {
			return a.Field("01"), o, nil
		}
	}
	return "", emv.Order{}, errors.New("blereceipt: the collection QR names no paykit merchant")
}

// forgedWebhook posts a payment.succeeded webhook for amount, signed with
// a secret the attacker guessed, to the handheld's endpoint at url.
func forgedWebhook(ctx context.Context, srv *paytest.Server, url string, p channel.Payment, amount pay.Money) (int, error) {
	p.Amount, p.Status = amount, channel.StatusSucceeded
	e, err := pay.NewEvent(channel.WebhookPaymentSucceeded, srv.Now(), p)
	if err != nil {
		return 0, err
	}
	req, err := pay.SignedWebhookRequest(ctx, url, e, srv.Now(), "whsec_attackers_guess")
	if err != nil {
		return 0, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, nil
}

// awaitShown waits for the host's display to show a receipt and for the
// handheld to have its ack, and returns the receipt shown.
func awaitShown(ctx context.Context, shown, acked <-chan ble.Receipt) (ble.Receipt, error) {
	timeout := time.After(15 * time.Second)
	var r ble.Receipt
	for _, c := range []<-chan ble.Receipt{shown, acked} {
		select {
		case got := <-c:
			if c == shown {
				r = got
			}
		case <-timeout:
			return ble.Receipt{}, errors.New("blereceipt: the receipt was not shown and acknowledged within 15 s")
		case <-ctx.Done():
			return ble.Receipt{}, ctx.Err()
		}
	}
	return r, nil
}

func randomKey() ble.Key {
	k := make(ble.Key, ble.KeyLen)
	_, _ = rand.Read(k)
	return k
}

// counterDisplay is the host's screen: it prints the receipt and hands it
// to the flow.
type counterDisplay struct{ shown chan<- ble.Receipt }

func (d counterDisplay) Show(_ context.Context, r ble.Receipt) error {
	payer := "—"
	if r.Payer != "" {
		payer = "…" + r.Payer
	}
	fmt.Printf("host display │ %-8s │ %11s │ %s │ payer %s │ payment …%s │ terminal %d │ %s UTC\n",
		strings.ToUpper(r.Kind.String()), r.Amount, r.Channel, payer, r.PaymentID, r.Terminal, r.Time.UTC().Format(time.TimeOnly))
	d.shown <- r
	return nil
}

// counterBuzzer is the host's buzzer: a distinct pattern per kind.
type counterBuzzer struct{}

// beepPatterns are the buzzer's patterns: two short beeps for a payment,
// one long for a refund.
var beepPatterns = map[ble.Kind]string{ble.KindPaid: "beep beep (2 × 80 ms)", ble.KindRefunded: "beeeeeep (1 × 600 ms)"}

func (counterBuzzer) Beep(_ context.Context, k ble.Kind) error {
	p, ok := beepPatterns[k]
	if !ok {
		return fmt.Errorf("blereceipt: no beep for %s", k)
	}
	fmt.Printf("host buzzer  │ ♪ %s\n", p)
	return nil
}
