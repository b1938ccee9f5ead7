package emv

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// Build writes p as a payload ready to render as a QR code: 00 first, then
// 01, 02–61, 62, 64–99 in ascending ID order (sub-objects too), then 63
// with the CRC over everything before it, in upper-case hex. A payload in
// that order, with an upper-case CRC, is canonical: Build(Parse(s)) == s for
// it, and for any other payload Parse accepts, Build(Parse(s)) parses to the
// same fields.
//
// Build refuses (and writes nothing for) what Parse would refuse: a value
// without its format (ErrValue), an empty value or one longer than 99
// characters (ErrLength), an ID outside its range (ErrID), an ID twice
// (ErrDuplicate), a template without a GUI (ErrIncomplete), a control
// character (ErrEncoding), or a payload longer than MaxLen (ErrTooLong). So
// what Build writes, Parse reads. It does not insist on the data objects the
// specification makes mandatory, since Parse doesn't either; call Complete
// for that.
func (p Payload) Build() (string, error) {
	var b strings.Builder
	b.WriteString(header)
	prims := p.primitives()
	if err := putPrimitive(&b, primitiveIDs[0], *prims[0]); err != nil {
		return "", err
	}
	if err := putPrimitives(&b, p.SchemeAccounts, 2, 25, "a card scheme account"); err != nil {
		return "", err
	}
	if err := putTemplates(&b, p.MerchantAccounts, 26, 51, "a merchant account template"); err != nil {
		return "", err
	}
	for i, id := range primitiveIDs[1:] {
		if err := putPrimitive(&b, id, *prims[i+1]); err != nil {
			return "", err
		}
	}
	if !p.AdditionalData.IsZero() {
		if err := p.AdditionalData.put(&b); err != nil {
			return "", err
		}
	}
	if !p.Language.IsZero() {
		if err := p.Language.put(&b); err != nil {
			return "", err
		}
	}
	if err := putPrimitives(&b, p.RFU, 65, 79, "an RFU data object"); err != nil {
		return "", err
	}
	if err := putTemplates(&b, p.Unreserved, 80, 99, "an unreserved template"); err != nil {
		return "", err
	}
	b.WriteString("6304")
	s := b.String()
	if n := utf8.RuneCountInString(s) + 4; n > MaxLen {
		return "", fail(ErrTooLong, "", "the payload would be %d characters long; at most %d are allowed", n, MaxLen)
	}
	return s + crcOf(s), nil
}

// putPrimitive writes a top-level primitive with a named field, if set.
func putPrimitive(b *strings.Builder, id, v string) error {
	if v == "" {
		return nil
	}
	if err := checkFormat(id, v); err != nil {
		return err
	}
	return put(b, id, v, id)
}

// putPrimitives writes objs, whose IDs must lie in lo–hi, in ID order.
func putPrimitives(b *strings.Builder, objs []DataObject, lo, hi int, what string) error {
	objs, err := sortByID(objs, func(o DataObject) string { return o.ID }, "")
	if err != nil {
		return err
	}
	for _, o := range objs {
		if !inRange(o.ID, lo, hi) {
			return fail(ErrID, idParam(o.ID), "%s has an ID outside %02d–%02d", what, lo, hi)
		}
		if err := put(b, o.ID, o.Value, o.ID); err != nil {
			return err
		}
	}
	return nil
}

// putTemplates writes ts, whose IDs must lie in lo–hi, in ID order, each
// with its GUI first and its fields in ID order.
func putTemplates(b *strings.Builder, ts []Template, lo, hi int, what string) error {
	ts, err := sortByID(ts, func(t Template) string { return t.ID }, "")
	if err != nil {
		return err
	}
	for _, t := range ts {
		if !inRange(t.ID, lo, hi) {
			return fail(ErrID, idParam(t.ID), "%s has an ID outside %02d–%02d", what, lo, hi)
		}
		if t.GUI == "" {
			p := join(t.ID, "00")
			return fail(ErrIncomplete, p, "template %s has no globally unique identifier (%s)", t.ID, p)
		}
		objs := append([]DataObject{{ID: "00", Value: t.GUI}}, t.Fields...)
		if err := putTemplate(b, t.ID, objs); err != nil {
			return err
		}
	}
	return nil
}

// putTemplate writes template id holding objs in ID order. The caller has
// checked that each ID belongs in the template; putTemplate checks that it
// is two digits and occurs once.
func putTemplate(b *strings.Builder, id string, objs []DataObject) error {
	objs, err := sortByID(objs, func(o DataObject) string { return o.ID }, id)
	if err != nil {
		return err
	}
	var in strings.Builder
	for _, o := range objs {
		if !inRange(o.ID, 0, 99) {
			return fail(ErrID, id, "a sub-object of %s has an ID that is not two digits", id)
		}
		p := join(id, o.ID)
		if err := checkFormat(p, o.Value); err != nil {
			return err
		}
		if err := put(&in, o.ID, o.Value, p); err != nil {
			return err
		}
	}
	return put(b, id, in.String(), id)
}

// put writes the additional data field template.
func (a AdditionalData) put(b *strings.Builder) error {
	var objs []DataObject
	for _, o := range a.Other {
		if inRange(o.ID, 1, len(additionalIDs)) {
			p := join("62", o.ID)
			return fail(ErrID, p, "%s has its own field in AdditionalData; Other holds 00 and 12–99", p)
		}
		objs = append(objs, o)
	}
	for i, f := range a.fields() {
		if *f != "" {
			objs = append(objs, DataObject{ID: additionalIDs[i], Value: *f})
		}
	}
	return putTemplate(b, "62", objs)
}

// put writes the merchant information language template.
func (l Language) put(b *strings.Builder) error {
	var objs []DataObject
	for _, o := range l.Other {
		if inRange(o.ID, 0, 2) {
			p := join("64", o.ID)
			return fail(ErrID, p, "%s has its own field in Language; Other holds 03–99", p)
		}
		objs = append(objs, o)
	}
	for _, o := range [...]DataObject{{"00", l.Preference}, {"01", l.MerchantName}, {"02", l.MerchantCity}} {
		if o.Value != "" {
			objs = append(objs, o)
		}
	}
	return putTemplate(b, "64", objs)
}

// sortByID returns a copy of xs in ID order, refusing an ID twice; path
// names the enclosing template.
func sortByID[T any](xs []T, id func(T) string, path string) ([]T, error) {
	out := slices.Clone(xs)
	slices.SortStableFunc(out, func(a, b T) int { return strings.Compare(id(a), id(b)) })
	for i := 1; i < len(out); i++ {
		if id(out[i]) == id(out[i-1]) {
			p := join(path, idParam(id(out[i])))
			return nil, fail(ErrDuplicate, p, "%s occurs twice", p)
		}
	}
	return out, nil
}

// idParam is id if it is a well-formed ID, else "?": a caller's malformed
// ID is not repeated in errors.
func idParam(id string) string {
	if inRange(id, 0, 99) {
		return id
	}
	return "?"
}
