package qr

import (
	"context"
	"net/url"

	"github.com/paykit-go/paykit/pay"
)

// Client calls the issuer's routes: what a merchant backend (issue,
// register terminals, look up cards) and a POS (redeem, transfer, settle)
// use. Errors match this package's sentinels.
type Client struct{ pc *pay.Client }

// NewClient returns a Client speaking through pc.
func NewClient(pc *pay.Client) *Client { return &Client{pc: pc} }

// Issue creates a card (POST /v1/qr/cards).
func (c *Client) Issue(ctx context.Context, in IssueRequest, opts ...pay.CallOption) (Issued, error) {
	var out Issued
	return out, c.pc.Post(ctx, "/v1/qr/cards", in, &out, opts...)
}

// Card returns the issuer's record of a card.
func (c *Client) Card(ctx context.Context, cardID string) (CardState, error) {
	var out CardState
	return out, c.pc.Get(ctx, "/v1/qr/cards/"+url.PathEscape(cardID), &out)
}

// RegisterTerminal lets a terminal deduct offline (POST /v1/qr/terminals).
func (c *Client) RegisterTerminal(ctx context.Context, in RegisterTerminalRequest, opts ...pay.CallOption) (TerminalInfo, error) {
	var out TerminalInfo
	return out, c.pc.Post(ctx, "/v1/qr/terminals", in, &out, opts...)
}

// Redeem pays online with a card (POST /v1/qr/redemptions).
func (c *Client) Redeem(ctx context.Context, in RedeemRequest, opts ...pay.CallOption) (Receipt, error) {
	var out Receipt
	return out, c.pc.Post(ctx, "/v1/qr/redemptions", in, &out, opts...)
}

// Transfer moves card value to another holder (POST /v1/qr/transfers).
func (c *Client) Transfer(ctx context.Context, in TransferRequest, opts ...pay.CallOption) (TransferResult, error) {
	var out TransferResult
	return out, c.pc.Post(ctx, "/v1/qr/transfers", in, &out, opts...)
}

// Settle uploads an offline terminal's batch (POST /v1/qr/settlements).
func (c *Client) Settle(ctx context.Context, b Batch, opts ...pay.CallOption) (SettlementReport, error) {
	var out SettlementReport
	return out, c.pc.Post(ctx, "/v1/qr/settlements", b, &out, opts...)
}

// Provisioning fetches what an offline terminal needs: the trusted keys and
// the offline limits (GET /v1/qr/keys).
func (c *Client) Provisioning(ctx context.Context) (TerminalProvisioning, error) {
	var out TerminalProvisioning
	return out, c.pc.Get(ctx, "/v1/qr/keys", &out)
}
