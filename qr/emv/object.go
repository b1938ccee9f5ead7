package emv

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxLen is the longest payload, in characters, that EMVCo allows and this
// package reads or writes.
const MaxLen = 512

// maxValue is the longest value a two-digit length can state.
const maxValue = 99

// DataObject is one ID-length-value element: a two-digit ID and its value as
// text. The length is not stored: it is the value's length in characters
// (runes, not bytes), written as two digits. A template's value is itself a
// sequence of data objects; ParseObjects splits it.
type DataObject struct {
	ID    string `json:"id"`
	Value string `json:"value"`
}

// object is a data object as scanned, with the offset of its ID in
// characters from the start of the payload, for error messages.
type object struct {
	DataObject
	at int
}

// scan splits s, which starts at character offset base of the payload, into
// its data objects. path names the enclosing template ("" at the top level).
// It refuses malformed IDs and lengths, empty values, values that run past
// the end and duplicate IDs. s must already be valid UTF-8.
func scan(s string, base int, path string) ([]object, error) {
	var out []object
	var seen [100]bool
	pos := base
	for len(s) > 0 {
		if len(s) < 4 {
			return nil, fail(ErrLength, path, "the text ends inside an ID and length at character %d", pos)
		}
		id, ln := s[:2], s[2:4]
		if !digits(id) {
			return nil, fail(ErrID, path, "the ID at character %d is not two digits", pos)
		}
		p := join(path, id)
		if !digits(ln) {
			return nil, fail(ErrLength, p, "the length of %s at character %d is not two digits", p, pos+2)
		}
		n := int(ln[0]-'0')*10 + int(ln[1]-'0')
		if n == 0 {
			return nil, fail(ErrLength, p, "the length of %s at character %d is zero; values are never empty", p, pos+2)
		}
		rest := s[4:]
		i := 0
		for k := 0; k < n; k++ {
			if i >= len(rest) {
				return nil, fail(ErrLength, p, "the value of %s at character %d runs past the end: %d characters stated, %d there", p, pos, n, k)
			}
			_, w := utf8.DecodeRuneInString(rest[i:])
			i += w
		}
		num := idNum(id)
		if seen[num] {
			return nil, fail(ErrDuplicate, p, "%s occurs twice (again at character %d)", p, pos)
		}
		seen[num] = true
		out = append(out, object{DataObject{ID: id, Value: rest[:i]}, pos})
		s = rest[i:]
		pos += 4 + n
	}
	return out, nil
}

// ParseObjects splits a template's value (or any text in the same form)
// into its data objects, in order: two-digit IDs, two-digit lengths counted
// in characters, non-empty values, no ID twice. Use it on a value this
// package keeps as text, such as a payment-system-specific template in the
// additional data (62.50–62.99) or a network's nested field.
func ParseObjects(s string) ([]DataObject, error) {
	if err := checkText(s, 0, ""); err != nil {
		return nil, err
	}
	objs, err := scan(s, 0, "")
	if err != nil {
		return nil, err
	}
	out := make([]DataObject, len(objs))
	for i, o := range objs {
		out[i] = o.DataObject
	}
	return out, nil
}

// EncodeObjects writes objs in the order given, each as ID, length and
// value. It checks what ParseObjects would: IDs of two digits, values of 1
// to 99 characters with no control characters, no ID twice.
func EncodeObjects(objs []DataObject) (string, error) {
	var b strings.Builder
	var seen [100]bool
	for _, o := range objs {
		if !inRange(o.ID, 0, 99) {
			return "", fail(ErrID, "", "an ID is not two digits")
		}
		if seen[idNum(o.ID)] {
			return "", fail(ErrDuplicate, o.ID, "%s occurs twice", o.ID)
		}
		seen[idNum(o.ID)] = true
		if err := put(&b, o.ID, o.Value, o.ID); err != nil {
			return "", err
		}
	}
	return b.String(), nil
}

// put appends one data object to b after checking its value; path names it
// in errors.
func put(b *strings.Builder, id, v, path string) error {
	if err := checkText(v, -1, path); err != nil {
		return err
	}
	n := utf8.RuneCountInString(v)
	switch {
	case n == 0:
		return fail(ErrLength, path, "%s is empty; values are never empty", path)
	case n > maxValue:
		return fail(ErrLength, path, "%s is %d characters long; at most %d fit", path, n, maxValue)
	}
	b.WriteString(id)
	if n < 10 {
		b.WriteByte('0')
	}
	b.WriteString(strconv.Itoa(n))
	b.WriteString(v)
	return nil
}

// checkText refuses invalid UTF-8 and control characters (C0, DEL, C1):
// a QR payload is printable text. at is s's character offset in the
// payload, or -1 when s is a value being built.
func checkText(s string, at int, path string) error {
	if !utf8.ValidString(s) {
		if at < 0 {
			return fail(ErrEncoding, path, "%s is not valid UTF-8", path)
		}
		return fail(ErrEncoding, path, "the text is not valid UTF-8")
	}
	k := 0
	for _, r := range s {
		if r < 0x20 || (r >= 0x7F && r <= 0x9F) {
			if at < 0 {
				return fail(ErrEncoding, path, "%s holds control character U+%04X", path, r)
			}
			return fail(ErrEncoding, path, "control character U+%04X at character %d", r, at+k)
		}
		k++
	}
	return nil
}

// digits reports whether s is non-empty and all ASCII digits.
func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// idNum is the number of a two-digit ID.
func idNum(id string) int { return int(id[0]-'0')*10 + int(id[1]-'0') }

// inRange reports whether id is two digits from lo to hi.
func inRange(id string, lo, hi int) bool {
	if len(id) != 2 || !digits(id) {
		return false
	}
	n := idNum(id)
	return n >= lo && n <= hi
}
