// Package paytest is paykit's reference in-memory backend: every engine
// behind one HTTP server, with the cross-cutting middleware a production
// backend has (API-key auth with merchant, device and admin roles, an
// idempotency store, request IDs, JSON errors, body limits). Tests and
// examples run every flow against it on one machine; contract tests drive it
// through the public clients only, like net/http/httptest.
//
// Nothing but tests and examples imports paytest.
package paytest
