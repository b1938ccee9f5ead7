// Package sandbox is an offline payment provider with the life cycle of a
// real one, and the channel.Channel adapter that talks to it. The reference
// backend (pay/paytest), the examples and the aggregator's tests use it so
// that every payment flow runs on one machine with nothing else installed.
//
// # Two halves
//
// [Provider] is an http.Handler that simulates the provider: it stores
// charges, refunds and standing agreements, settles them the way a real
// provider does (scanned and agreement charges at once, QR, in-app and web
// charges when the payer pays, refunds asynchronously), and posts signed
// callbacks to the merchant's notify URL in the background, retrying while
// the receiver answers 5xx or cannot be reached. Tests drive the payer's side
// through control endpoints or the matching Go methods (Pay, Decline,
// PayLate, SignAgreement), hold callbacks to deliver them late, twice or out
// of order (HoldCallbacks, Deliver), and inject faults per operation
// (Inject): an outage before anything is stored, a 500 or a slow answer
// after the charge was stored, a decline, a callback that arrives before the
// create response.
//
// [Channel] is the adapter: it implements channel.AgreementChannel over the
// provider's JSON API, signs every request, verifies every response and
// callback, and maps the provider's answers onto the channel error contract
// (ErrUnavailable only when the provider certainly stored nothing).
//
// # Wire format
//
// JSON over HTTP. Amounts are {"amount":<minor units>,"currency":"<ISO 4217>"}
// and times are unix seconds. Errors are {"error":{"code":…,"message":…}}
// with codes invalid_request (400), unauthorized (401), declined (402, or
// 400 for a refund the charge cannot cover), not_found (404), conflict (409),
// too_large (413), server_error (500) and unavailable (503).
//
//	POST /v1/charges                                create a charge (idempotent by charge_id)
//	GET  /v1/charges/{charge_id}                    query it
//	POST /v1/charges/{charge_id}/close              close an unpaid charge
//	POST /v1/refunds                                refund (idempotent by refund_id)
//	GET  /v1/charges/{charge_id}/refunds/{refund_id} query a refund
//	POST /v1/agreements                             start signing an agreement
//	GET  /v1/agreements/{agreement_id}              query it
//	POST /v1/agreements/{agreement_id}/terminate    terminate it
//	POST /control/…                                 the payer's and the tester's side (see Provider)
//	GET  /pay/{provider_id}, /sign/{provider_id}    tiny HTML pages for a human payer
//
// # Signatures
//
// Every message carries a [SignatureHeader] in paykit's webhook format
// (pay.SignWebhook): "t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<payload>")>",
// with one secret shared by the provider and the adapter. The payload is
//
//	request:  METHOD "\n" request-target "\n" body
//	response: "response\n" request-path "\n" body
//	callback: body
//
// and each side refuses a signature that does not match (compared in
// constant time) or whose timestamp is further than the tolerance (300 s by
// default) from its clock. Requests, callbacks and responses are not
// otherwise de-duplicated: every provider operation is idempotent by the
// merchant's ID or guarded by the object's state, so a replay inside the
// window repeats an answer and changes nothing, and callbacks carry a unique
// event ID (sbevt_…) that the aggregator de-duplicates on.
package sandbox
