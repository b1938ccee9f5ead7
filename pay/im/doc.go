// Package im carries bill payments over instant messaging (system B): a
// client turns a payment request and its payment elements (payer, bill,
// payment account, amount, payment password) into a sealed message, an IM
// server relays it untouched to the payment subsystem, and the subsystem
// answers each step with a sealed, typed prompt the client parses and
// shows.
//
// # Envelopes
//
// Seal encrypts a payload with HPKE (RFC 9180, crypto/hpke, base mode) to
// the recipient's public key under one of two suites: SuiteX25519
// (DHKEM(X25519), HKDF-SHA256, ChaCha20-Poly1305) or SuiteHybrid
// (MLKEM768-X25519, the X-Wing hybrid: confidential as long as either half
// holds, so ML-KEM-768 protects today's messages against a future quantum
// computer). The sender signs a domain-separated encoding of the header
// and the payload with its Ed25519 device key; the signature travels
// inside the ciphertext, so only the recipient can check it. The Header
// (message ID, conversation ID, sender ID, recipient key ID, timestamp to
// the millisecond) travels in clear, for routing and for picking the key,
// and is bound twice: it is the HPKE info, so changing any of its bytes
// makes decryption fail, and the signature covers it, recipient included,
// so a signed message can't be passed on as if it had been sent to someone
// else.
//
// The wire form is text-safe for IM bodies: "PKIM1." and unpadded base64url
// of a versioned binary form (wire.go documents every byte). ParseEnvelope
// reads it strictly, with a limit on every length and one encoding per
// envelope, and returns the unverified header; Envelope.Open decrypts with
// the recipient's key (ErrOpen: another key, or altered), looks up the
// sender's key by the header's SenderID (ErrUnknownDevice) and verifies the
// signature (ErrSignature). An X25519 envelope adds Overhead(SuiteX25519) =
// 148 bytes plus the two IDs to the payload (about 4/3 of that as text); a
// hybrid one adds 1236, almost all of it the ML-KEM ciphertext.
//
// # Requests and prompts
//
// The payloads are small JSON documents: a Request from the client (start,
// choose_bill, pay, cancel) and a Prompt from the subsystem (choose_bill
// with the outstanding bills, enter_password, result, error). Prompt.Text
// renders a prompt as the plain text an IM client shows. DecodeRequest and
// DecodePrompt are strict: one JSON object, exact field names, no unknown
// or repeated fields, no nulls, limits on every field, and only the fields
// the kind uses. A Request never prints or logs its password.
//
// # Relay and subsystem
//
// The IM server only forwards: a Relay stores and forwards opaque envelope
// texts per conversation and never sees plaintext (MemRelay serves tests
// and examples, RelayRoutes serve it over HTTP in the reference backend,
// and HTTPRelay is a device's side of that). The payment subsystem, the
// package's engine (Subsystem), opens each request, checks its
// authenticity, freshness (a 5-minute window: ErrStale) and replay (a message ID seen before: ErrReplay), then runs the
// conversation against pay/account: it lists the customer's arrears,
// verifies the payment account (ErrWallet) and the payment password
// (internal/passwd: Argon2id, constant time, locked after 5 failures),
// checks the bill (ErrBill) and the amount (ErrAmount), and pays the bill,
// which deducts the amount and clears the bill at most once. Every step is
// answered with a sealed prompt back through the relay; a request that
// cannot be opened gets a relay-level rejection, and a refused one an error
// prompt (ErrorPrompt), and neither deducts or clears anything.
//
// As in every domain package, the engine persists through a narrow Store
// (MemStore by default), Routes and Handler serve it over HTTP, and Client
// is what a device calls.
package im
