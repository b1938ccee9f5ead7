// Command channels shows channel aggregation end to end: two sandbox
// channels enabled, the user picks one, the charge succeeds through the
// provider's signed callback, the merchant hears by signed webhook, and a
// refund follows.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/paykit-go/paykit/examples/internal/flows"
	"github.com/paykit-go/paykit/pay/paytest"
)

func main() {
	srv, err := paytest.NewServer(paytest.WithWallClock())
	if err != nil {
		fmt.Fprintln(os.Stderr, "channels:", err)
		os.Exit(1)
	}
	defer srv.Close()
	if err := flows.Channels(context.Background(), srv); err != nil {
		fmt.Fprintln(os.Stderr, "channels:", err)
		os.Exit(1)
	}
}
