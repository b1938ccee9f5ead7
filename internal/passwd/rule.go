package passwd

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// Length limits of a payment password, in runes.
const (
	MinRunes = 6
	MaxRunes = 64
)

// CheckNew is the rule for a new payment password: valid UTF-8 of 6 to 64
// runes without control characters; and, when it is all ASCII digits (the
// 6-digit password Chinese wallets use), not one digit repeated (111111)
// and not an ascending or descending run (123456, 654321, 890123, 321098;
// the run may wrap from 9 to 0). Its errors match ErrWeak and never quote
// the password. Store applies it unless WithRule replaces it.
func CheckNew(password string) error {
	if !utf8.ValidString(password) {
		return fmt.Errorf("%w: not valid UTF-8", ErrWeak)
	}
	n := utf8.RuneCountInString(password)
	if n < MinRunes || n > MaxRunes {
		return fmt.Errorf("%w: a payment password has %d to %d characters", ErrWeak, MinRunes, MaxRunes)
	}
	digits := true
	for _, r := range password {
		if unicode.IsControl(r) {
			return fmt.Errorf("%w: control characters are not allowed", ErrWeak)
		}
		if r < '0' || r > '9' {
			digits = false
		}
	}
	if !digits {
		return nil
	}
	same, up, down := true, true, true
	for i := 1; i < len(password); i++ {
		d := (int(password[i]) - int(password[i-1]) + 10) % 10
		same = same && d == 0
		up = up && d == 1
		down = down && d == 9
	}
	switch {
	case same:
		return fmt.Errorf("%w: all digits are the same", ErrWeak)
	case up || down:
		return fmt.Errorf("%w: the digits run in sequence", ErrWeak)
	}
	return nil
}
