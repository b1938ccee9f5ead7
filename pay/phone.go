package pay

import "regexp"

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// IsE164 reports whether s is a phone number in E.164 form
// ("+8613800138000"): the one form paykit stores mobile numbers in.
func IsE164(s string) bool { return e164.MatchString(s) }
