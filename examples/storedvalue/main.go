// Command storedvalue shows QR stored-value cards end to end against an
// in-process reference backend: a card is issued, printed as a QR code in
// the terminal and saved as a PNG (decoded back to check it), paid online
// at a POS and twice offline at a terminal, the terminal's batch settled, a
// double spend with a copy of the card caught at settlement, and the rest
// transferred to a second holder.
//
//	go run ./examples/storedvalue [-png card.png] [-light-on-dark]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/paykit-go/paykit/examples/internal/flows"
	"github.com/paykit-go/paykit/pay/paytest"
)

func main() {
	pngPath := flag.String("png", "", "where to save the card's QR code as a PNG (default: a new temporary directory)")
	lightOnDark := flag.Bool("light-on-dark", false, "draw light modules as blocks, for terminals with a dark background")
	flag.Parse()
	if err := run(*pngPath, *lightOnDark); err != nil {
		fmt.Fprintln(os.Stderr, "storedvalue:", err)
		os.Exit(1)
	}
}

func run(pngPath string, lightOnDark bool) error {
	if pngPath == "" {
		dir, err := os.MkdirTemp("", "paykit-storedvalue-")
		if err != nil {
			return err
		}
		pngPath = filepath.Join(dir, "card.png") // kept, so the code can be scanned afterwards
	}
	srv, err := paytest.NewServer()
	if err != nil {
		return err
	}
	defer srv.Close()
	return flows.StoredValue(context.Background(), srv, flows.StoredValueOptions{PNG: pngPath, QR: os.Stdout, LightOnDark: lightOnDark})
}
