package emv

// names are the top-level data objects' names, for error messages.
var names = map[string]string{
	"00": "payload format indicator", "01": "point of initiation method", "52": "merchant category code",
	"53": "transaction currency", "54": "transaction amount", "55": "tip or convenience indicator",
	"56": "fixed convenience fee", "57": "percentage convenience fee", "58": "country code",
	"59": "merchant name", "60": "merchant city", "61": "postal code", "62": "additional data field template",
	"63": "CRC", "64": "merchant information language template", "64.00": "language preference",
}

// checkFormat checks the value of a data object whose format EMVCo fixes.
// Parse and Build share it, so a payload Parse accepts always builds. The
// rules are the specification's, minus its maximum lengths of free text
// (name, city, labels), which real payloads overrun and which only bound a
// display:
//
//	01     "11" or "12"
//	52     four digits
//	53     three digits
//	54, 56 digits, with at most one "." decimal mark after at least one
//	       digit ("98.73", "98", "98."), at most 13 characters
//	55     "01", "02" or "03"
//	57     as 54, at most 5 characters
//	58     two upper-case letters A–Z
//	64.00  two letters
//
// Whether the amount's decimals suit the currency, and whether a fee
// percentage lies between 0 and 100, is Order's concern: Parse cannot know
// a currency this package doesn't list.
func checkFormat(path, v string) error {
	ok := true
	switch path {
	case "01":
		ok = v == Static || v == Dynamic
	case "52":
		ok = len(v) == 4 && digits(v)
	case "53":
		ok = len(v) == 3 && digits(v)
	case "54", "56":
		ok = len(v) <= 13 && decimal(v)
	case "55":
		ok = v == TipIndicatorPrompt || v == TipIndicatorFixed || v == TipIndicatorPercent
	case "57":
		ok = len(v) <= 5 && decimal(v)
	case "58":
		ok = len(v) == 2 && upper(v[0]) && upper(v[1])
	case "64.00":
		ok = len(v) == 2 && letter(v[0]) && letter(v[1])
	}
	if !ok {
		return fail(ErrValue, path, "%s (%s) does not have its format", path, names[path])
	}
	return nil
}

// decimal reports whether s is digits with at most one "." after the first
// digit.
func decimal(s string) bool {
	dot := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
		case c == '.' && i > 0 && !dot:
			dot = true
		default:
			return false
		}
	}
	return s != ""
}

func upper(c byte) bool  { return c >= 'A' && c <= 'Z' }
func letter(c byte) bool { return upper(c) || (c >= 'a' && c <= 'z') }
