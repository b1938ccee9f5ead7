// Package stripe is the paykit channel adapter for Stripe's API: a
// channel.AgreementChannel over PaymentIntents, Checkout Sessions, Refunds,
// SetupIntents and signed webhook events, written against the documented
// wire format without Stripe's SDK.
//
// # Requests
//
// Every call is a form-encoded request in Stripe's bracket notation
// (metadata[charge_id]=…, payment_method_types[]=card,
// line_items[0][price_data][currency]=usd) with "Authorization: Bearer
// <key>", an optional Stripe-Version (WithAPIVersion), and on every POST an
// Idempotency-Key derived from the merchant-side ID only
// ("paykit-charge-<ChargeID>", "paykit-refund-<RefundID>", …). Retries of
// 429 and 5xx answers (by the shared httpx sender, with backoff) and
// repeated calls therefore never make Stripe act twice; Stripe keeps keys
// for at least 24 hours, after which a repeated CreateCharge would create a
// second intent (QueryCharge then prefers a succeeded one).
//
// Stripe's error object {"error":{"type","code","decline_code","message",
// "param"}} maps onto the channel error contract: card_error is
// channel.ErrDeclined (with Stripe's customer-safe message), an
// idempotency_error is channel.ErrDuplicate (kind conflict), 401/403 are
// unauthorized/forbidden errors that also match channel.ErrUnavailable
// (Stripe refused before acting), 404 is channel.ErrUnknownCharge, other
// 4xx are channel.ErrDeclined, and exhausted retries are
// channel.ErrUnavailable or channel.ErrOutcomeUnknown as httpx classifies
// them. The API key never appears in an error; provider text is scrubbed
// of anything shaped like a key or secret.
//
// # Response verification
//
// Stripe signs webhooks but not API responses, which are authenticated by
// TLS alone. Instead of a signature the channel verifies each answer's
// shape before trusting it: the object type ("payment_intent",
// "checkout.session", "refund", "setup_intent"…), the ID prefix, livemode
// matching the key, metadata[charge_id] / [refund_id] / [agreement_id]
// naming the merchant object asked about, and the amount and currency
// (Stripe lower-cases it) equal to the request. A mismatch is
// channel.ErrMalformed. Point WithBaseURL only at endpoints you trust.
//
// # Scenarios
//
//   - ScenarioInApp: an unconfirmed card PaymentIntent; Action.AppParams
//     carries "client_secret" and "payment_intent" for Stripe.js or the
//     mobile SDKs.
//   - ScenarioWeb: a hosted Checkout Session (mode=payment, one line item,
//     success_url = cancel_url = ReturnURL, expires_at = ExpiresAt);
//     Action.RedirectURL is its url. Checkout was chosen over a confirmed
//     PaymentIntent with return_url because it needs no payment method up
//     front. Its PaymentIntent (created when the payer submits) carries the
//     same metadata[charge_id].
//   - ScenarioAgreement: a confirmed off_session PaymentIntent debiting the
//     card saved by the agreement's SetupIntent (see SignAgreement).
//
// Statuses: requires_payment_method, requires_confirmation,
// requires_action and processing are pending (requires_payment_method after
// a failed attempt is failed, from which a payer retry may still succeed),
// succeeded is succeeded, canceled is closed. Stripe has no per-charge
// notify URL (webhook endpoints are configured in the Dashboard), so
// ChargeRequest.NotifyURL is not sent, and a PaymentIntent has no expiry,
// so ExpiresAt applies to Checkout only.
//
// # Finding charges again
//
// Stripe looks objects up by its own IDs. The channel remembers the IDs it
// created in a bounded in-memory map and otherwise finds a charge with the
// Search API (GET /v1/payment_intents/search?query=metadata['charge_id']:'…'),
// which is eventually consistent: objects usually appear within a minute,
// later during incidents. Until then QueryCharge answers
// channel.ErrUnknownCharge. A Checkout Session the payer never submitted
// has no PaymentIntent and cannot be searched; only the process that
// created it can query or close it (it expires on its own at expires_at,
// by default after 24 hours).
//
// # Currencies
//
// Amounts convert exactly between pay.Money and Stripe's minor units or
// are refused: zero-decimal currencies (JPY, KRW, UGX …) are whole units,
// ISK is two-decimal at Stripe (×100, whole krónur only) though
// zero-decimal in ISO 4217, the three-decimal BHD, JOD, KWD, OMR and TND
// must end in 0, and HUF and TWD are two-decimal for charges (Stripe's
// zero-decimal rule for them applies to payouts, which this package does
// not make).
//
// # Webhooks
//
// ParseCallback reads at most 64 KiB, verifies Stripe-Signature
// (HMAC-SHA256 over "<t>.<raw body>", every v1 under every secret given to
// WithWebhookSecrets, constant-time — paykit's own webhook scheme, checked
// by pay.VerifyWebhook under Stripe's header name), refuses timestamps further than the
// tolerance (WithTolerance, default 300 s) from the clock in either
// direction, and maps the event. Replays inside the window carry an event
// ID already seen, which the aggregator de-duplicates. Acknowledge answers
// 200 {"received":true} for handled, unsupported and duplicate events, 400
// for failed verification and 500 otherwise, so Stripe retries only what
// may succeed later.
//
// # Agreements
//
// An agreement is a Customer created for it plus an off_session SetupIntent
// the payer confirms on their device; the saved PaymentMethod is the
// standing authority, debited with off_session=true and ended by detaching
// it. The merchant agreement ID is stored in both objects' metadata and
// found again through the Customer Search API. Stripe may still ask the
// cardholder to authenticate an off-session payment (SCA); that answer is
// a decline (authentication_required), not an Action, since the payer is
// absent.
package stripe
