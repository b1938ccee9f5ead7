// Package qr is paykit's stored-value card system (system D): cards carried
// in QR codes, their deduction and regeneration, offline deduction at a POS
// with later settlement, and transfer between holders.
//
// # Cards
//
// A Card carries its ID, the issuer's key ID, the holder, the designated
// account as a payment token (never a raw account number), the balance, the
// remaining uses, a validity window, a sequence number that grows with every
// deduction and, after a transfer, the previous holder.
//
// Encode writes it in a versioned compact binary layout (varints, no field
// names; see LayoutVersion for the byte map), signs the layout with Ed25519
// through a Signer, and renders layout and signature as Base45 text
// (RFC 9285), so the QR symbol uses alphanumeric mode. A card with a
// 16-character holder and a 19-digit token is 117 bytes signed, 176
// characters of text, and fits QR version 7 at error-correction level M;
// the same claims as CBOR in an Ed25519 COSE_Sign1, Base45 too, need
// version 9 (integer keys) or 10 (text keys), and JSON with base64url and an
// RSA-2048 signature version 20 (size_test.go measures all four).
//
// Decode trusts nothing before it has checked everything: the Base45, the
// layout (strictly: one version, minimal varints, no trailing bytes, every
// field in shape), that the KeySet holds the card's key ID, the signature,
// and the validity window. Any single altered bit fails it. Its errors are
// *pay.Error sentinels (ErrCardMalformed, ErrCardUnknownKey,
// ErrCardSignature, ErrCardExpired) that keep their meaning over HTTP, and
// they never carry the card's token.
//
// # Keys
//
// An issuer or offline terminal signs through the Signer interface: in
// production a key in a secure element (SIM, SD or USB token, eSIM) that
// never leaves it, by default a SoftwareSigner in memory. Verifiers trust
// public keys by key ID in a KeySet; rotation adds the new key, keeps the
// old one until its cards expire, then removes it. Offline terminals sign
// the cards they regenerate with their own keys, which the issuer's key set
// trusts once the terminal is registered (Issuer.RegisterTerminal).
//
// # Issuing, redeeming, transferring
//
// Issuer is the engine. Card value lives in pay/ledger: issue moves it from
// the currency's float account to the card's own account (which can never
// go below zero); a deduction moves it to the merchant's account, the same
// one the account platform keeps (account.MerchantLedgerAccount). Redeem
// verifies a card, applies adjustment rules (member discount by a holder
// attribute, regional price by location; each reported in the receipt),
// then deducts an amount, or one use, or charges the designated account
// through a Charger, and returns the regenerated card: new balance or uses,
// the next sequence number, signed again. Transfer moves all or part of a
// card's value to a new card that names both the new holder and the
// previous one; the old card is spent.
//
// # Sequence numbers and double spending
//
// Every deduction consumes the sequence number of the card it was made on
// and produces the next one. The issuer keeps, per card, every consumed
// sequence number with the deduction that consumed it. Consuming one twice
// (an old copy of the card presented again, online or in an offline batch)
// is a conflict (ErrCardConflict) reported with both deductions and never
// applied; the same deduction arriving again (a retry, a re-uploaded batch)
// is an idempotent duplicate. Ledger transfer IDs derive from card ID and
// sequence number, so the books cannot apply one twice either.
//
// # Offline deduction and settlement
//
// A Terminal deducts while offline: it verifies the card against its key
// set, checks OfflineLimits (whose doc says what risk each limit bounds),
// records a signed Record (terminal, card, sequence number, amount, time)
// and hands back the regenerated card. Later it uploads a signed Batch;
// Issuer.Settle checks the batch signature (a bad one refuses the whole
// batch), then each record: good ones are applied, duplicates and
// conflicts reported, bad ones rejected with a reason.
//
// Routes, Handler and Client serve the engine over HTTP.
package qr
