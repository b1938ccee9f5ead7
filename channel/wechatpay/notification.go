package wechatpay

import (
	"context"
	"net/http"
	"time"

	"github.com/paykit-go/paykit/channel"
)

// ResourceTypeEncrypted is the resource_type of every API v3 callback.
const ResourceTypeEncrypted = "encrypt-resource"

// Notification is a verified callback envelope with its resource decrypted.
type Notification struct {
	// ID is the callback's unique ID; WeChat repeats it on every retry.
	ID string
	// CreateTime is when WeChat created the callback.
	CreateTime time.Time
	// EventType says what happened ("TRANSACTION.SUCCESS", "REFUND.SUCCESS",
	// "ENTRUST.SIGN", …).
	EventType string
	// ResourceType is "encrypt-resource".
	ResourceType string
	// Summary is WeChat's short description ("支付成功").
	Summary string
	// Resource is the encrypted resource as it came.
	Resource Resource
	// Plaintext is the decrypted resource, a JSON object of
	// Resource.OriginalType.
	Plaintext []byte
}

// envelope is the callback body. Decoded strictly: unknown fields are
// refused, as is anything after the object.
type envelope struct {
	ID           *string   `json:"id"`
	CreateTime   *string   `json:"create_time"`
	EventType    *string   `json:"event_type"`
	ResourceType *string   `json:"resource_type"`
	Summary      *string   `json:"summary"`
	Resource     *Resource `json:"resource"`
}

// VerifyNotification checks a callback's Wechatpay-* headers and body — the
// signature by the platform key the serial names (refreshing certificates
// once, rate-limited, for an unknown serial), then the timestamp's freshness
// — parses the envelope strictly and decrypts its resource with the APIv3
// key. It maps nothing, so it serves every event type, mapped or not.
//
// Errors: ErrBadSignature (missing or malformed headers, unknown serial,
// signature or AEAD tag that does not verify), ErrStale (authentic but
// outside the tolerance), ErrMalformed (the envelope).
func (c *Channel) VerifyNotification(ctx context.Context, header http.Header, body []byte) (Notification, error) {
	if err := c.verifySigned(ctx, header, body); err != nil {
		return Notification{}, err
	}
	n, err := parseEnvelope(body)
	if err != nil {
		return Notification{}, err
	}
	if n.Plaintext, err = openResource(c.gcm, n.Resource); err != nil {
		return Notification{}, err
	}
	return n, nil
}

// parseEnvelope decodes and checks a callback envelope.
func parseEnvelope(body []byte) (Notification, error) {
	var e envelope
	if err := decodeStrict(body, &e); err != nil {
		return Notification{}, channel.Errorf(channel.ErrMalformed, "body", "wechatpay: callback is not a strict API v3 envelope")
	}
	if e.ID == nil || e.CreateTime == nil || e.EventType == nil || e.ResourceType == nil || e.Resource == nil {
		return Notification{}, channel.Errorf(channel.ErrMalformed, "body", "wechatpay: callback lacks id, create_time, event_type, resource_type or resource")
	}
	if *e.ID == "" || len(*e.ID) > 64 || *e.EventType == "" || len(*e.EventType) > 64 {
		return Notification{}, channel.Errorf(channel.ErrMalformed, "body", "wechatpay: callback id and event_type must be 1-64 bytes")
	}
	if *e.ResourceType != ResourceTypeEncrypted {
		return Notification{}, channel.Errorf(channel.ErrMalformed, "resource_type", "wechatpay: resource_type is not %s", ResourceTypeEncrypted)
	}
	created, err := time.Parse(time.RFC3339, *e.CreateTime)
	if err != nil {
		return Notification{}, channel.Errorf(channel.ErrMalformed, "create_time", "wechatpay: create_time is not RFC 3339")
	}
	n := Notification{
		ID:           *e.ID,
		CreateTime:   created,
		EventType:    *e.EventType,
		ResourceType: *e.ResourceType,
		Resource:     *e.Resource,
	}
	if e.Summary != nil {
		n.Summary = *e.Summary
	}
	return n, nil
}
