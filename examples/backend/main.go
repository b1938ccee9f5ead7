// Command backend serves paykit's reference in-memory backend on
// 127.0.0.1:8080 (change with -addr) with demo data, and prints the keys and
// IDs a newcomer needs to call it.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/paykit-go/paykit/pay/paytest"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	flag.Parse()

	srv, err := paytest.Listen(*addr, paytest.WithWallClock())
	if err != nil {
		fmt.Fprintln(os.Stderr, "backend:", err)
		os.Exit(1)
	}
	defer srv.Close()
	demo, err := srv.Seed(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "backend: seed:", err)
		os.Exit(1)
	}
	fmt.Printf(`paykit reference backend on %s

API keys (send as "Authorization: Bearer <key>"):
  merchant backend  %s
  device (POS, top-up machine, headset)  %s
  operator (admin)  %s

Demo data:
  merchant  %s  (Demo Coffee)
  biller    %s  (City Water & Power)
  customer  %s  (Li Lei, +8613800138000)
  wallet    %s  (100.00 CNY)
  bill      %s  (35.00 CNY outstanding)

Try:
  curl -s -H "Authorization: Bearer %s" %s/v1/wallets/%s
  curl -s -H "Authorization: Bearer %s" -H "Idempotency-Key: demo-1" \
       -d '{"wallet_id":"%s","merchant_id":"%s","amount":{"amount":1250,"currency":"CNY"},"terminal_id":"pos-1"}' \
       %s/v1/consumptions
  curl -s -H "Authorization: Bearer %s" -d '{"wallet_id":"%s"}' %s/v1/bills/%s/pay

Channel payments (sandbox providers served at /sandbox/<name>/, callbacks to /v1/callbacks/<name>):
  curl -s -H "Authorization: Bearer %s" "%s/v1/channels?user_id=%s&scenario=web&currency=CNY"
  curl -s -H "Authorization: Bearer %s" \
       -d '{"merchant_id":"%s","user_id":"%s","channel":"sandbox-a","scenario":"web","amount":{"amount":6800,"currency":"CNY"}}' \
       %s/v1/payments
  then open the payment's action.redirect_url in a browser and press Pay (or curl -X POST that URL), and
  curl -s -H "Authorization: Bearer %s" "%s/v1/payments/<payment id>?wait=30"

Payment tokens (token values and account numbers travel in request bodies, never in URLs):
  curl -s -H "Authorization: Bearer %s" \
       -d '{"account":"4111111111111111","account_type":"card","controls":{"max_uses":3,"merchants":["%s"]}}' \
       %s/v1/tokens
  then manage it by its tok_ ID: GET %s/v1/tokens/<token id> and .../uses; POST .../suspend, .../resume, .../delete;
  a POS presents the token value to POST /v1/token_uses (device key); only the admin key may detokenize.
  POST /v1/credentials (merchant key) with {"wallet_id":"%s","device_id":"phone-1"} provisions a
  contactless credential for the demo wallet; the phone keeps its cryptogram_key and answers each tap
  with a cryptogram sent as "credential" to /v1/consumptions and /v1/topups (see go run ./examples/contactless).

Stored-value QR cards (card texts travel in request bodies): POST /v1/qr/cards (merchant key) with
  {"holder":"Li Lei","token":"<a wallet token value>","balance":{"amount":10000,"currency":"CNY"},"validity_seconds":2592000}
  issues a signed card; a POS pays with it at POST /v1/qr/redemptions, offline terminals register at POST /v1/qr/terminals
  and settle at POST /v1/qr/settlements, POST /v1/qr/transfers moves value to another holder (see go run ./examples/storedvalue).
`, srv.URL, srv.Keys.Merchant, srv.Keys.Device, srv.Keys.Admin,
		demo.MerchantID, demo.BillerID, demo.CustomerID, demo.WalletID, demo.BillID,
		srv.Keys.Device, srv.URL, demo.WalletID,
		srv.Keys.Device, demo.WalletID, demo.MerchantID, srv.URL,
		srv.Keys.Device, demo.WalletID, srv.URL, demo.BillID,
		srv.Keys.Device, srv.URL, demo.CustomerID,
		srv.Keys.Device, demo.MerchantID, demo.CustomerID, srv.URL,
		srv.Keys.Device, srv.URL,
		srv.Keys.Merchant, demo.MerchantID, srv.URL, srv.URL, demo.WalletID)

	fmt.Printf(`VR headset payments (device key): POST %s/v1/vr/users with {"name":"Ann","mobile":"+8613800138000"}
  enrolls a user; the SMS code, terminal activation links and approval links it "sends" are printed
  below as they go out (the backend's outbox stands in for a phone). Then .../verify, .../headsets,
  .../terminals, and POST /v1/vr/authorizations places an order; open the approval link in a browser
  (see go run ./examples/vrcheckout for the whole flow).

Ctrl-C stops it.
`, srv.URL)

	stop, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	go printOutbox(stop, srv)
	<-stop.Done()
	fmt.Println("\nstopped")
}

// printOutbox prints each SMS code and link the backend "sends", so a
// person driving the backend by hand can follow the VR flow.
func printOutbox(ctx context.Context, srv *paytest.Server) {
	seen := 0
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		msgs := srv.Outbox.Messages()
		for _, m := range msgs[seen:] {
			fmt.Printf("outbox → %s (%s): %s\n", m.To, m.Kind, m.Body)
		}
		seen = len(msgs)
	}
}
