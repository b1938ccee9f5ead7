// Command vrcheckout shows VR headset payments end to end against an
// in-process reference backend, through vrauth.Client (what a VR app
// imports): a user enrolls with an SMS code, registers the headset and a
// phone as trusted terminal, and buys with cross-terminal approval — the
// headset shows a user code and the QR code of its verification URL (drawn
// here in the terminal), the phone (played over HTTP) opens the approval
// link, approves and pays on the channel's page, and the headset's waiting
// call returns the result. Then the user signs a proxy-debit agreement,
// sets a payment password and buys with the password alone; a purchase
// over the agreement's limit and wrong passwords are refused.
//
// The QR code points at the backend's address. This command's backend
// listens on 127.0.0.1, so a person can scan the code with a real phone
// only when the backend is served on the network.
//
//	go run ./examples/vrcheckout [-light-on-dark]
package main

import (
	"context"
	"flag"
	"os"

	"github.com/paykit-go/paykit/examples/internal/flows"
	"github.com/paykit-go/paykit/pay/paytest"
)

func main() {
	lightOnDark := flag.Bool("light-on-dark", false, "draw light modules as blocks, for terminals with a dark background")
	flag.Parse()
	flows.Main("vrcheckout", func(ctx context.Context, srv *paytest.Server) error {
		return flows.VRCheckout(ctx, srv, flows.VRCheckoutOptions{QR: os.Stdout, LightOnDark: *lightOnDark})
	})
}
