package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/pay"
)

// fetch sends one request (see call), decodes the provider's answer with
// decode and checks with about that it describes what was asked for.
func fetch[T any](ctx context.Context, c *Channel, op, method, path string, in any, decode func([]byte) (T, error), about func(T) bool) (T, error) {
	var zero T
	body, err := c.call(ctx, op, method, path, in)
	if err != nil {
		return zero, err
	}
	v, err := decode(body)
	if err != nil {
		return zero, err
	}
	if !about(v) {
		return zero, channel.Errorf(channel.ErrMalformed, "", "%s: the provider's answer does not describe what was asked for", op)
	}
	return v, nil
}

// call sends one signed API request (retried per the policy, each attempt
// signed afresh) and returns the body of the provider's 200 answer once the
// response signature verified; any other verified status is mapped by
// providerError. in is marshalled as the JSON body; nil sends none.
func (c *Channel) call(ctx context.Context, op, method, path string, in any) ([]byte, error) {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return nil, channel.Errorf(channel.ErrMalformed, "", "%s: cannot encode the request", op)
		}
	}
	target := c.base + path
	u, err := url.Parse(target)
	if err != nil {
		return nil, channel.Errorf(channel.ErrMalformed, "", "%s: cannot build the request URL", op)
	}
	reqURI := u.RequestURI()
	built := false
	resp, err := c.doer.Do(ctx, op, func(ctx context.Context) (*http.Request, error) {
		sig, err := pay.SignWebhook(requestPayload(method, reqURI, body), c.clock.Now(), c.secret)
		if err != nil {
			if built { // an earlier attempt may have reached the provider
				return nil, channel.Errorf(channel.ErrOutcomeUnknown, "", "%s: cannot sign a retry", op)
			}
			return nil, channel.Errorf(channel.ErrUnavailable, "", "%s: cannot sign the request", op)
		}
		req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
		if err != nil {
			return nil, channel.Errorf(channel.ErrUnavailable, "", "%s: cannot build the request", op)
		}
		built = true
		req.Header.Set(SignatureHeader, sig)
		req.Header.Set("Accept", "application/json")
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		return req, nil
	})
	if err != nil {
		return nil, err
	}
	payload := responsePayload(targetPath(reqURI), resp.Body)
	if _, err := pay.VerifyWebhook(resp.Header.Get(SignatureHeader), payload, c.clock.Now(), c.tolerance, c.secret); err != nil {
		return nil, verifyError(op+": response", err)
	}
	if resp.Status != http.StatusOK {
		return nil, providerError(op, resp.Status, resp.Body)
	}
	return resp.Body, nil
}

// providerError maps a verified non-200 answer onto the channel contract
// (see Channel).
func providerError(op string, status int, body []byte) error {
	var e errorWire
	_ = json.Unmarshal(body, &e) // best effort: only for the message
	msg := clipText(e.Error.Code + ": " + e.Error.Message)
	switch status {
	case http.StatusNotFound:
		return channel.Errorf(channel.ErrUnknownCharge, "", "%s: provider does not know it (%s)", op, msg)
	case http.StatusUnauthorized:
		return channel.Errorf(channel.ErrUnavailable, "", "%s: provider refused the request signature; check the secret and the clock", op)
	case http.StatusBadRequest, http.StatusPaymentRequired, http.StatusConflict, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity:
		return channel.Errorf(channel.ErrDeclined, "", "%s: provider declined (%d %s)", op, status, msg)
	}
	return channel.Errorf(channel.ErrOutcomeUnknown, "", "%s: unexpected provider status %d", op, status)
}

// notify is the notify URL a request names, or the WithNotifyURL default.
func (c *Channel) notify(u string) string {
	if u == "" {
		return c.notifyURL
	}
	return u
}

// pathID validates a merchant-side ID before it goes into a URL path: an ID
// the provider could not have accepted names nothing.
func pathID(param, id string, maxLen int) (string, error) {
	if !validID(id, maxLen) {
		return "", channel.Errorf(channel.ErrUnknownCharge, param, "%s is not a valid ID", param)
	}
	return url.PathEscape(id), nil
}
