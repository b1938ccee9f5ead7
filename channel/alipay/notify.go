package alipay

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"time"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/pay"
)

// maxNotifyBytes bounds a notification body.
const maxNotifyBytes = 64 << 10

// maxNotifyIDLen bounds notify_id (Alipay documents String(128)).
const maxNotifyIDLen = 128

// ParseCallback verifies an Alipay asynchronous notification and returns it
// as an Event. It checks, in order: a POST of
// application/x-www-form-urlencoded of at most 64 KiB with no repeated
// parameter (ErrMalformed); sign_type RSA2 and the RSA2 signature over every
// parameter but sign and sign_type (ErrBadSignature); that app_id (or, where
// a notification has none, auth_app_id) is this application's
// (ErrBadSignature); that notify_time is no older than the tolerance and at
// most five minutes ahead of the clock (ErrStale); the event's fields
// (ErrMalformed, or ErrUnsupported for a notification type or trade_status it
// does not map); and last that the notify_id was not accepted before within
// the window (ErrDuplicate). Event.ID is the notify_id.
//
// The notify_id is recorded as soon as the event is returned. If the event
// then cannot be applied, call Forget with its ID before answering, or
// Alipay's retry will be taken for a duplicate.
func (c *Channel) ParseCallback(r *http.Request) (channel.Event, error) {
	if r.Method != http.MethodPost {
		return channel.Event{}, channel.Errorf(channel.ErrMalformed, "", "alipay: a notification must be a POST, not %s", clip(r.Method))
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/x-www-form-urlencoded" {
		return channel.Event{}, channel.Errorf(channel.ErrMalformed, "Content-Type", "alipay: a notification must be application/x-www-form-urlencoded")
	}
	if r.Body == nil {
		return channel.Event{}, channel.Errorf(channel.ErrMalformed, "", "alipay: empty notification")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxNotifyBytes+1))
	if err != nil {
		return channel.Event{}, channel.Errorf(channel.ErrMalformed, "", "alipay: cannot read the notification")
	}
	if len(body) > maxNotifyBytes {
		return channel.Event{}, channel.Errorf(channel.ErrMalformed, "", "alipay: notification is larger than %d bytes", maxNotifyBytes)
	}
	return c.parseNotification(r.Context(), body)
}

// parseNotification verifies and maps a notification body.
func (c *Channel) parseNotification(ctx context.Context, body []byte) (channel.Event, error) {
	form, err := parseForm(body)
	if err != nil {
		return channel.Event{}, err
	}
	if form[paramSign] == "" {
		return channel.Event{}, channel.Errorf(channel.ErrBadSignature, paramSign, "alipay: notification is not signed")
	}
	if form[paramSignType] != signTypeRSA2 {
		return channel.Event{}, channel.Errorf(channel.ErrBadSignature, paramSignType, "alipay: notification sign_type must be RSA2")
	}
	if err := verifyRSA2(c.alipayKey, []byte(notifySignContent(form)), form[paramSign]); err != nil {
		return channel.Event{}, channel.Errorf(channel.ErrBadSignature, paramSign, "alipay: notification signature does not verify")
	}
	app := form["app_id"]
	if app == "" {
		app = form["auth_app_id"]
	}
	if app != c.appID {
		return channel.Event{}, channel.Errorf(channel.ErrBadSignature, "app_id", "alipay: notification is for another application")
	}
	sent, err := parseTime(form["notify_time"])
	if err != nil {
		return channel.Event{}, channel.Errorf(channel.ErrMalformed, "notify_time", "alipay: notify_time %q is not a timestamp", clip(form["notify_time"]))
	}
	now := c.clock.Now()
	if age := now.Sub(sent); age > c.tolerance {
		return channel.Event{}, channel.Errorf(channel.ErrStale, "notify_time", "alipay: notification is more than %s old", c.tolerance)
	} else if -age > maxFutureSkew {
		return channel.Event{}, channel.Errorf(channel.ErrStale, "notify_time", "alipay: notification is more than %s in the future", maxFutureSkew)
	}
	id := form["notify_id"]
	if id == "" || len(id) > maxNotifyIDLen || !printableASCII(id) {
		return channel.Event{}, channel.Errorf(channel.ErrMalformed, "notify_id", "alipay: notification has no usable notify_id")
	}
	ev, err := mapNotification(form)
	if err != nil {
		return channel.Event{}, err
	}
	ev.ID, ev.Channel, ev.Created = id, Name, sent
	// A copy of this notification passes the freshness check until
	// sent+tolerance (notify_time has whole seconds); remember the id that
	// long. A duplicate extends the memory to its own notify_time.
	dup, err := c.dedup.Seen(ctx, id, now, sent.Add(c.tolerance+time.Second))
	if err != nil {
		return channel.Event{}, channel.Errorf(channel.ErrUnavailable, "", "alipay: de-duplication store: %v", err)
	}
	if dup {
		return channel.Event{}, channel.Errorf(channel.ErrDuplicate, "notify_id", "alipay: notification %s was already accepted", clip(id))
	}
	return ev, nil
}

// parseForm decodes a URL-encoded form strictly: malformed escapes, a
// semicolon separator and a repeated parameter are all ErrMalformed.
func parseForm(body []byte) (map[string]string, error) {
	values, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, channel.Errorf(channel.ErrMalformed, "", "alipay: notification is not a valid form")
	}
	form := make(map[string]string, len(values))
	for k, vs := range values {
		if len(vs) != 1 {
			return nil, channel.Errorf(channel.ErrMalformed, clip(k), "alipay: notification repeats parameter %q", clip(k))
		}
		form[k] = vs[0]
	}
	return form, nil
}

// Acknowledge answers a notification. A nil error, or channel.ErrDuplicate
// (the event was applied before, so Alipay should stop re-sending it), is
// answered 200 with the body "success", the only answer that stops Alipay's
// retries. Any other error is answered "fail" with the error's HTTP status
// (4xx for a rejected notification, 5xx for a failure here), so that it
// shows in access logs; Alipay re-sends whenever the body is not exactly
// "success", whatever the status.
func (c *Channel) Acknowledge(w http.ResponseWriter, err error) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	if err == nil || errors.Is(err, channel.ErrDuplicate) {
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "success")
		return
	}
	status := http.StatusInternalServerError
	var pe *pay.Error
	if errors.As(err, &pe) {
		status = pe.Status()
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, "fail")
}
