package qr

import (
	"net/http"

	"github.com/paykit-go/paykit/pay"
)

// Sentinels of the stored-value engine (Issuer, Terminal, settlement). Like
// the codec's, they are *pay.Error values, so a Client's errors match them
// too. Messages never carry the card's token.
var (
	// ErrCardConflict: the card's sequence number was already consumed by
	// another deduction (an old copy of the card presented again), or the
	// card passed that sequence number already. Nothing changes.
	ErrCardConflict = &pay.Error{Code: "card_conflict", Message: "the card was already used at this sequence number", HTTPStatus: http.StatusConflict}
	// ErrCardNotFound: the issuer has no card with that ID.
	ErrCardNotFound = &pay.Error{Code: "card_not_found", Message: "no such card", HTTPStatus: http.StatusNotFound}
	// ErrCardSpent: the card's whole value was transferred away.
	ErrCardSpent = &pay.Error{Code: "card_spent", Message: "the card was transferred and is spent", HTTPStatus: http.StatusGone}
	// ErrCardBalance: the amount exceeds the card's balance.
	ErrCardBalance = &pay.Error{Code: "card_insufficient_balance", Message: "the amount exceeds the card's balance", HTTPStatus: http.StatusPaymentRequired}
	// ErrCardCurrency: the amount is not in the card's currency.
	ErrCardCurrency = &pay.Error{Code: "card_currency_mismatch", Message: "the amount is not in the card's currency", HTTPStatus: http.StatusBadRequest}
	// ErrCardNoUses: a use was asked of a card with no uses left, or of a
	// card that is not use-limited.
	ErrCardNoUses = &pay.Error{Code: "card_no_uses", Message: "the card has no uses left", HTTPStatus: http.StatusPaymentRequired}
	// ErrCardMismatch: a validly signed card disagrees with the issuer's
	// record of it (holder, token or currency).
	ErrCardMismatch = &pay.Error{Code: "card_mismatch", Message: "the card does not match the issuer's record", HTTPStatus: http.StatusConflict}
	// ErrOfflineLimit: an offline deduction would break one of the
	// terminal's OfflineLimits (Param names which).
	ErrOfflineLimit = &pay.Error{Code: "card_offline_limit", Message: "the offline limit is reached", HTTPStatus: http.StatusPaymentRequired}
	// ErrTerminalUnknown: no terminal is registered under that ID.
	ErrTerminalUnknown = &pay.Error{Code: "terminal_unknown", Message: "no such terminal", HTTPStatus: http.StatusNotFound}
	// ErrBatchSignature: a settlement batch's signature does not verify
	// under its terminal's key; the whole batch is refused.
	ErrBatchSignature = &pay.Error{Code: "batch_bad_signature", Message: "the batch signature does not verify", HTTPStatus: http.StatusUnauthorized}
	// ErrRecordSignature: an offline record's signature does not verify
	// under its terminal's key (a Rejection reason).
	ErrRecordSignature = &pay.Error{Code: "record_bad_signature", Message: "the record signature does not verify", HTTPStatus: http.StatusUnauthorized}
	// ErrRecordMalformed: an offline record or batch is truncated or not in
	// its one canonical encoding.
	ErrRecordMalformed = &pay.Error{Code: "record_malformed", Message: "the offline record is malformed", HTTPStatus: http.StatusBadRequest}
)
