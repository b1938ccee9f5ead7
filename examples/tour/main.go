// Command tour runs paykit's flows end to end against an in-process
// reference backend, printing each step. It exits non-zero if any step
// fails. Later capabilities add their flows here.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/paykit-go/paykit/examples/internal/flows"
	"github.com/paykit-go/paykit/pay/paytest"
)

func main() {
	ctx := context.Background()
	srv, err := paytest.NewServer()
	if err != nil {
		fmt.Fprintln(os.Stderr, "tour: start backend:", err)
		os.Exit(1)
	}
	defer srv.Close()
	fmt.Printf("paykit tour — reference backend on %s\n", srv.URL)

	for _, f := range []struct {
		name string
		run  func(context.Context, *paytest.Server) error
	}{
		{"Account platform: top-up, consumption with points, a bill paid and cleared", flows.Account},
		{"Channel aggregation: two channels enabled, the user picks one, signed callback, webhook, refund", flows.Channels},
		{"Signed webhooks: delivered once, replay ignored, forgery and stale capture refused", func(ctx context.Context, _ *paytest.Server) error { return flows.Webhooks(ctx) }},
		{"Contactless credential: provisioned to a phone, top-up and payment by tap, replay and suspension refused", flows.Contactless},
	} {
		fmt.Printf("\n=== %s\n", f.name)
		if err := f.run(ctx, srv); err != nil {
			fmt.Fprintln(os.Stderr, "tour: FAILED:", err)
			os.Exit(1)
		}
	}
	fmt.Println("\ntour complete: every step succeeded")
}
