package vrauth

import (
	"context"
	"log/slog"
	"time"

	"github.com/paykit-go/paykit/internal/passwd"
	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/verify"
)

// PasswordRequest sets, changes or resets the payment password. Which
// fields count depends on the call; passwords never appear in errors.
type PasswordRequest struct {
	// Password is the new password (6–64 characters; not 6 equal or
	// consecutive digits).
	Password string `json:"password"`
	// OldPassword authorizes a change.
	OldPassword string `json:"old_password,omitempty"`
	// CodeID and Code authorize a reset: a fresh SMS code from
	// SendResetCode.
	CodeID string `json:"code_id,omitempty"`
	Code   string `json:"code,omitempty"`
}

// String keeps passwords and codes out of logs.
func (PasswordRequest) String() string { return "vrauth.PasswordRequest{[redacted]}" }

// GoString keeps them out of %#v.
func (r PasswordRequest) GoString() string { return r.String() }

// LogValue keeps them out of structured logs (slog's JSON handler would
// otherwise marshal the fields).
func (r PasswordRequest) LogValue() slog.Value { return slog.StringValue(r.String()) }

// SetPassword presets the payment password of a verified user, once; later
// changes need the old password or a fresh SMS code. It is stored as an
// Argon2id PHC string (internal/passwd), shared with IM payments.
func (s *Service) SetPassword(ctx context.Context, userID string, req PasswordRequest) error {
	u, err := s.user(ctx, userID)
	if err != nil {
		return err
	}
	if u.Status != UserVerified {
		return pay.Errorf(ErrNotVerified, "user_id", "only a verified user may set a payment password")
	}
	return verify.PasswordError(s.passwords.Set(ctx, u.ID, req.Password))
}

// ChangePassword replaces the password given the old one. A wrong old
// password counts toward the lockout like any other attempt.
func (s *Service) ChangePassword(ctx context.Context, userID string, req PasswordRequest) error {
	u, err := s.user(ctx, userID)
	if err != nil {
		return err
	}
	return verify.PasswordError(s.passwords.Change(ctx, u.ID, req.OldPassword, req.Password))
}

// ResetCode is a code texted to the user to authorize a change (a password
// reset, a device-key registration): answer it by CodeID.
type ResetCode struct {
	CodeID    string    `json:"code_id"`
	ExpiresAt time.Time `json:"expires_at"`
}

// SendResetCode texts a password-reset code to the user's mobile number.
func (s *Service) SendResetCode(ctx context.Context, userID string) (ResetCode, error) {
	return s.sendCode(ctx, userID, purposeReset, "reset a payment password")
}

// sendCode texts a verified user a code for purpose (what the code lets
// the user do, for the refusal).
func (s *Service) sendCode(ctx context.Context, userID, purpose, what string) (ResetCode, error) {
	u, err := s.user(ctx, userID)
	if err != nil {
		return ResetCode{}, err
	}
	if u.Status != UserVerified {
		return ResetCode{}, pay.Errorf(ErrNotVerified, "user_id", "only a verified user may %s", what)
	}
	ch, err := s.otps.Send(ctx, verify.Subject{UserID: u.ID}, purpose, u.Mobile)
	if err != nil {
		return ResetCode{}, err
	}
	return ResetCode{CodeID: ch.ID, ExpiresAt: ch.ExpiresAt}, nil
}

// ResetPassword sets a new password with a fresh SMS code instead of the
// old password; it also lifts a lockout. The new password is checked
// before the code is spent.
func (s *Service) ResetPassword(ctx context.Context, userID string, req PasswordRequest) error {
	u, err := s.user(ctx, userID)
	if err != nil {
		return err
	}
	if err := verify.PasswordError(passwd.CheckNew(req.Password)); err != nil {
		return err
	}
	if st, err := s.passwords.Status(ctx, u.ID); err != nil || !st.Set {
		return verify.PasswordError(passwd.ErrNotSet)
	}
	if err := s.otps.Check(ctx, verify.Subject{UserID: u.ID}, purposeReset, req.CodeID, req.Code); err != nil {
		return err
	}
	return verify.PasswordError(s.passwords.Reset(ctx, u.ID, req.Password))
}
