package flows

import (
	"context"
	"testing"

	"github.com/paykit-go/paykit/pay/paytest"
)

// The tour's flows run green in CI, so `go run ./examples/tour` keeps working.
func TestFlows(t *testing.T) {
	srv, err := paytest.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx := context.Background()
	if err := Account(ctx, srv); err != nil {
		t.Fatalf("account flow: %v", err)
	}
	if err := Channels(ctx, srv); err != nil {
		t.Fatalf("channels flow: %v", err)
	}
	if err := Webhooks(ctx); err != nil {
		t.Fatalf("webhooks flow: %v", err)
	}
	if err := Contactless(ctx, srv); err != nil {
		t.Fatalf("contactless flow: %v", err)
	}
}
