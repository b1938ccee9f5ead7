package flows

import (
	"context"
	"fmt"
	"os"

	"github.com/paykit-go/paykit/pay/paytest"
)

// Main runs one flow as a command: it starts an in-process reference
// backend, runs flow against it and exits non-zero with the error, prefixed
// with name, when the flow fails.
func Main(name string, flow func(context.Context, *paytest.Server) error) {
	srv, err := paytest.NewServer()
	if err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(1)
	}
	err = flow(context.Background(), srv)
	srv.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(1)
	}
}
