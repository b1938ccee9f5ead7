// Package account is the account operations platform of paykit (system E
// of DESIGN.md, plus the bills of system B): customers, one wallet per
// customer and currency, top-ups from top-up machines or channels,
// consumption at consumption machines (POS) that debits a wallet, credits a
// merchant and earns points in one atomic step, points redemption, and bills
// (arrears) that are created, listed as outstanding, and cleared by paying
// them.
//
// Every money and points movement is a double-entry transfer in pay/ledger,
// so posted debits always equal posted credits and a wallet can never go
// below zero, even under concurrent consumption.
//
// Consumption and machine top-ups may name the wallet by a contactless
// credential (a token and a single-use cryptogram from a phone) instead of
// its ID; a CredentialResolver, the token vault in paytest
// (token.Resolver), checks the credential's controls and says which wallet
// it stands for, so machines never handle wallet IDs or account numbers.
//
// The package has the three faces of every paykit domain package: the
// engine (Platform, persisting through Store), the HTTP contract (Routes and
// Handler) and the Client a device or merchant backend calls.
package account
