package pay

import (
	"strings"
	"unicode/utf8"
)

// Clip makes untrusted or provider text safe to quote in an error message:
// every run of 7 or more digits becomes "#…#" (so an account number put in
// the wrong field never comes back in an error), control characters and
// invalid UTF-8 become '?', and the result is cut to at most max runes with
// a trailing "…". Every paykit package quotes input through it.
func Clip(s string, max int) string {
	var b strings.Builder
	n := 0
	for i := 0; i < len(s); {
		if n == max {
			b.WriteString("…")
			break
		}
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		switch {
		case j-i >= 7:
			b.WriteString("#…#")
			i, n = j, n+3
			continue
		case j > i:
			k := min(j, i+max-n)
			b.WriteString(s[i:k])
			n += k - i
			i = k
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || r < 0x20 || r == 0x7f {
			r = '?'
		}
		b.WriteRune(r)
		i += size
		n++
	}
	return b.String()
}
