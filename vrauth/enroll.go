package vrauth

import (
	"context"
	"time"

	"github.com/paykit-go/paykit/internal/randid"
	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/verify"
)

// RegisterRequest enrolls a user (POST /v1/vr/users).
type RegisterRequest struct {
	Name string `json:"name"`
	// Mobile is an E.164 number, e.g. "+8613800138000".
	Mobile string `json:"mobile"`
	// Verification is "sms" (default) or "review".
	Verification Verification `json:"verification,omitempty"`
}

// Enrollment is a registered user and, under SMS verification, the code
// that was sent: answer it with VerifyMobile.
type Enrollment struct {
	User          User      `json:"user"`
	CodeID        string    `json:"code_id,omitempty"`
	CodeExpiresAt time.Time `json:"code_expires_at,omitzero"`
}

// Register enrolls a user. With SMS verification a 6-digit code goes to the
// mobile number through the Sender (valid 10 minutes, single use, 5 wrong
// attempts); with review the user waits for an operator's Review. Headset
// payments start switched on, but nothing can be paid until the user is
// verified and a headset is registered.
func (s *Service) Register(ctx context.Context, req RegisterRequest) (Enrollment, error) {
	if err := pay.CheckText("name", req.Name, true, 64); err != nil {
		return Enrollment{}, err
	}
	if !pay.IsE164(req.Mobile) {
		return Enrollment{}, pay.Errorf(pay.ErrInvalidRequest, "mobile", "mobile must be an E.164 number such as +8613800138000")
	}
	if req.Verification == "" {
		req.Verification = VerifySMS
	}
	now := s.clock.Now().UTC()
	u := User{ID: randid.New(PrefixUser), Name: req.Name, Mobile: req.Mobile, Verification: req.Verification,
		PaymentsEnabled: true, Headsets: []Headset{}, CreatedAt: now, UpdatedAt: now}
	var out Enrollment
	switch req.Verification {
	case VerifySMS:
		u.Status = UserPendingSMS
		ch, err := s.otps.Send(ctx, verify.Subject{UserID: u.ID}, purposeEnroll, u.Mobile)
		if err != nil {
			return Enrollment{}, err
		}
		out.CodeID, out.CodeExpiresAt = ch.ID, ch.ExpiresAt
	case VerifyReview:
		u.Status = UserPendingReview
	default:
		return Enrollment{}, pay.Errorf(pay.ErrInvalidRequest, "verification", `verification must be "sms" or "review"`)
	}
	if err := s.store.InsertUser(ctx, u); err != nil {
		return Enrollment{}, err
	}
	out.User = u
	return out, nil
}

// User returns a user.
func (s *Service) User(ctx context.Context, id string) (User, error) { return s.user(ctx, id) }

// user loads a user, answering ErrNotEnrolled for an unknown one.
func (s *Service) user(ctx context.Context, id string) (User, error) {
	if !randid.Valid(id, PrefixUser) {
		return User{}, pay.Errorf(ErrNotEnrolled, "user_id", "no enrolled user with this ID")
	}
	u, err := s.store.User(ctx, id)
	if err != nil {
		return User{}, pay.Errorf(ErrNotEnrolled, "user_id", "no enrolled user with this ID")
	}
	return u, nil
}

// VerifyMobile answers the enrollment code; the user becomes verified.
func (s *Service) VerifyMobile(ctx context.Context, userID, codeID, code string) (User, error) {
	u, err := s.user(ctx, userID)
	if err != nil {
		return User{}, err
	}
	if u.Status != UserPendingSMS {
		return User{}, pay.Errorf(pay.ErrConflict, "user_id", "the user is %s, not waiting for an SMS code", u.Status)
	}
	if err := s.otps.Check(ctx, verify.Subject{UserID: u.ID}, purposeEnroll, codeID, code); err != nil {
		return User{}, err
	}
	return s.store.UpdateUser(ctx, u.ID, func(u *User) error {
		if u.Status != UserPendingSMS {
			return pay.Errorf(pay.ErrConflict, "user_id", "the user is %s, not waiting for an SMS code", u.Status)
		}
		u.Status, u.UpdatedAt = UserVerified, s.clock.Now().UTC()
		return nil
	})
}

// ResendCode sends a new enrollment code (throttled: one a minute, five an
// hour); the previous one stops working.
func (s *Service) ResendCode(ctx context.Context, userID string) (Enrollment, error) {
	u, err := s.user(ctx, userID)
	if err != nil {
		return Enrollment{}, err
	}
	if u.Status != UserPendingSMS {
		return Enrollment{}, pay.Errorf(pay.ErrConflict, "user_id", "the user is %s, not waiting for an SMS code", u.Status)
	}
	ch, err := s.otps.Send(ctx, verify.Subject{UserID: u.ID}, purposeEnroll, u.Mobile)
	if err != nil {
		return Enrollment{}, err
	}
	return Enrollment{User: u, CodeID: ch.ID, CodeExpiresAt: ch.ExpiresAt}, nil
}

// ReviewRequest is an operator's decision on a pending manual review.
type ReviewRequest struct {
	Approve bool   `json:"approve"`
	Note    string `json:"note,omitempty"`
}

