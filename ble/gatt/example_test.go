package gatt_test

import (
	"context"
	"fmt"
	"time"

	"github.com/paykit-go/paykit/ble"
	"github.com/paykit-go/paykit/ble/gatt"
	"tinygo.org/x/bluetooth"
)

// A handheld holding the host ID from the pairing QR looks for this name
// beside the receipt service.
func ExampleAdvertisedName() {
	fmt.Println(gatt.ServiceUUIDString)
	fmt.Println(gatt.AdvertisedName("counter-1"))
	// Output:
	// baa60001-45b2-4c4f-a69f-cefba8163a73
	// pk78df61
}

// The handheld's side on a real radio: find the host named in the pairing
// QR, pair over the link, then send receipts. (Not run: it needs a
// Bluetooth adapter and a host in range.)
func ExampleDial() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := bluetooth.DefaultAdapter.Enable(); err != nil {
		fmt.Println(err)
		return
	}
	offer, err := ble.ParseOffer(scannedPairingQR)
	if err != nil {
		fmt.Println(err)
		return
	}
	link, err := gatt.Dial(ctx, bluetooth.DefaultAdapter, offer.HostID)
	if err != nil {
		fmt.Println(err) // gatt.ErrNoHost when the host is not in range
		return
	}
	defer link.Close()
	p, err := ble.PairOver(ctx, link, offer, "handheld-7")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("compare with the host's screen:", p.Code, "— MTU", link.MTU())
}

// scannedPairingQR stands for the text a handheld's camera read from the
// host's pairing QR.
var scannedPairingQR string
