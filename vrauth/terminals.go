package vrauth

import (
	"context"
	"net/mail"
	"strings"

	"github.com/paykit-go/paykit/internal/randid"
	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/verify"
)

// Message kinds the Sender gets (SMS codes go out as verify.MessageKindOTP),
// and the page paths links point at.
const (
	KindActivation  = "activation"    // a new trusted terminal's activation link
	KindApproval    = "approval"      // an approval link for a headset purchase
	MaxTerminals    = 8               // trusted terminals per user
	activationPath  = "/vr/activate/" // + token
	approvalPath    = "/vr/approve/"  // + token
	verificationURI = "/vr/code"      // where user codes are typed
)

// TerminalRequest registers a trusted terminal.
type TerminalRequest struct {
	Name string `json:"name"`
	// Address is where links for this terminal go: an E.164 mobile number
	// or an e-mail address.
	Address string `json:"address"`
}

// AddTerminal registers a trusted terminal for a verified user and sends it
// an activation link (valid 24 hours, single use). Opening the link in the
// terminal's browser activates it, which lets that browser enter user
// codes; approval links work on any registered terminal without it.
func (s *Service) AddTerminal(ctx context.Context, userID string, req TerminalRequest) (Terminal, error) {
	if err := pay.CheckText("name", req.Name, true, 64); err != nil {
		return Terminal{}, err
	}
	if !pay.IsE164(req.Address) && !validEmail(req.Address) {
		return Terminal{}, pay.Errorf(pay.ErrInvalidRequest, "address", "address must be an E.164 mobile number or an e-mail address")
	}
	u, err := s.user(ctx, userID)
	if err != nil {
		return Terminal{}, err
	}
	if u.Status != UserVerified {
		return Terminal{}, pay.Errorf(ErrNotVerified, "user_id", "only a verified user may add trusted terminals")
	}
	ts, err := s.store.Terminals(ctx, u.ID)
	if err != nil {
		return Terminal{}, err
	}
	if len(ts) >= MaxTerminals {
		return Terminal{}, pay.Errorf(pay.ErrConflict, "user_id", "a user may have at most %d trusted terminals", MaxTerminals)
	}
	token := newSecret()
	now := s.clock.Now().UTC()
	t := Terminal{ID: randid.New(PrefixTerminal), UserID: u.ID, Name: req.Name, Address: req.Address, CreatedAt: now,
		ActivationHash: hashSecret(token), ActivationExpires: now.Add(activationTTL)}
	if err := s.store.InsertTerminal(ctx, t); err != nil {
		return Terminal{}, err
	}
	url := s.publicURL + activationPath + token
	msg := verify.Message{To: t.Address, Kind: KindActivation, Link: url,
		Body: "Open this link on " + t.Name + " to make it a trusted terminal for paykit VR payments: " + url}
	if err := s.sender.Send(ctx, msg); err != nil {
		_ = s.store.DeleteTerminal(context.WithoutCancel(ctx), t.ID)
		return Terminal{}, pay.Errorf(pay.ErrUnavailable, "address", "the activation link could not be sent")
	}
	return t, nil
}

func validEmail(s string) bool {
	if len(s) > 254 || strings.ContainsAny(s, " <>\"") {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s
}

// Terminals lists a user's trusted terminals.
func (s *Service) Terminals(ctx context.Context, userID string) ([]Terminal, error) {
	if _, err := s.user(ctx, userID); err != nil {
		return nil, err
	}
	return s.store.Terminals(ctx, userID)
}

// RemoveTerminal removes a trusted terminal: links already sent to it stop
// working and its browser can no longer enter user codes.
func (s *Service) RemoveTerminal(ctx context.Context, userID, terminalID string) error {
	t, err := s.store.Terminal(ctx, terminalID)
	if err != nil || t.UserID != userID {
		return pay.Errorf(pay.ErrNotFound, "terminal_id", "no such trusted terminal for this user")
	}
	return s.store.DeleteTerminal(ctx, terminalID)
}

// ActivateTerminal redeems an activation token (once, within 24 hours) and
// returns the terminal and the secret its browser keeps as a cookie.
func (s *Service) ActivateTerminal(ctx context.Context, token string) (Terminal, string, error) {
	refuse := pay.Errorf(pay.ErrNotFound, "token", "this activation link is unknown, used or expired")
	if !validSecret(token) {
		return Terminal{}, "", refuse
	}
	t, err := s.store.TerminalByActivation(ctx, hashSecret(token))
	if err != nil {
		return Terminal{}, "", refuse
	}
	secret := newSecret()
	t, err = s.store.UpdateTerminal(ctx, t.ID, func(t *Terminal) error {
		if t.ActivationHash != hashSecret(token) || !s.clock.Now().Before(t.ActivationExpires) {
			return refuse
		}
		t.ActivationHash, t.SecretHash, t.Activated = [32]byte{}, hashSecret(secret), true
		return nil
	})
	if err != nil {
		return Terminal{}, "", err
	}
	return t, secret, nil
}

// terminalBySecret finds the activated terminal a browser cookie names.
func (s *Service) terminalBySecret(ctx context.Context, secret string) (Terminal, error) {
	if !validSecret(secret) {
		return Terminal{}, pay.Errorf(ErrNotTrusted, "terminal", "this browser is not an activated trusted terminal")
	}
	t, err := s.store.TerminalBySecret(ctx, hashSecret(secret))
	if err != nil {
		return Terminal{}, pay.Errorf(ErrNotTrusted, "terminal", "this browser is not an activated trusted terminal")
	}
	return t, nil
}
