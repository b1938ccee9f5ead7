package gatt

import "tinygo.org/x/bluetooth"

// The receipt service and its characteristics, as 128-bit UUID strings
// (see the package doc for what each carries).
const (
	// ServiceUUIDString is the paykit receipt service the host advertises.
	ServiceUUIDString = "baa60001-45b2-4c4f-a69f-cefba8163a73"
	// ReceiptCharUUIDString is the characteristic the handheld writes
	// chunks to (write without response).
	ReceiptCharUUIDString = "baa60002-45b2-4c4f-a69f-cefba8163a73"
	// AckCharUUIDString is the characteristic the host notifies chunks on.
	AckCharUUIDString = "baa60003-45b2-4c4f-a69f-cefba8163a73"
)

// The same UUIDs parsed, as the Bluetooth stack takes them.
var (
	ServiceUUID     = mustParseUUID(ServiceUUIDString)
	ReceiptCharUUID = mustParseUUID(ReceiptCharUUIDString)
	AckCharUUID     = mustParseUUID(AckCharUUIDString)
)

func mustParseUUID(s string) bluetooth.UUID {
	u, err := bluetooth.ParseUUID(s)
	if err != nil {
		panic("gatt: bad UUID constant " + s)
	}
	return u
}
