// Package gatt carries paykit's BLE receipt protocol (package ble) over a
// real Bluetooth Low Energy GATT connection, using tinygo.org/x/bluetooth
// (BlueZ over D-Bus on Linux). It is a ble.Link: the protocol above it —
// framing, pairing, MACs, acknowledgements — is the same as over the
// in-memory ble.MemLink, so everything but the radio is tested there.
//
// # Roles
//
// The counter-top collection host is the GATT server and BLE peripheral
// (Advertise): it advertises the receipt service and exposes two
// characteristics. The merchant's handheld is the GATT client and BLE
// central (Dial): it scans for the service, connects, discovers both
// characteristics, subscribes to notifications and reads the negotiated
// ATT MTU.
//
// # Service and characteristics
//
// The UUIDs are 128-bit: one random version-4 UUID generated once for
// paykit, with its third and fourth bytes numbering the service and its
// characteristics (the Nordic UART Service scheme), so a sniffer log
// groups them:
//
//	receipt service       baa60001-45b2-4c4f-a69f-cefba8163a73  ServiceUUID
//	receipt characteristic baa60002-45b2-4c4f-a69f-cefba8163a73 ReceiptCharUUID
//	    write without response (and write): handheld → host, one chunk each
//	ack characteristic    baa60003-45b2-4c4f-a69f-cefba8163a73  AckCharUUID
//	    notify (and read): host → handheld, acks and pairing answers
//
// Every chunk is one ATT Write Command or Handle Value Notification, at
// most MTU-3 bytes (20 at the default MTU of 23). Nothing is sent as a long
// (prepared) write: a write at a non-zero offset is dropped by the host.
//
// # Advertisement
//
// The host advertises ServiceUUID and the local name AdvertisedName(hostID):
// "pk" and the first 6 hex digits of SHA-256(hostID). Flags (3 bytes), the
// 128-bit service UUID (18) and the name (10) fill the 31-byte legacy
// advertising payload exactly. A handheld that scanned the host's pairing
// QR passes its host ID to Dial and connects only to that host; the name is
// a filter, not a proof: an impostor advertising the same name cannot
// make the host's acks (they are MAC'd under the pairing's ack key), so
// receipts sent to it stay unacknowledged and the handheld reports them
// undelivered.
//
// # MTU
//
// The handheld takes the ATT MTU from the stack after connecting
// (DeviceCharacteristic.GetMTU), and assumes 23 when the stack cannot say.
// The host's stack does not report the MTU to a GATT server through
// tinygo.org/x/bluetooth, so the host starts at 23 and raises its MTU to
// the length of the longest write it has received plus 3: a Write Command
// of n bytes proves the MTU is at least n+3. MTUs are capped at
// ble.MaxMTU (517), the largest ATT allows.
//
// # Delivery
//
// Writes without response and notifications are not acknowledged by the
// link layer of this package; loss is handled above it (the host acks each
// receipt by counter and the handheld retransmits). Received chunks are
// copied and queued (QueueLen per link); when the reader falls behind, new
// chunks are dropped and counted (Dropped), never blocking the Bluetooth
// stack's callback goroutine.
//
// When the handheld's connection drops, Send fails with ErrRadio and the
// next Send scans and connects again (within its context) and resubscribes
// to acks; the MTU is read again. A host keeps its service and
// advertisement until Close.
//
// A host serves the handhelds paired with it on one link: BlueZ does not
// tell a GATT server which connected central wrote, so the writes of all
// share one queue and one learned MTU, and the protocol above tells their
// messages apart by pairing number and MAC.
//
// The peripheral role (Advertise) needs a stack with a GATT server: Linux
// (BlueZ) and Windows. Elsewhere Advertise returns ErrUnsupported.
package gatt
