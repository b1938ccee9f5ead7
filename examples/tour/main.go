// Command tour runs paykit's flows end to end against an in-process
// reference backend, printing each step. It exits non-zero if any step
// fails. Later capabilities add their flows here.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/paykit-go/paykit/examples/internal/flows"
	"github.com/paykit-go/paykit/pay/paytest"
)

func main() {
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "tour:", err)
		os.Exit(1)
	}
	fmt.Println("\ntour complete: every step succeeded")
}

func run(ctx context.Context) error {
	srv, err := paytest.NewServer()
	if err != nil {
		return fmt.Errorf("start backend: %w", err)
	}
	defer srv.Close()
	// The stored-value card's QR code goes to a temporary PNG that is
	// decoded back and checked; the tour does not draw it, nor the VR
	// headset's code, in the terminal (go run ./examples/storedvalue and
	// go run ./examples/vrcheckout do).
	pngDir, err := os.MkdirTemp("", "paykit-tour-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(pngDir)
	fmt.Printf("paykit tour — reference backend on %s\n", srv.URL)

	for _, f := range []struct {
		name string
		run  func(context.Context, *paytest.Server) error
	}{
		{"Account platform: top-up, consumption with points, a bill paid and cleared", flows.Account},
		{"Channel aggregation: two channels enabled, the user picks one, signed callback, webhook, refund", flows.Channels},
		{"Signed webhooks: delivered once, replay ignored, forgery and stale capture refused", func(ctx context.Context, _ *paytest.Server) error { return flows.Webhooks(ctx) }},
		{"Contactless credential: provisioned to a phone, top-up and payment by tap, replay and suspension refused", flows.Contactless},
		{"Stored-value QR card: issued, paid online and offline, settled, a double spend caught, the rest transferred", func(ctx context.Context, srv *paytest.Server) error {
			return flows.StoredValue(ctx, srv, flows.StoredValueOptions{PNG: filepath.Join(pngDir, "card.png")})
		}},
		{"Merchant QR (EMVCo): a POS shows a dynamic code, a phone scans and pays it; altered and foreign codes refused", flows.PosQR},
		{"IM payments: a customer asks for her arrears, picks a bill and pays it with her password, every message sealed through the relay; an altered message refused", flows.IMBill},
		{"BLE receipts: a handheld pairs with a collection host, a QR payment's webhook becomes a receipt over a lossy link, shown and beeped once; forgeries refused", flows.BLEReceipt},
		{"VR headset payments: SMS enrollment, a phone approves and pays across terminals, then proxy debit with a password; limit and wrong passwords refused", func(ctx context.Context, srv *paytest.Server) error {
			return flows.VRCheckout(ctx, srv, flows.VRCheckoutOptions{})
		}},
	} {
		fmt.Printf("\n=== %s\n", f.name)
		if err := f.run(ctx, srv); err != nil {
			return fmt.Errorf("FAILED: %w", err)
		}
	}
	return nil
}
