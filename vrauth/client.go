package vrauth

import (
	"context"
	"errors"
	"net/url"
	"time"

	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/verify"
)

// Client is what a VR app imports: enrollment, trusted terminals, proxy
// debit set-up and checkout, speaking the service's JSON over a
// pay.Client (retries, idempotency keys). Errors match this package's
// sentinels and verify's.
type Client struct{ pc *pay.Client }

// NewClient returns a Client speaking through pc.
func NewClient(pc *pay.Client) *Client { return &Client{pc: pc} }

func userPath(id string, rest string) string { return "/v1/vr/users/" + url.PathEscape(id) + rest }

// Register enrolls a user.
func (c *Client) Register(ctx context.Context, in RegisterRequest, opts ...pay.CallOption) (Enrollment, error) {
	var out Enrollment
	return out, c.pc.Post(ctx, "/v1/vr/users", in, &out, opts...)
}

// User returns a user.
func (c *Client) User(ctx context.Context, userID string) (User, error) {
	var out User
	return out, c.pc.Get(ctx, userPath(userID, ""), &out)
}

// VerifyMobile answers the enrollment SMS code.
func (c *Client) VerifyMobile(ctx context.Context, userID, codeID, code string, opts ...pay.CallOption) (User, error) {
	var out User
	return out, c.pc.Post(ctx, userPath(userID, "/verify"), CodeRequest{CodeID: codeID, Code: code}, &out, opts...)
}

// ResendCode sends a new enrollment code.
func (c *Client) ResendCode(ctx context.Context, userID string, opts ...pay.CallOption) (Enrollment, error) {
	var out Enrollment
	return out, c.pc.Post(ctx, userPath(userID, "/resend"), struct{}{}, &out, opts...)
}

// Review decides a manual review (operator key).
func (c *Client) Review(ctx context.Context, userID string, in ReviewRequest, opts ...pay.CallOption) (User, error) {
	var out User
	return out, c.pc.Post(ctx, userPath(userID, "/review"), in, &out, opts...)
}

// SetPayments is the user's switch for headset payments.
func (c *Client) SetPayments(ctx context.Context, userID string, enabled bool, opts ...pay.CallOption) (User, error) {
	var out User
	return out, c.pc.Post(ctx, userPath(userID, "/payments"), SwitchRequest{Enabled: enabled}, &out, opts...)
}

// AddHeadset registers a headset for the user.
func (c *Client) AddHeadset(ctx context.Context, userID string, in HeadsetRequest, opts ...pay.CallOption) (User, error) {
	var out User
	return out, c.pc.Post(ctx, userPath(userID, "/headsets"), in, &out, opts...)
}

// SetHeadset is the per-headset switch.
func (c *Client) SetHeadset(ctx context.Context, userID, headsetID string, enabled bool, opts ...pay.CallOption) (User, error) {
	var out User
	return out, c.pc.Post(ctx, userPath(userID, "/headsets/"+url.PathEscape(headsetID)), SwitchRequest{Enabled: enabled}, &out, opts...)
}

// Eligibility says whether the headset may pay for the user, and what is
// missing.
func (c *Client) Eligibility(ctx context.Context, userID, headsetID string) (Eligibility, error) {
	var out Eligibility
	return out, c.pc.Get(ctx, userPath(userID, "/eligibility?headset_id="+url.QueryEscape(headsetID)), &out)
}

// AddTerminal registers a trusted terminal (its activation link is sent).
func (c *Client) AddTerminal(ctx context.Context, userID string, in TerminalRequest, opts ...pay.CallOption) (Terminal, error) {
	var out Terminal
	return out, c.pc.Post(ctx, userPath(userID, "/terminals"), in, &out, opts...)
}

// Terminals lists the user's trusted terminals.
func (c *Client) Terminals(ctx context.Context, userID string) ([]Terminal, error) {
	var out pay.List[Terminal]
	return out.Data, c.pc.Get(ctx, userPath(userID, "/terminals"), &out)
}

// RemoveTerminal removes a trusted terminal.
func (c *Client) RemoveTerminal(ctx context.Context, userID, terminalID string, opts ...pay.CallOption) error {
	return c.pc.Delete(ctx, userPath(userID, "/terminals/"+url.PathEscape(terminalID)), nil, opts...)
}

// SetPassword presets the payment password (once).
func (c *Client) SetPassword(ctx context.Context, userID, password string, opts ...pay.CallOption) error {
	return c.pc.Post(ctx, userPath(userID, "/password"), PasswordRequest{Password: password}, nil, opts...)
}

// ChangePassword replaces the payment password given the old one.
func (c *Client) ChangePassword(ctx context.Context, userID, old, password string, opts ...pay.CallOption) error {
	return c.pc.Post(ctx, userPath(userID, "/password/change"), PasswordRequest{OldPassword: old, Password: password}, nil, opts...)
}

// SendResetCode texts a password-reset code.
func (c *Client) SendResetCode(ctx context.Context, userID string, opts ...pay.CallOption) (ResetCode, error) {
	var out ResetCode
	return out, c.pc.Post(ctx, userPath(userID, "/password/reset-code"), struct{}{}, &out, opts...)
}

// ResetPassword sets a new password with a fresh SMS code.
func (c *Client) ResetPassword(ctx context.Context, userID, codeID, code, password string, opts ...pay.CallOption) error {
	return c.pc.Post(ctx, userPath(userID, "/password/reset"), PasswordRequest{CodeID: codeID, Code: code, Password: password}, nil, opts...)
}

