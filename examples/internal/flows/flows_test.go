package flows

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/paykit-go/paykit/pay/paytest"
	"github.com/paykit-go/paykit/qr"
	"github.com/paykit-go/paykit/qr/qrimage"
	"github.com/paykit-go/paykit/vrauth"
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
	if err := PosQR(ctx, srv); err != nil {
		t.Fatalf("merchant QR flow: %v", err)
	}
	if err := IMBill(ctx, srv); err != nil {
		t.Fatalf("IMBill: %v", err)
	}
	if err := BLEReceipt(ctx, srv); err != nil {
		t.Fatalf("BLE receipt flow: %v", err)
	}

	// The stored-value flow as the standalone example runs it: the code
	// drawn in the terminal and the saved PNG both read back as the same
	// card, signed by the backend's issuer.
	var drawn bytes.Buffer
	png := filepath.Join(t.TempDir(), "card.png")
	if err := StoredValue(ctx, srv, StoredValueOptions{PNG: png, QR: &drawn}); err != nil {
		t.Fatalf("stored-value flow: %v", err)
	}
	fromTerminal := h9ReadDrawing(t, drawn.String(), false)
	saved, err := os.ReadFile(png)
	if err != nil {
		t.Fatal(err)
	}
	fromPNG, err := qrimage.DecodePNG(saved)
	if err != nil {
		t.Fatal(err)
	}
	if fromTerminal != fromPNG {
		t.Fatal("the drawn code and the PNG hold different texts")
	}
	c, err := qr.Decode(fromPNG, srv.Cards.Keys(), srv.Now())
	if err != nil {
		t.Fatalf("the saved card does not verify: %v", err)
	}
	if c.Holder != "Li Lei" || c.Seq != 1 || c.Balance.Amount != 100_00 || c.KeyID != paytest.CardIssuerKeyID {
		t.Errorf("saved card %+v; want Li Lei's card at seq 1 with 100.00, issuer key", c)
	}
	if err := StoredValue(ctx, srv, StoredValueOptions{}); err == nil {
		t.Error("stored-value flow without a PNG path: no error")
	}

	// The VR checkout as the standalone example runs it: the QR code drawn
	// in the terminal reads back as the headset's verification URL, with a
	// user code for this backend's code page.
	drawn.Reset()
	if err := VRCheckout(ctx, srv, VRCheckoutOptions{QR: &drawn}); err != nil {
		t.Fatalf("VR checkout flow: %v", err)
	}
	uri := h9ReadDrawing(t, drawn.String(), false)
	code, ok := strings.CutPrefix(uri, srv.URL+"/vr/code?user_code=")
	if !ok || len(code) != 9 || code[4] != '-' || vrauth.NormalizeUserCode(code) == "" {
		t.Errorf("the drawn QR code holds %q; want %s/vr/code?user_code=XXXX-XXXX", uri, srv.URL)
	}
}

// The tour's way of running the VR checkout: nothing drawn, on a fresh
// backend, every step still checked.
func TestVRCheckoutWithoutDrawing(t *testing.T) {
	srv, err := paytest.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if err := VRCheckout(context.Background(), srv, VRCheckoutOptions{}); err != nil {
		t.Fatalf("VR checkout flow without drawing: %v", err)
	}
	if n := len(srv.Outbox.Messages()); n != 3 {
		t.Errorf("the backend sent %d messages; want 3 (the enrollment code, the activation link, one approval link)", n)
	}
}

// The tour's way of running the stored-value flow: no drawing, the PNG
// still saved and read back.
func TestStoredValueWithoutDrawing(t *testing.T) {
	srv, err := paytest.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	png := filepath.Join(t.TempDir(), "tour.png")
	if err := StoredValue(context.Background(), srv, StoredValueOptions{PNG: png}); err != nil {
		t.Fatalf("stored-value flow without drawing: %v", err)
	}
	if _, err := os.Stat(png); err != nil {
		t.Errorf("no PNG saved: %v", err)
	}
}

// drawQR's half-block drawing, read back module by module, is a QR code
// that decodes to the text, in both colourings, with an odd number of
// module rows (the last line holds one row).
func TestDrawQR(t *testing.T) {
	const text = "6BFOXN*TS0BI$ZD4N9:9S6RCVN5+O30K3/XIV0W23NTDEXWK G2EP4J0BGJLFX3R3VHXK.PJ:2DPF6R:5SVBHABVCNN95SWMPHQUHQN%A0SOE+QQAB-HQ/HQ7IR.SQEEOK9SO"
	for _, lightOnDark := range []bool{false, true} {
		var b strings.Builder
		if err := drawQR(&b, text, lightOnDark); err != nil {
			t.Fatal(err)
		}
		if got := h9ReadDrawing(t, b.String(), lightOnDark); got != text {
			t.Errorf("lightOnDark=%v: the drawing decodes to %q; want the text", lightOnDark, got)
		}
	}
}

// h9ReadDrawing turns a drawQR drawing back into modules, renders them 4
// pixels each and decodes the QR code. It checks the drawing's shape: an
// odd-sized symbol with its 4-module quiet zone, (size+1)/2 lines of size
// characters, only ' ', '▀', '▄' and '█'.
func h9ReadDrawing(t *testing.T, drawing string, lightOnDark bool) string {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(drawing, "\n"), "\n")
	size := utf8.RuneCountInString(lines[0])
	if size%2 != 1 || len(lines) != (size+1)/2 || (size-8-17)%4 != 0 {
		t.Fatalf("drawing of %d lines of %d characters; want a QR symbol with its quiet zone, two rows a line", len(lines), size)
	}
	const px = 4
	img := image.NewGray(image.Rect(0, 0, size*px, size*px))
	for y, line := range lines {
		if n := utf8.RuneCountInString(line); n != size {
			t.Fatalf("line %d has %d characters; want %d", y, n, size)
		}
		x := 0
		for _, r := range line {
			var top, bottom bool
			switch r {
			case ' ':
			case '▀':
				top = true
			case '▄':
				bottom = true
			case '█':
				top, bottom = true, true
			default:
				t.Fatalf("line %d holds %q", y, r)
			}
			for i, drawn := range []bool{top, bottom} {
				row := 2*y + i
				if row >= size {
					if drawn {
						t.Fatalf("the last line draws below the symbol")
					}
					continue
				}
				v := color.Gray{Y: 255}
				if drawn != lightOnDark {
					v = color.Gray{}
				}
				for dy := range px {
					for dx := range px {
						img.SetGray(x*px+dx, row*px+dy, v)
					}
				}
			}
			x++
		}
	}
	text, err := qrimage.Decode(img)
	if err != nil {
		t.Fatalf("the drawing does not decode: %v", err)
	}
	return text
}
