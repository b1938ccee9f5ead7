package token

import (
	"context"
	"net/url"
	"strconv"

	"github.com/paykit-go/paykit/pay"
)

// Client calls the vault's routes: what a token requestor (a wallet or
// merchant backend) and an acceptor (a POS) use. It sees account numbers
// only when its API key has the detokenize scope.
type Client struct{ pc *pay.Client }

// NewClient returns a Client speaking through pc.
func NewClient(pc *pay.Client) *Client { return &Client{pc: pc} }

// Issue creates a token (POST /v1/tokens).
func (c *Client) Issue(ctx context.Context, in IssueRequest, opts ...pay.CallOption) (Issued, error) {
	var out Issued
	return out, c.pc.Post(ctx, "/v1/tokens", in, &out, opts...)
}

// Provision issues a contactless credential for a wallet (POST
// /v1/credentials); Issued.DeviceCredential is what the phone keeps.
func (c *Client) Provision(ctx context.Context, in ProvisionRequest, opts ...pay.CallOption) (Issued, error) {
	var out Issued
	return out, c.pc.Post(ctx, "/v1/credentials", in, &out, opts...)
}

// Get fetches a token the caller owns.
func (c *Client) Get(ctx context.Context, tokenID string) (Token, error) {
	var out Token
	return out, c.pc.Get(ctx, "/v1/tokens/"+url.PathEscape(tokenID), &out)
}

func (c *Client) lifecycle(ctx context.Context, tokenID, action string, opts []pay.CallOption) (Token, error) {
	var out Token
	return out, c.pc.Post(ctx, "/v1/tokens/"+url.PathEscape(tokenID)+"/"+action, nil, &out, opts...)
}

// Suspend stops every use until the same party resumes the token.
func (c *Client) Suspend(ctx context.Context, tokenID string, opts ...pay.CallOption) (Token, error) {
	return c.lifecycle(ctx, tokenID, "suspend", opts)
}

// Resume makes a token the caller's party suspended usable again.
func (c *Client) Resume(ctx context.Context, tokenID string, opts ...pay.CallOption) (Token, error) {
	return c.lifecycle(ctx, tokenID, "resume", opts)
}

// Delete ends a token for good.
func (c *Client) Delete(ctx context.Context, tokenID string, opts ...pay.CallOption) (Token, error) {
	return c.lifecycle(ctx, tokenID, "delete", opts)
}

// UpdateControls replaces a token's controls.
func (c *Client) UpdateControls(ctx context.Context, tokenID string, ctl Controls, opts ...pay.CallOption) (Token, error) {
	var out Token
	return out, c.pc.Post(ctx, "/v1/tokens/"+url.PathEscape(tokenID)+"/controls", ctl, &out, opts...)
}

// Uses lists a token's uses, oldest first, after the use with ID after.
func (c *Client) Uses(ctx context.Context, tokenID, after string, limit int) ([]Use, error) {
	q := url.Values{}
	if after != "" {
		q.Set("after", after)
	}
	if limit != 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out pay.List[Use]
	path := "/v1/tokens/" + url.PathEscape(tokenID) + "/uses"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	return out.Data, c.pc.Get(ctx, path, &out)
}

// Detokenize returns the account behind a token (needs the detokenize
// scope).
func (c *Client) Detokenize(ctx context.Context, tokenID string, opts ...pay.CallOption) (DetokenizeResult, error) {
	var out DetokenizeResult
	return out, c.pc.Post(ctx, "/v1/tokens/"+url.PathEscape(tokenID)+"/detokenize", nil, &out, opts...)
}

// Use presents a token for a payment (POST /v1/token_uses).
func (c *Client) Use(ctx context.Context, in UseRequest, opts ...pay.CallOption) (UseResult, error) {
	var out UseResult
	return out, c.pc.Post(ctx, "/v1/token_uses", in, &out, opts...)
}

// ReverseUse gives back a use whose payment failed.
func (c *Client) ReverseUse(ctx context.Context, useID string, opts ...pay.CallOption) (Use, error) {
	var out Use
	return out, c.pc.Post(ctx, "/v1/token_uses/"+url.PathEscape(useID)+"/reverse", nil, &out, opts...)
}
