package qr

import (
	"context"
	mrand "math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/qr/qrimage"
)

// TestRandomCardsThroughPNG: random signed cards (every token form,
// currency and field size the layout allows, so versions 6 to 10) rendered
// to PNG, read back from the image and verified: zero failures. 10,000 cards
// in a plain `go test`; 100 under the race detector, which makes image
// decoding about 20 times slower.
func TestRandomCardsThroughPNG(t *testing.T) {
	n := 10_000
	if raceEnabled || testing.Short() {
		n = 100
	}
	rng := mrand.New(mrand.NewPCG(2026, 11))
	keys := NewKeySet()
	signers := make([]*SoftwareSigner, 4)
	for i := range signers {
		s, err := GenerateSigner(uint32(i + 1))
		if err != nil {
			t.Fatal(err)
		}
		if err := keys.Add(s.KeyID(), s.Public()); err != nil {
			t.Fatal(err)
		}
		signers[i] = s
	}
	ctx := context.Background()
	failures := 0
	for i := range n {
		c := h7RandomCard(rng)
		s := signers[i%len(signers)]
		text, err := Encode(ctx, c, s)
		if err != nil {
			t.Fatalf("card %d: encode: %v", i, err)
		}
		png, err := qrimage.Encode(text)
		if err != nil {
			t.Fatalf("card %d: render: %v", i, err)
		}
		read, err := qrimage.DecodePNG(png)
		if err != nil || read != text {
			failures++
			t.Errorf("card %d: read back %v (same text: %v)", i, err, read == text)
			continue
		}
		got, err := Decode(read, keys, c.NotBefore)
		c.KeyID = s.KeyID()
		if err != nil {
			failures++
			t.Errorf("card %d: verify: %v", i, err)
			continue
		}
		if d := cmp.Diff(c, got); d != "" {
			failures++
			t.Errorf("card %d changed through the image:\n%s", i, d)
		}
	}
	if failures != 0 {
		t.Fatalf("%d of %d cards failed", failures, n)
	}
}
