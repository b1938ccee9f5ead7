// Command account runs the account-platform flow (top-up, consumption with
// points, a bill paid and cleared) against an in-process reference backend.
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
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer srv.Close()
	if err := flows.Account(context.Background(), srv); err != nil {
		fmt.Fprintln(os.Stderr, "account:", err)
		os.Exit(1)
	}
}
