package stripe

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
)

// Idempotency-Key prefixes. Keys are derived from merchant-side IDs only,
// so a retry (httpx re-sends the same key) or a repeated call with the same
// ChargeID or RefundID can never make Stripe act twice. Stripe remembers a
// key for at least 24 hours.
const (
	idemCharge          = "paykit-charge-"
	idemClose           = "paykit-close-"
	idemRefund          = "paykit-refund-"
	idemAgreement       = "paykit-agreement-"
	idemAgreementCust   = "paykit-agreement-customer-"
	idemAgreementCancel = "paykit-agreement-cancel-"
	idemAgreementDetach = "paykit-agreement-detach-"
)

// call sends one Stripe API request and decodes a 2xx answer into out.
// Bodies are form-encoded; GET parameters go into the query string. POSTs
// carry idemKey as Idempotency-Key. A non-2xx answer is mapped by errorFor,
// whose parsed error object is returned too.
func (c *Channel) call(ctx context.Context, op, method, path string, params *form, idemKey string, out any) (*apiError, error) {
	encoded := ""
	if params != nil {
		encoded = params.encode()
	}
	target := c.baseURL + path
	if method == http.MethodGet && encoded != "" {
		target += "?" + encoded
		encoded = ""
	}
	resp, err := c.doer.Do(ctx, op, func(ctx context.Context) (*http.Request, error) {
		var body io.Reader
		if method != http.MethodGet {
			body = strings.NewReader(encoded)
		}
		req, err := http.NewRequestWithContext(ctx, method, target, body)
		if err != nil {
			return nil, invalidf("", "%s: cannot build the request", op)
		}
		req.Header.Set("Authorization", "Bearer "+c.key)
		req.Header.Set("Accept", "application/json")
		req.Header.Set("User-Agent", "paykit-stripe/1")
		if body != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if idemKey != "" && method == http.MethodPost {
			req.Header.Set("Idempotency-Key", idemKey)
		}
		if c.apiVersion != "" {
			req.Header.Set("Stripe-Version", c.apiVersion)
		}
		return req, nil
	})
	if err != nil {
		return nil, err
	}
	if resp.Status < 200 || resp.Status > 299 {
		return c.errorFor(op, resp)
	}
	if err := json.Unmarshal(resp.Body, out); err != nil {
		return nil, malformedf("%s: Stripe's answer is not the expected JSON object", op)
	}
	return nil, nil
}

// get is call for a GET without an Idempotency-Key.
func (c *Channel) get(ctx context.Context, op, path string, params *form, out any) error {
	_, err := c.call(ctx, op, http.MethodGet, path, params, "", out)
	return err
}

// searchQuery is a Stripe Search Query Language clause matching one
// metadata value exactly. key and value must be validated merchant IDs
// (no quotes or backslashes), so the query cannot be altered.
func searchQuery(key, value string) string {
	return "metadata['" + key + "']:'" + value + "'"
}
