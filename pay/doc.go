// Package pay is the vocabulary every paykit package shares: Money in minor
// units, prefixed IDs, one typed Error with sentinels for errors.Is, the HTTP
// Client that every domain client speaks through (idempotency keys, retries
// with capped jittered backoff), the JSON helpers that every domain Handler
// serves with, and signed webhooks with replay windows.
package pay
