package channel

import (
	"context"
	"net/url"
	"strconv"
	"time"

	"github.com/paykit-go/paykit/pay"
)

// Client calls the aggregator's routes: what a headset, POS or merchant
// backend uses to list channels, pay, refund and follow a payment.
type Client struct{ pc *pay.Client }

// NewClient returns a Client speaking through pc.
func NewClient(pc *pay.Client) *Client { return &Client{pc: pc} }

func esc(s string) string { return url.PathEscape(s) }

// Channels lists every channel with its switches for userID (may be empty).
func (c *Client) Channels(ctx context.Context, userID string) ([]ChannelInfo, error) {
	var out pay.List[ChannelInfo]
	return out.Data, c.pc.Get(ctx, "/v1/channels?"+url.Values{"user_id": {userID}}.Encode(), &out)
}

// Choices lists the channels userID may choose for a scenario and currency.
func (c *Client) Choices(ctx context.Context, userID string, s Scenario, currency string) ([]ChannelInfo, error) {
	q := url.Values{"user_id": {userID}, "scenario": {string(s)}, "currency": {currency}}
	var out pay.List[ChannelInfo]
	return out.Data, c.pc.Get(ctx, "/v1/channels?"+q.Encode(), &out)
}

// SetEnabled switches a channel for everyone (admin key).
func (c *Client) SetEnabled(ctx context.Context, name string, enabled bool, opts ...pay.CallOption) ([]ChannelInfo, error) {
	var out pay.List[ChannelInfo]
	return out.Data, c.pc.Post(ctx, "/v1/channels/"+esc(name)+"/switch", SwitchRequest{Enabled: enabled}, &out, opts...)
}

// SetUserEnabled switches a channel for one user.
func (c *Client) SetUserEnabled(ctx context.Context, userID, name string, enabled bool, opts ...pay.CallOption) ([]ChannelInfo, error) {
	var out pay.List[ChannelInfo]
	return out.Data, c.pc.Post(ctx, "/v1/users/"+esc(userID)+"/channels/"+esc(name), SwitchRequest{Enabled: enabled}, &out, opts...)
}

// CreatePayment charges the payer through the channel they chose.
func (c *Client) CreatePayment(ctx context.Context, in PaymentRequest, opts ...pay.CallOption) (Payment, error) {
	var out Payment
	return out, c.pc.Post(ctx, "/v1/payments", in, &out, opts...)
}

// Payment fetches a payment.
func (c *Client) Payment(ctx context.Context, id string) (Payment, error) {
	var out Payment
	return out, c.pc.Get(ctx, "/v1/payments/"+esc(id), &out)
}

// WaitPayment long-polls: it returns as soon as the payment is no longer
// pending, or after wait (at most MaxWait) with its current state.
func (c *Client) WaitPayment(ctx context.Context, id string, wait time.Duration) (Payment, error) {
	secs := int(min(max(wait, time.Second), MaxWait) / time.Second)
	var out Payment
	return out, c.pc.Get(ctx, "/v1/payments/"+esc(id)+"?wait="+strconv.Itoa(secs), &out)
}

// ClosePayment closes an unpaid payment.
func (c *Client) ClosePayment(ctx context.Context, id string, opts ...pay.CallOption) (Payment, error) {
	var out Payment
	return out, c.pc.Post(ctx, "/v1/payments/"+esc(id)+"/close", nil, &out, opts...)
}

// SyncPayment asks the backend to query the channel and apply the result.
func (c *Client) SyncPayment(ctx context.Context, id string, opts ...pay.CallOption) (Payment, error) {
	var out Payment
	return out, c.pc.Post(ctx, "/v1/payments/"+esc(id)+"/sync", nil, &out, opts...)
}

// Refund refunds all or part of a succeeded payment.
func (c *Client) Refund(ctx context.Context, id string, in RefundParams, opts ...pay.CallOption) (Payment, error) {
	var out Payment
	return out, c.pc.Post(ctx, "/v1/payments/"+esc(id)+"/refunds", in, &out, opts...)
}

// SignAgreement starts signing a standing debit agreement.
func (c *Client) SignAgreement(ctx context.Context, in AgreementParams, opts ...pay.CallOption) (AgreementRecord, error) {
	var out AgreementRecord
	return out, c.pc.Post(ctx, "/v1/agreements", in, &out, opts...)
}

// Agreement fetches an agreement.
func (c *Client) Agreement(ctx context.Context, id string) (AgreementRecord, error) {
	var out AgreementRecord
	return out, c.pc.Get(ctx, "/v1/agreements/"+esc(id), &out)
}

// TerminateAgreement ends an agreement.
func (c *Client) TerminateAgreement(ctx context.Context, id, reason string, opts ...pay.CallOption) (AgreementRecord, error) {
	var out AgreementRecord
	return out, c.pc.Post(ctx, "/v1/agreements/"+esc(id)+"/terminate", TerminateRequest{Reason: reason}, &out, opts...)
}
