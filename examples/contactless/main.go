// Command contactless shows the contactless credential end to end: a
// credential provisioned to a phone tops up a wallet at a top-up machine and
// pays at a consumption machine by tap, earning points; a replayed tap and a
// suspended credential are refused, and a resumed one pays again.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/paykit-go/paykit/examples/internal/flows"
	"github.com/paykit-go/paykit/pay/paytest"
)

func main() {
	srv, err := paytest.NewServer()
	if err != nil {
		fmt.Fprintln(os.Stderr, "contactless:", err)
		os.Exit(1)
	}
	defer srv.Close()
	if err := flows.Contactless(context.Background(), srv); err != nil {
		fmt.Fprintln(os.Stderr, "contactless:", err)
		os.Exit(1)
	}
}
