package alipay

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/paykit-go/paykit/channel"
)

// call is one OpenAPI method invocation before it is signed.
type call struct {
	// method is the API name, e.g. "alipay.trade.query".
	method string
	// biz becomes biz_content, marshalled as JSON.
	biz any
	// notifyURL and returnURL are the optional common parameters.
	notifyURL string
	returnURL string
	// mutating says whether the call may change state at Alipay, which
	// decides whether an ambiguous failure is ErrOutcomeUnknown (it may
	// have been applied) or ErrUnavailable (nothing was changed).
	mutating bool
}

// marshalBiz encodes biz_content without HTML escaping, as Alipay's SDKs do.
func marshalBiz(biz any) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(biz); err != nil {
		return "", channel.Errorf(channel.ErrMalformed, "biz_content", "alipay: cannot encode the request: %v", err)
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// signedParams returns the call's common parameters, biz_content and sign,
// stamped with the current time. Each call gets a fresh timestamp, so a retry
// is signed anew.
func (c *Channel) signedParams(k call, biz string) (map[string]string, error) {
	p := map[string]string{
		"app_id":      c.appID,
		"method":      k.method,
		"format":      "JSON",
		"charset":     "utf-8",
		paramSignType: signTypeRSA2,
		"timestamp":   formatTime(c.clock.Now()),
		"version":     "1.0",
		"biz_content": biz,
	}
	if k.notifyURL != "" {
		p["notify_url"] = k.notifyURL
	}
	if k.returnURL != "" {
		p["return_url"] = k.returnURL
	}
	sig, err := signRSA2(c.key, []byte(requestSignContent(p)))
	if err != nil {
		// Signing failed locally: nothing was sent.
		return nil, channel.Errorf(channel.ErrUnavailable, "", "alipay: cannot sign %s", k.method)
	}
	p[paramSign] = sig
	return p, nil
}

// encodeParams URL-encodes params sorted by name, the form Alipay's app SDK
// takes as an order string and the gateway takes as a query or a body.
func encodeParams(p map[string]string) string {
	v := make(url.Values, len(p))
	for k, s := range p {
		v.Set(k, s)
	}
	return v.Encode()
}

// pageURL returns the gateway URL carrying the signed call in its query, for
// the payer's browser or the Alipay app to open. No request is made.
func (c *Channel) pageURL(k call) (string, string, error) {
	biz, err := marshalBiz(k.biz)
	if err != nil {
		return "", "", err
	}
	p, err := c.signedParams(k, biz)
	if err != nil {
		return "", "", err
	}
	q := encodeParams(p)
	return c.baseURL + "?" + q, q, nil
}

// do signs and sends k and returns Alipay's verified answer. The error is
// non-nil when no trustworthy answer came back: the provider could not be
// reached, answered with something other than a signed (or permissibly
// unsigned) envelope, or its signature failed. Business failures come back
// as a reply whose failure method turns them into errors.
func (c *Channel) do(ctx context.Context, k call) (reply, error) {
	// biz_content does not change between attempts; the timestamp does.
	biz, err := marshalBiz(k.biz)
	if err != nil {
		return reply{}, err
	}
	resp, err := c.doer.Do(ctx, k.method, func(ctx context.Context) (*http.Request, error) {
		p, err := c.signedParams(k, biz)
		if err != nil {
			return nil, err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.baseURL, strings.NewReader(encodeParams(p)))
		if err != nil {
			return nil, channel.Errorf(channel.ErrUnavailable, "", "alipay: cannot build the %s request", k.method)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=utf-8")
		req.Header.Set("Accept", "application/json")
		return req, nil
	})
	if err != nil {
		return reply{}, err
	}
	if resp.Status != http.StatusOK {
		return reply{}, ambiguous(k, "gateway answered HTTP %d", resp.Status)
	}
	return c.openResponse(k, resp.Body)
}

// invoke sends k and decodes its result into v. An answer other than 10000
// is the error reply.failure maps it to.
func (c *Channel) invoke(ctx context.Context, k call, v any) error {
	r, err := c.do(ctx, k)
	if err != nil {
		return err
	}
	if err := r.failure(k); err != nil {
		return err
	}
	return r.decode(k.method, v)
}

// ambiguous is the error for an answer that says nothing trustworthy about
// the call's outcome: ErrOutcomeUnknown when the call may have changed
// something, ErrUnavailable when it cannot have.
func ambiguous(k call, format string, args ...any) error {
	sentinel := channel.ErrUnavailable
	if k.mutating {
		sentinel = channel.ErrOutcomeUnknown
	}
	return channel.Errorf(sentinel, "", "alipay: "+k.method+": "+format, args...)
}
