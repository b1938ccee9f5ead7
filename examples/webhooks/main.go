// Command webhooks shows a merchant endpoint receiving paykit's signed
// webhooks: a delivery handled once, a replay ignored, a forgery and a stale
// capture refused.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/paykit-go/paykit/examples/internal/flows"
)

func main() {
	if err := flows.Webhooks(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "webhooks:", err)
		os.Exit(1)
	}
}
