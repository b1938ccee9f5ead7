// Package channel puts one vocabulary over third-party payment channels
// (WeChat Pay, Alipay, Stripe, the offline sandbox) and aggregates them.
//
// A [Channel] is an adapter that speaks one provider's wire format: it creates
// a charge for a [Scenario], queries, closes and refunds it, and turns the
// provider's asynchronous callback into a verified, typed [Event]. Amounts
// cross the interface as [pay.Money]; each adapter converts to its own wire
// form (fen integers, yuan strings, minor units) and back, exactly.
//
// The [Aggregator] is the engine a backend embeds: channels registered by
// name, enabled or disabled system-wide and per user, charges routed to the
// channel the user chose (with optional failover while a charge is provably
// not accepted), one callback handler that verifies, de-duplicates and drives
// each payment's state machine, money booked in [ledger], and merchants told
// through signed webhooks. [Routes] serves it over HTTP and [Client] calls it.
//
// # Payment state machine
//
//	pending ──succeeded──▶ succeeded ──refunds──▶ (partially) refunded
//	   │ ──failed──▶ failed ──succeeded (payer retried)──▶ succeeded
//	   │ ──closed──▶ closed ──succeeded (late)──▶ succeeded, LateSuccess, auto-refunded in full
//
// Success is final: a failure or close that arrives after it is recorded and
// ignored. A late success after close means the channel took the payer's
// money for an order the merchant had given up on, so the aggregator books it,
// flags the payment LateSuccess and refunds the full amount at once; the
// merchant sees both webhooks. Every callback is de-duplicated by the
// channel's own event ID, and applying the same transition twice (a callback
// and a query that saw the same result) changes nothing the second time.
package channel
