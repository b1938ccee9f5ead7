package stripe

import (
	"net/url"
	"strings"
)

// form is an application/x-www-form-urlencoded body in Stripe's bracket
// notation: nested hashes as metadata[charge_id]=…, arrays as
// payment_method_types[]=card or line_items[0][quantity]=1. Pairs keep the
// order they were added in, so the same request always encodes to the same
// bytes (which Stripe's idempotency check compares).
type form struct {
	pairs [][2]string
}

// add appends key=value and returns f for chaining.
func (f *form) add(key, value string) *form {
	f.pairs = append(f.pairs, [2]string{key, value})
	return f
}

// encode renders the pairs with keys escaped except for their brackets (as
// Stripe's own SDKs send them) and values fully escaped.
func (f *form) encode() string {
	var b strings.Builder
	for i, p := range f.pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		k := url.QueryEscape(p[0])
		k = strings.ReplaceAll(k, "%5B", "[")
		k = strings.ReplaceAll(k, "%5D", "]")
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(p[1]))
	}
	return b.String()
}
