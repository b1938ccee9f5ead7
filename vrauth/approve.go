package vrauth

import (
	"context"
	"errors"
	"slices"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/verify"
)

// Approval is what a trusted terminal's approval page shows: the order,
// the channels the user may pick, and where the authorization stands. Only
// a holder of an approval link gets it.
type Approval struct {
	Authorization Authorization
	// Terminal is the trusted terminal the link was sent to.
	Terminal Terminal
	// Channels are the channels the user may pay with (cross-terminal
	// mode; the order's own channel when it names one).
	Channels []string
	// Expired is set when the approval window has passed.
	Expired bool
}

var errUnknownLink = pay.Errorf(pay.ErrNotFound, "link", "this approval link is unknown or was withdrawn")

// byLink resolves an approval link to its authorization and terminal; the
// terminal must still be one of the user's.
func (s *Service) byLink(ctx context.Context, token string) (Authorization, Terminal, error) {
	if !validSecret(token) {
		return Authorization{}, Terminal{}, errUnknownLink
	}
	a, tid, err := s.store.AuthorizationByLink(ctx, hashSecret(token))
	if err != nil {
		return Authorization{}, Terminal{}, errUnknownLink
	}
	t, err := s.store.Terminal(ctx, tid)
	if err != nil || t.UserID != a.UserID {
		return Authorization{}, Terminal{}, pay.Errorf(ErrNotTrusted, "link", "the terminal this link was sent to is no longer trusted by the user")
	}
	return a, t, nil
}

// ApprovalByLink returns what the approval page shows for a link.
func (s *Service) ApprovalByLink(ctx context.Context, token string) (Approval, error) {
	a, t, err := s.byLink(ctx, token)
	if err != nil {
		return Approval{}, err
	}
	ap := Approval{Authorization: a, Terminal: t, Expired: a.Status == StatusPending && !s.clock.Now().Before(a.ExpiresAt)}
	switch {
	case a.Mode == ModeProxyDebit:
		ap.Channels = []string{a.Channel}
	case a.Order.Channel != "":
		ap.Channels = []string{a.Order.Channel}
	default:
		if ap.Channels, err = s.channels(ctx, a.UserID, a.Order.Amount.Currency); err != nil {
			return Approval{}, err
		}
	}
	return ap, nil
}

// channels lists the channels a user may pay with on a web page.
func (s *Service) channels(ctx context.Context, userID, currency string) ([]string, error) {
	cs, err := s.agg.Choices(ctx, userID, channel.ScenarioWeb, currency)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, c := range cs {
		if c.Available() {
			out = append(out, c.Name)
		}
	}
	return out, nil
}

// Approve is the trusted terminal's approval through its link: it records
// the trusted_terminal method and, once the policy is satisfied, charges —
// a cross-terminal purchase through chosenChannel in the web scenario
// (the returned URL is the channel's payment page to send the browser
// to), a proxy debit through its agreement. Expiry is checked before the
// approval takes effect; an authorization is approved at most once.
func (s *Service) Approve(ctx context.Context, token, chosenChannel string) (Authorization, string, error) {
	ap, err := s.ApprovalByLink(ctx, token)
	if err != nil {
		return Authorization{}, "", err
	}
	a := ap.Authorization
	if a.Status != StatusPending {
		return a, "", decided(a)
	}
	if a.Mode == ModeProxyDebit || len(ap.Channels) == 1 && chosenChannel == "" {
		chosenChannel = ap.Channels[0]
	}
	if !slices.Contains(ap.Channels, chosenChannel) {
		return Authorization{}, "", pay.Errorf(pay.ErrInvalidRequest, "channel", "choose one of the offered channels")
	}
	a, err = s.execute(ctx, a.ID, executeArgs{method: verify.MethodTrustedTerminal, terminalID: ap.Terminal.ID, channel: chosenChannel})
	if errors.Is(err, errStillPending) {
		return a, "", nil
	}
	if err != nil {
		return a, "", err
	}
	if a.PaymentID == "" || a.Mode != ModeCrossTerminal {
		return a, "", nil
	}
	p, err := s.agg.Payment(ctx, a.PaymentID)
	if err != nil {
		return a, "", err
	}
	return a, p.Action.RedirectURL, nil
}

// Deny is the user refusing the purchase on the trusted terminal; the
// headset gets access_denied.
func (s *Service) Deny(ctx context.Context, token string) (Authorization, error) {
	a, _, err := s.byLink(ctx, token)
	if err != nil {
		return Authorization{}, err
	}
	a, err = s.store.UpdateAuthorization(ctx, a.ID, func(a *Authorization) error {
		if a.Status != StatusPending {
			return decided(*a)
		}
		a.Status, a.UpdatedAt = StatusDenied, s.clock.Now().UTC()
		if !a.UpdatedAt.Before(a.ExpiresAt) {
			a.Status = StatusExpired
		}
		return nil
	})
	if err == nil {
		s.waiters.wake(a.ID)
	}
	return a, err
}

// EnterCode is a user typing a headset's user code into an activated
// trusted terminal (identified by its cookie secret). A right code issues
// a fresh approval link for that terminal (the page redirects to it). A
// wrong code counts against every pending authorization of the terminal's
// user; after 5 an authorization's code stops working (its links still
// do). client keys the per-client rate limit (the remote address).
func (s *Service) EnterCode(ctx context.Context, client, terminalSecret, userCode string) (string, error) {
	if err := s.limit("code:" + client); err != nil {
		return "", err
	}
	t, err := s.terminalBySecret(ctx, terminalSecret)
	if err != nil {
		return "", err
	}
	code := NormalizeUserCode(userCode)
	wrong := pay.Errorf(ErrUserCode, "user_code", "wrong or expired code; check the code shown in the headset")
	var a Authorization
	if code != "" {
		a, err = s.store.AuthorizationByUserCode(ctx, code)
	}
	if code == "" || err != nil || a.UserID != t.UserID || a.Status != StatusPending {
		s.countWrongCode(ctx, t.UserID)
		return "", wrong
	}
	token := newSecret()
	_, err = s.store.UpdateAuthorization(ctx, a.ID, func(a *Authorization) error {
		switch {
		case a.Status != StatusPending || !s.clock.Now().Before(a.ExpiresAt):
			return pay.Errorf(ErrUserCode, "user_code", "this code has expired")
		case a.CodeFailures >= MaxUserCodeFailures:
			return pay.Errorf(ErrUserCode, "user_code", "this code is locked after too many wrong entries; use the link sent to your trusted terminal")
		case len(a.Links) >= 32:
			return pay.Errorf(pay.ErrConflict, "user_code", "too many approval links for this purchase")
		}
		a.Links = append(a.Links, Link{Hash: hashSecret(token), TerminalID: t.ID})
		return nil
	})
	if err != nil {
		return "", err
	}
	return token, nil
}

// countWrongCode charges a wrong user-code entry to the user's pending
// authorizations.
func (s *Service) countWrongCode(ctx context.Context, userID string) {
	as, err := s.store.PendingAuthorizations(ctx, userID)
	if err != nil {
		return
	}
	for _, a := range as {
		_, _ = s.store.UpdateAuthorization(ctx, a.ID, func(a *Authorization) error {
			a.CodeFailures++
			return nil
		})
	}
}

// ApprovalURL is the page an approval link token opens.
func (s *Service) ApprovalURL(token string) string { return s.publicURL + approvalPath + token }