// SendKeyCode texts the SMS code RegisterDeviceKey needs.
func (c *Client) SendKeyCode(ctx context.Context, userID string, opts ...pay.CallOption) (ResetCode, error) {
	var out ResetCode
	return out, c.pc.Post(ctx, userPath(userID, "/keys/code"), struct{}{}, &out, opts...)
}

// RegisterDeviceKey registers a biometric or service-providing device key
// (with a fresh code from SendKeyCode).
func (c *Client) RegisterDeviceKey(ctx context.Context, userID string, in DeviceKeyRequest, opts ...pay.CallOption) error {
	return c.pc.Post(ctx, userPath(userID, "/keys"), in, nil, opts...)
}

// SignAgreement starts a proxy-debit agreement; the user signs at SignURL.
func (c *Client) SignAgreement(ctx context.Context, userID string, in AgreementRequest, opts ...pay.CallOption) (Agreement, error) {
	var out Agreement
	return out, c.pc.Post(ctx, userPath(userID, "/agreements"), in, &out, opts...)
}

// Agreements lists the user's proxy-debit agreements.
func (c *Client) Agreements(ctx context.Context, userID string) ([]Agreement, error) {
	var out pay.List[Agreement]
	return out.Data, c.pc.Get(ctx, userPath(userID, "/agreements"), &out)
}

// Agreement returns an agreement with its channel status.
func (c *Client) Agreement(ctx context.Context, id string) (Agreement, error) {
	var out Agreement
	return out, c.pc.Get(ctx, "/v1/vr/agreements/"+url.PathEscape(id), &out)
}

// TerminateAgreement ends an agreement.
func (c *Client) TerminateAgreement(ctx context.Context, id, reason string, opts ...pay.CallOption) (Agreement, error) {
	var out Agreement
	return out, c.pc.Post(ctx, "/v1/vr/agreements/"+url.PathEscape(id)+"/terminate", TerminateRequest{Reason: reason}, &out, opts...)
}

// Checkout places an order and starts its authorization.
func (c *Client) Checkout(ctx context.Context, in CheckoutRequest, opts ...pay.CallOption) (Started, error) {
	var out Started
	return out, c.pc.Post(ctx, "/v1/vr/authorizations", in, &out, opts...)
}

// Poll asks once for the result (RFC 8628 errors while pending).
func (c *Client) Poll(ctx context.Context, deviceCode string) (Result, error) {
	var out Result
	return out, c.pc.Post(ctx, "/v1/vr/authorizations/poll", DeviceRequest{DeviceCode: deviceCode}, &out)
}

// Wait long-polls for the result for up to d (at most 20 s).
func (c *Client) Wait(ctx context.Context, deviceCode string, d time.Duration) (Result, error) {
	var out Result
	return out, c.pc.Post(ctx, "/v1/vr/authorizations/wait", DeviceRequest{DeviceCode: deviceCode, WaitSeconds: int(d / time.Second)}, &out)
}

// Await waits for a started authorization's result, long-polling until it
// exists, and returns it once. An end that isn't a success comes back as
// the error alone (ErrAccessDenied, ErrExpiredToken, or ErrPaymentFailed
// whose message gives the channel's reason) with an empty Result.
func (c *Client) Await(ctx context.Context, deviceCode string) (Result, error) {
	for {
		r, err := c.Wait(ctx, deviceCode, MaxWait)
		if !errors.Is(err, ErrAuthorizationPending) {
			return r, err
		}
		if ctx.Err() != nil {
			return Result{}, ctx.Err()
		}
	}
}

// PollUntilDone is RFC 8628 §3.5 polling, for clients that can't hold a
// request open: poll every interval, add 5 s on slow_down, stop on the
// result or a final error.
func (c *Client) PollUntilDone(ctx context.Context, deviceCode string, interval time.Duration) (Result, error) {
	if interval <= 0 {
		interval = DefaultInterval
	}
	for {
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return Result{}, ctx.Err()
		case <-t.C:
		}
		r, err := c.Poll(ctx, deviceCode)
		switch {
		case errors.Is(err, ErrSlowDown):
			interval += SlowDownStep
		case errors.Is(err, ErrAuthorizationPending):
		default:
			return r, err
		}
	}
}

// AddProof adds a verification proof to a pending authorization.
func (c *Client) AddProof(ctx context.Context, deviceCode string, p verify.Proof, opts ...pay.CallOption) (Authorization, error) {
	var out Authorization
	return out, c.pc.Post(ctx, "/v1/vr/authorizations/proofs", ProofRequest{DeviceCode: deviceCode, Proof: p}, &out, opts...)
}

// Challenge asks for a challenge (an SMS code, a nonce to sign).
func (c *Client) Challenge(ctx context.Context, deviceCode string, m verify.Method, opts ...pay.CallOption) (verify.Challenge, error) {
	var out verify.Challenge
	return out, c.pc.Post(ctx, "/v1/vr/authorizations/challenges", ChallengeRequest{DeviceCode: deviceCode, Method: m}, &out, opts...)
}

// Authorization returns an authorization (merchant key).
func (c *Client) Authorization(ctx context.Context, id string) (Authorization, error) {
	var out Authorization
	return out, c.pc.Get(ctx, "/v1/vr/authorizations/"+url.PathEscape(id), &out)
}
