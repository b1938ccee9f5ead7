package wechatpay

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/channel/internal/httpx"
)

// send signs and sends one API request through the retrying Doer and returns
// the answer unverified. uri is the path (with query) below the base URL.
// Each attempt gets a fresh nonce, timestamp and signature.
func (c *Channel) send(ctx context.Context, op, method, uri string, in any) (httpx.Response, error) {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return httpx.Response{}, channel.Errorf(channel.ErrMalformed, "", "wechatpay: %s: request does not encode as JSON", op)
		}
	}
	signedURI := c.basePath + uri
	return c.doer.Do(ctx, op, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, method, c.base+uri, bytes.NewReader(body))
		if err != nil {
			return nil, channel.Errorf(channel.ErrMalformed, "", "wechatpay: %s: request URL does not parse", op)
		}
		auth, err := c.authorize(method, signedURI, body)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", auth)
		req.Header.Set("Accept", "application/json")
		req.Header.Set("User-Agent", userAgent)
		if in != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		return req, nil
	})
}

// call sends a request, verifies the answer's signature and freshness, turns
// a non-2xx answer into a classified error, and decodes a 2xx JSON body into
// out (when out is not nil and the body is not empty).
func (c *Channel) call(ctx context.Context, op, method, uri string, in, out any) (httpx.Response, error) {
	resp, err := c.send(ctx, op, method, uri, in)
	if err != nil {
		return resp, err
	}
	ok := resp.Status >= 200 && resp.Status < 300
	// WeChat signs every answer it produces; a gateway's bare error page may
	// carry no signature, and is then classified by status alone, like the
	// official SDKs do. A 2xx answer is never trusted unsigned.
	if ok || resp.Header.Get(headerSignature) != "" {
		if err := c.verifySigned(ctx, resp.Header, resp.Body); err != nil {
			return resp, err
		}
	}
	if !ok {
		return resp, providerError(op, resp)
	}
	if out != nil && len(bytes.TrimSpace(resp.Body)) > 0 {
		if err := decodeJSON(resp.Body, out); err != nil {
			return resp, channel.Errorf(channel.ErrMalformed, "", "wechatpay: %s: answer is not the expected JSON", op)
		}
	}
	return resp, nil
}

// decodeJSON decodes one JSON value and nothing after it. Unknown fields are
// allowed: provider objects grow.
func decodeJSON(body []byte, out any) error { return decode(body, out, false) }

// decodeStrict is decodeJSON that also refuses unknown fields.
func decodeStrict(body []byte, out any) error { return decode(body, out, true) }

func decode(body []byte, out any, strict bool) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(out); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errTrailing
	}
	return nil
}

var errTrailing = channel.Errorf(channel.ErrMalformed, "", "wechatpay: data after the JSON value")
