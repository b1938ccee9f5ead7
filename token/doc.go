// Package token is paykit's payment token vault: it replaces account
// numbers (card PANs, wallet and bank accounts) with tokens that carry their
// own domain controls, and it provisions contactless credentials (system E)
// that a phone presents at consumption and top-up machines.
//
// # Tokens
//
// A numeric token looks like a card number: 16 to 19 digits, Luhn-valid,
// under a token BIN of the vault's BINRange, and never equal to an account
// number the vault holds (the vault refuses to hold numbers inside its
// range, and its store keeps the two sets of numbers disjoint by
// fingerprint). An opaque token ("ptk_" and 26 base32 characters) stands for
// a non-card account. Each token has a management ID (tok_...) that its
// owner uses over HTTP, so token values stay out of URLs and access logs.
// Convergent issue (the same account, requestor and domain always get the
// same token) is an option, off by default.
//
// # Domain controls
//
// Controls are all optional and all checked on every use before anything
// changes: maximum uses, per-use and cumulative amount limits, not-before
// and expiry, allowed channels, merchants and terminals, a bound device,
// allowed presentment modes (QR, in-app, contactless, e-commerce) and a
// required cryptogram. Vault.Use approves a use only if every control
// passes, and records it in the same atomic step as the token's counters:
// of 64 concurrent uses of a token limited to 10, exactly 10 succeed. A
// refused use changes nothing.
//
// # Who sees what
//
// The token's requestor (the Caller that issued it) and the issuer (the
// vault's operator) own it: they see which control refused a use, manage
// the token, and list its uses. Everyone else gets ErrDeclined for every
// refusal, unknown tokens included, so refusals reveal neither which tokens
// exist nor which controls they carry. Only a Caller with Detokenize (an API
// key with ScopeDetokenize) ever receives an account number. Errors and logs
// never contain an account number or a token value.
//
// # Lifecycle
//
// Tokens are active, suspended or deleted. Deleted is final. A suspended
// token is resumed only by the party that suspended it: a requestor cannot
// lift the issuer's suspension, nor the issuer the requestor's.
//
// # Cryptograms
//
// Each token has a key derived with HKDF from the vault's master key and
// its ID, handed to the requestor once at issue (a phone keeps it in its
// SIM or HCE applet). A cryptogram is a truncated HMAC-SHA256 under that key
// over the token, amount, currency, merchant, a transaction counter and the
// terminal's unpredictable number (see NewCryptogram for the wire form).
// The vault accepts a cryptogram once: its counter must exceed every
// counter accepted before. Changing the amount or merchant fails it.
//
// # Contactless credentials
//
// Vault.Provision issues a device-bound, contactless-only,
// cryptogram-required token for a wallet; Issued.DeviceCredential is the
// phone's side, whose Present answers a terminal's tap. Resolver plugs the
// vault into pay/account, so a POS charges (and a top-up machine credits) a
// wallet by credential, never by account number; a payment that fails after
// the credential was approved gives the use back.
//
// The engine is Vault, with a Store (MemStore by default); Routes and
// Handler serve it over HTTP and Client calls it.
package token
