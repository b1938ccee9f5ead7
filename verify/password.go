package verify

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/paykit-go/paykit/internal/passwd"
	"github.com/paykit-go/paykit/pay"
)

// PasswordVerifier checks the payment password (MethodPassword, a knowledge
// factor) against a passwd.Store: Argon2id hashes, 5 consecutive failures
// lock the user for 15 minutes (the store's settings), and attempts on one
// user are evaluated one at a time. The same store serves vrauth's password
// management and IM payments.
type PasswordVerifier struct {
	store *passwd.Store
}

// NewPasswordVerifier returns a verifier over s, keyed by Subject.UserID.
// It panics if s is nil.
func NewPasswordVerifier(s *passwd.Store) *PasswordVerifier {
	if s == nil {
		panic("verify: NewPasswordVerifier with a nil passwd.Store")
	}
	return &PasswordVerifier{store: s}
}

// Method returns MethodPassword.
func (*PasswordVerifier) Method() Method { return MethodPassword }

// Factor returns FactorKnowledge.
func (*PasswordVerifier) Factor() Factor { return FactorKnowledge }

// Verify checks p.Secret as s.UserID's payment password. A wrong password
// is ErrFailed with the attempts left; during a lock every attempt is
// ErrLocked (with the time it ends) and is not evaluated; a user without a
// password is ErrNotSetUp. An empty Secret is refused as
// pay.ErrInvalidRequest without being evaluated or counted: it can never
// be a password (CheckNew wants 6 characters), so refusing it reveals
// nothing, and counting it would let a client bug lock the user out.
func (v *PasswordVerifier) Verify(ctx context.Context, s Subject, p Proof) error {
	if err := checkProofMethod(MethodPassword, p); err != nil {
		return err
	}
	if err := checkSubject(s, false); err != nil {
		return err
	}
	if p.Secret == "" {
		return pay.Errorf(pay.ErrInvalidRequest, "secret", "the payment password is required")
	}
	return PasswordError(v.store.Check(ctx, s.UserID, p.Secret))
}

// PasswordError maps an error of internal/passwd (from Check, Set, Change,
// Reset or CheckNew on payment passwords) to a *pay.Error, so that every
// flow — vrauth, IM payments, this package's verifier — reports password
// failures alike:
//
//   - wrong: ErrFailed, "wrong payment password; N attempts left" (param secret)
//   - locked: ErrLocked, "payment password locked until <RFC 3339>" (param secret)
//   - not set: ErrNotSetUp
//   - weak new password: pay.ErrInvalidRequest naming the rule broken (param password)
//   - already set: pay.ErrConflict (param password)
//   - bad user ID: pay.ErrInvalidRequest (param user_id)
//   - a context error: returned unchanged
//   - anything else (a corrupt stored hash, a storage failure): pay.ErrInternal
//
// The passwd error stays the in-process cause, so errors.Is matches
// passwd's sentinels too. nil stays nil, and a *pay.Error is returned
// unchanged. No message contains the password.
func PasswordError(err error) error {
	return passwdError(err, "payment password", "")
}

// passwdError maps a passwd error for the secret named what; idParam is
// the request field that names what is not set up.
func passwdError(err error, what, idParam string) error {
	var (
		pe     *pay.Error
		wrong  *passwd.WrongError
		locked *passwd.LockedError
	)
	switch {
	case err == nil:
		return nil
	case errors.As(err, &pe):
		return err
	case errors.As(err, &wrong):
		left := "attempts"
		if wrong.Remaining == 1 {
			left = "attempt"
		}
		return pay.Errorf(ErrFailed, "secret", "wrong %s; %d %s left", what, wrong.Remaining, left).Wrap(err)
	case errors.As(err, &locked):
		return pay.Errorf(ErrLocked, "secret", "%s locked until %s", what, locked.Until.UTC().Format(time.RFC3339)).Wrap(err)
	case errors.Is(err, passwd.ErrNotSet):
		return pay.Errorf(ErrNotSetUp, idParam, "no %s is set", what).Wrap(err)
	case errors.Is(err, passwd.ErrAlreadySet):
		return pay.Errorf(pay.ErrConflict, "password", "a %s is already set; change or reset it", what).Wrap(err)
	case errors.Is(err, passwd.ErrWeak):
		// passwd's rule messages name the rule, never the password.
		return pay.Errorf(pay.ErrInvalidRequest, "password", "%s", strings.TrimPrefix(err.Error(), "passwd: ")).Wrap(err)
	case errors.Is(err, passwd.ErrSubject):
		return pay.Errorf(pay.ErrInvalidRequest, "user_id", "the user ID is empty or too long").Wrap(err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	default:
		return pay.Errorf(pay.ErrInternal, "", "the %s could not be checked", what).Wrap(err)
	}
}
