// Package ble carries "payment received" receipts over Bluetooth Low
// Energy from a merchant's handheld to a counter-top collection host
// (system C): a customer pays the merchant's static QR through a channel,
// the channel tells the merchant's handheld, and the handheld relays a
// receipt to the host, which shows it and beeps, so the merchant need not
// watch a phone. A forged "paid" message is the classic fraud at a
// counter, so the host shows nothing it has not verified.
//
// # Receipts
//
// EncodeReceipt writes a Receipt in a versioned compact binary layout (no
// field names, one encoding per receipt; ReceiptVersion documents every
// bit) and authenticates it with HMAC-SHA256, truncated to 8 bytes, under
// the key of the pairing between handheld and host:
//
//	field     bytes  content
//	header    1      version (high nibble), kind: paid or refunded (low nibble)
//	pairing   2      pairing number, assigned by the host
//	counter   1–10   uvarint, grows with every receipt of the pairing
//	payment   5      the payment ID's last 8 base32 characters
//	amount    1–9    uvarint minor units, positive
//	money     2      channel code (6 bits), ISO 4217 numeric currency (10 bits)
//	payer     2      last digits of the payer in BCD, 0xFFFF for none
//	time      4      Unix seconds
//	terminal  2      the merchant's terminal number
//	MAC       8      HMAC-SHA256 of a label and all of the above, truncated
//
// A receipt is 36 bytes while its counter and amount stay below 2³⁵: with
// the framing, two ATT packets at BLE's default MTU of 23 and one at 42 or
// more. The same receipt as CBOR in a COSE_Mac0 with the same framing is
// about twice the bytes: four packets at 23 with an 8-byte tag, five or six
// with the full 32-byte one (bench_test.go measures both).
//
// DecodeReceipt checks the MAC in constant time before it parses anything,
// then parses strictly (minimal varints, no trailing bytes, known kind,
// channel and currency). ReceiptPairing reads the unverified pairing number
// a host needs to choose the key.
//
// # Framing
//
// A message (a receipt, an ack, a pairing message) travels as fragments of
// at most MTU-3 bytes, one ATT write or notification each, as in FIDO's BLE
// framing: an initial fragment carries a command byte with its high bit set
// (CmdReceipt, CmdAck, CmdPairRequest, CmdPairResponse, CmdError) and the
// message length in two bytes; continuation fragments carry a sequence
// number from 0x00 to 0x7F. Fragment splits a message for a link's MTU,
// which is negotiated per link: nothing assumes more than 23. A Reassembler
// rebuilds messages and refuses what doesn't fit the framing — a
// continuation without an initial fragment, an unexpected sequence number,
// data past the declared length, a message over its limit, garbage —
// resetting itself so that the next message arrives cleanly.
//
// # Pairing
//
// The host shows a pairing QR (Offer: "PKBLE1:" + Base45) with its ID, the
// pairing number, a fresh X25519 public key and a SHA-256 commitment to a
// host nonce. The handheld scans it and sends its own public key (pair
// request); the host answers with the nonce (pair response). Both derive
// the receipt and ack keys with X25519 and HKDF-SHA256 over the whole
// transcript and show a 6-digit confirmation code derived from it, so a
// substituted key shows different codes. The commitment keeps a man in
// the middle from searching for keys that make the two codes agree: each
// attempt matches with probability one in a million. The host stores a
// pairing only when the merchant confirms the codes match (Confirm),
// numbers its pairings, and can revoke them.
//
// # Delivery
//
// The handheld numbers each receipt with the pairing's next counter and
// retransmits it until the host acknowledges that counter or a deadline
// passes (ErrUndelivered). The host verifies the MAC, refuses replays
// (ErrReplay; a repeat of the last receipt is acknowledged again but never
// shown twice), and only then calls its Display and Buzzer. Links (Link)
// carry the chunks: an in-memory link that simulates loss, duplication,
// reordering and delay for tests and examples, and a real GATT link in
// ble/gatt.
//
// # The handheld's input
//
// NewWebhookHandler is the handheld's endpoint for the backend's signed
// merchant webhooks: it verifies the signature and replay window, turns
// payment.succeeded and payment.refunded into a Receipt (ReceiptFromEvent)
// and hands it to a sink such as Handheld.Send.
package ble
