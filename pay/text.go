package pay

import (
	"strings"
	"unicode/utf8"
)

// CheckText validates a short free-text request field (a name, a reference,
// a terminal ID): valid UTF-8 of at most max bytes without control
// characters, and not blank when required. Its errors name param and never
// quote the value.
func CheckText(param, s string, required bool, max int) error {
	if required && strings.TrimSpace(s) == "" {
		return Errorf(ErrInvalidRequest, param, "%s is required", param)
	}
	if len(s) > max || !utf8.ValidString(s) {
		return Errorf(ErrInvalidRequest, param, "%s must be valid UTF-8 of at most %d bytes", param, max)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return Errorf(ErrInvalidRequest, param, "%s contains control characters", param)
		}
	}
	return nil
}