// Review approves or rejects a user waiting for manual review (operator).
func (s *Service) Review(ctx context.Context, userID string, req ReviewRequest) (User, error) {
	if err := pay.CheckText("note", req.Note, false, 200); err != nil {
		return User{}, err
	}
	if _, err := s.user(ctx, userID); err != nil {
		return User{}, err
	}
	return s.store.UpdateUser(ctx, userID, func(u *User) error {
		if u.Status != UserPendingReview {
			return pay.Errorf(pay.ErrConflict, "user_id", "the user is %s, not waiting for review", u.Status)
		}
		u.Status = UserRejected
		if req.Approve {
			u.Status = UserVerified
		}
		u.ReviewNote, u.UpdatedAt = req.Note, s.clock.Now().UTC()
		return nil
	})
}

// SetPayments is the user's switch for headset payments.
func (s *Service) SetPayments(ctx context.Context, userID string, enabled bool) (User, error) {
	if _, err := s.user(ctx, userID); err != nil {
		return User{}, err
	}
	return s.store.UpdateUser(ctx, userID, func(u *User) error {
		u.PaymentsEnabled, u.UpdatedAt = enabled, s.clock.Now().UTC()
		return nil
	})
}

// HeadsetRequest registers a headset for a user.
type HeadsetRequest struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// AddHeadset registers a headset for a user, switched on. Registering it
// again renames it and leaves its switch alone.
func (s *Service) AddHeadset(ctx context.Context, userID string, req HeadsetRequest) (User, error) {
	if err := pay.CheckText("id", req.ID, true, 64); err != nil {
		return User{}, err
	}
	if err := pay.CheckText("name", req.Name, false, 64); err != nil {
		return User{}, err
	}
	if _, err := s.user(ctx, userID); err != nil {
		return User{}, err
	}
	return s.store.UpdateUser(ctx, userID, func(u *User) error {
		now := s.clock.Now().UTC()
		if h, ok := u.headset(req.ID); ok {
			h.Name = req.Name
		} else {
			if len(u.Headsets) >= 16 {
				return pay.Errorf(pay.ErrConflict, "id", "a user may register at most 16 headsets")
			}
			u.Headsets = append(u.Headsets, Headset{ID: req.ID, Name: req.Name, Enabled: true, AddedAt: now})
		}
		u.UpdatedAt = now
		return nil
	})
}

// SetHeadset is the per-headset payment switch.
func (s *Service) SetHeadset(ctx context.Context, userID, headsetID string, enabled bool) (User, error) {
	if _, err := s.user(ctx, userID); err != nil {
		return User{}, err
	}
	return s.store.UpdateUser(ctx, userID, func(u *User) error {
		h, ok := u.headset(headsetID)
		if !ok {
			return pay.Errorf(ErrHeadsetOff, "headset_id", "headset %s is not registered for this user", pay.Clip(headsetID, 64))
		}
		h.Enabled, u.UpdatedAt = enabled, s.clock.Now().UTC()
		return nil
	})
}

// Eligibility says whether a headset may pay for a user now, and if not,
// every condition that is missing (not_enrolled, not_verified,
// payments_off, headset_off).
type Eligibility struct {
	Eligible bool     `json:"eligible"`
	Missing  []string `json:"missing"`
}

// Eligibility checks a headset against a user without changing anything.
func (s *Service) Eligibility(ctx context.Context, userID, headsetID string) (Eligibility, error) {
	u, err := s.user(ctx, userID)
	if err != nil {
		return Eligibility{Missing: []string{"not_enrolled"}}, nil
	}
	e := Eligibility{Missing: []string{}}
	if u.Status != UserVerified {
		e.Missing = append(e.Missing, "not_verified")
	}
	if !u.PaymentsEnabled {
		e.Missing = append(e.Missing, "payments_off")
	}
	if h, ok := u.headset(headsetID); !ok || !h.Enabled {
		e.Missing = append(e.Missing, "headset_off")
	}
	e.Eligible = len(e.Missing) == 0
	return e, nil
}

// eligible loads the user a headset pays for and refuses with the first
// missing condition's own error.
func (s *Service) eligible(ctx context.Context, userID, headsetID string) (User, error) {
	u, err := s.user(ctx, userID)
	if err != nil {
		return User{}, err
	}
	switch h, ok := u.headset(headsetID); {
	case u.Status == UserPendingSMS || u.Status == UserPendingReview:
		return User{}, pay.Errorf(ErrNotVerified, "user_id", "the user's mobile number is not verified yet (%s)", u.Status)
	case u.Status != UserVerified:
		return User{}, pay.Errorf(ErrNotVerified, "user_id", "the user's enrollment was %s", u.Status)
	case !u.PaymentsEnabled:
		return User{}, pay.Errorf(ErrPaymentsOff, "user_id", "the user switched headset payments off")
	case !ok:
		return User{}, pay.Errorf(ErrHeadsetOff, "headset_id", "this headset is not registered for the user")
	case !h.Enabled:
		return User{}, pay.Errorf(ErrHeadsetOff, "headset_id", "the user switched payments off for this headset")
	}
	return u, nil
}
