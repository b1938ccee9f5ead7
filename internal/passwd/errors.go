package passwd

import (
	"errors"
	"fmt"
	"time"
)

// Sentinels for errors.Is. Their text, and the text of every error this
// package returns, never contains a password or a hash.
var (
	// ErrWrong: the password does not match. Check returns a *WrongError
	// that matches it and tells how many attempts are left.
	ErrWrong = errors.New("passwd: wrong password")
	// ErrLocked: too many consecutive failures; attempts are refused until
	// the lock ends. Check returns a *LockedError that matches it.
	ErrLocked = errors.New("passwd: locked after too many failed attempts")
	// ErrNotSet: the subject has no password.
	ErrNotSet = errors.New("passwd: no password is set")
	// ErrAlreadySet: Set was called for a subject that has a password;
	// Change or Reset replaces one.
	ErrAlreadySet = errors.New("passwd: a password is already set")
	// ErrWeak: a new password breaks the store's rule (CheckNew for payment
	// passwords) or is longer than MaxBytes.
	ErrWeak = errors.New("passwd: the new password is not allowed")
	// ErrMalformed: a PHC string is not one this package accepts: wrong
	// algorithm or version, bad syntax, or parameters out of range.
	ErrMalformed = errors.New("passwd: malformed password hash")
	// ErrParams: Argon2id parameters (or a Store option) are out of range.
	ErrParams = errors.New("passwd: parameters out of range")
	// ErrSubject: the subject is empty or longer than MaxSubjectBytes.
	ErrSubject = errors.New("passwd: invalid subject")
)

// WrongError is a wrong password, with the attempts left before the lock.
// Remaining 0 means this failure locked the subject.
type WrongError struct {
	// Remaining is how many more wrong attempts the subject may make
	// before it is locked.
	Remaining int
}

// Error says the password was wrong and how many attempts are left.
func (e *WrongError) Error() string {
	if e.Remaining == 1 {
		return "passwd: wrong password; 1 attempt left"
	}
	return fmt.Sprintf("passwd: wrong password; %d attempts left", e.Remaining)
}

// Is makes errors.Is(err, ErrWrong) true.
func (e *WrongError) Is(target error) bool { return target == ErrWrong }

// LockedError is a refusal because the subject is locked.
type LockedError struct {
	// Until is when the lock ends and attempts are evaluated again.
	Until time.Time
}

// Error says until when the subject is locked.
func (e *LockedError) Error() string {
	return "passwd: locked after too many failed attempts; try again after " + e.Until.UTC().Format(time.RFC3339)
}

// Is makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }
