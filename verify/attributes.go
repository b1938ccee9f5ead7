package verify

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"

	"github.com/paykit-go/paykit/pay"
)

// Op is an attribute rule's comparison.
type Op string

// Attribute rule operators. Gte and Lte compare decimal numbers (an age,
// a points balance); the others compare strings exactly.
const (
	OpEq  Op = "eq"  // the attribute equals Value
	OpNe  Op = "ne"  // the attribute is present and differs from Value
	OpIn  Op = "in"  // the attribute is one of Values
	OpGte Op = "gte" // the attribute, a number, is >= Value
	OpLte Op = "lte" // the attribute, a number, is <= Value
)

// AttributeRule is one condition on a user attribute, e.g.
// {Attribute: "age", Op: OpGte, Value: "18"} or {Attribute: "membership",
// Op: OpIn, Values: []string{"gold", "platinum"}}. A missing attribute
// fails every rule, ne included.
type AttributeRule struct {
	Attribute string   `json:"attribute"`
	Op        Op       `json:"op"`
	Value     string   `json:"value,omitempty"`
	Values    []string `json:"values,omitempty"`
}

// AttributeSource looks up a user's attributes (age, membership tier,
// region …), e.g. from the account platform.
type AttributeSource interface {
	Attributes(ctx context.Context, userID string) (map[string]string, error)
}

// StaticAttributes is an in-memory AttributeSource: user ID -> attribute
// name -> value. A user it does not hold has no attributes.
type StaticAttributes map[string]map[string]string

// Attributes returns a copy of userID's attributes.
func (s StaticAttributes) Attributes(ctx context.Context, userID string) (map[string]string, error) {
	out := make(map[string]string, len(s[userID]))
	for k, v := range s[userID] {
		out[k] = v
	}
	return out, nil
}

// AttributeVerifier checks that a user's attributes satisfy every one of
// its rules. The proof carries nothing but its method: the attributes come
// from the AttributeSource, not from the client. It is a context rule: a
// policy can require it but it never counts as a factor. A failed rule is
// ErrFailed naming the rule (attribute and condition), never the user's
// value.
type AttributeVerifier struct {
	src   AttributeSource
	rules []AttributeRule
}

// NewAttributeVerifier returns a verifier of rules (at least one) over
// attributes from src. Rule values for gte and lte must be decimal numbers.
func NewAttributeVerifier(src AttributeSource, rules ...AttributeRule) (*AttributeVerifier, error) {
	if src == nil {
		return nil, errors.New("verify: NewAttributeVerifier needs an attribute source")
	}
	if len(rules) == 0 {
		return nil, errors.New("verify: NewAttributeVerifier needs at least one rule")
	}
	for i, r := range rules {
		if err := r.validate(); err != nil {
			return nil, fmt.Errorf("verify: attribute rule %d: %w", i, err)
		}
	}
	rs := make([]AttributeRule, len(rules))
	for i, r := range rules {
		r.Values = slices.Clone(r.Values)
		rs[i] = r
	}
	return &AttributeVerifier{src: src, rules: rs}, nil
}

// Method returns MethodAttributes.
func (v *AttributeVerifier) Method() Method { return MethodAttributes }

// Factor returns FactorContext.
func (v *AttributeVerifier) Factor() Factor { return FactorContext }

// Verify checks every rule against s's attributes.
func (v *AttributeVerifier) Verify(ctx context.Context, s Subject, p Proof) error {
	if err := checkProofMethod(MethodAttributes, p); err != nil {
		return err
	}
	if err := checkSubject(s, false); err != nil {
		return err
	}
	attrs, err := v.src.Attributes(ctx, s.UserID)
	if err != nil {
		var pe *pay.Error
		if errors.As(err, &pe) {
			return pe
		}
		return pay.Errorf(pay.ErrUnavailable, "attributes", "the user's attributes are unavailable").Wrap(err)
	}
	for _, r := range v.rules {
		val, ok := attrs[r.Attribute]
		if !ok {
			return pay.Errorf(ErrFailed, "attributes", "attribute %q is missing; rule %s", r.Attribute, r)
		}
		ok, numeric := r.holds(val)
		if !numeric {
			return pay.Errorf(ErrFailed, "attributes", "attribute %q is not a number; rule %s", r.Attribute, r)
		}
		if !ok && r.Op == OpNe {
			// Naming the value would name the user's value.
			return pay.Errorf(ErrFailed, "attributes", "attribute %q fails its ne rule", r.Attribute)
		}
		if !ok {
			return pay.Errorf(ErrFailed, "attributes", "attribute %q fails rule %s", r.Attribute, r)
		}
	}
	return nil
}

// String writes the rule for messages: "age gte 18",
// "membership in [gold platinum]".
func (r AttributeRule) String() string {
	if r.Op == OpIn {
		return fmt.Sprintf("%s in [%s]", r.Attribute, strings.Join(r.Values, " "))
	}
	return fmt.Sprintf("%s %s %s", r.Attribute, r.Op, r.Value)
}

func (r AttributeRule) validate() error {
	if r.Attribute == "" || len(r.Attribute) > 64 || pay.Clip(r.Attribute, 64) != r.Attribute {
		return errors.New("the attribute name must be 1 to 64 printable bytes")
	}
	switch r.Op {
	case OpEq, OpNe:
		if len(r.Values) > 0 {
			return fmt.Errorf("op %s takes Value, not Values", r.Op)
		}
	case OpIn:
		if len(r.Values) == 0 || r.Value != "" {
			return errors.New("op in takes Values (at least one), not Value")
		}
	case OpGte, OpLte:
		if len(r.Values) > 0 {
			return fmt.Errorf("op %s takes Value, not Values", r.Op)
		}
		if _, ok := parseDecimal(r.Value); !ok {
			return fmt.Errorf("op %s needs a decimal number Value", r.Op)
		}
	default:
		return fmt.Errorf("unknown op %q", pay.Clip(string(r.Op), 16))
	}
	return nil
}

// holds reports whether val satisfies r; numeric is false when a numeric
// rule meets a value that is not a decimal number.
func (r AttributeRule) holds(val string) (ok, numeric bool) {
	switch r.Op {
	case OpEq:
		return val == r.Value, true
	case OpNe:
		return val != r.Value, true
	case OpIn:
		return slices.Contains(r.Values, val), true
	}
	x, okx := parseDecimal(val)
	y, _ := parseDecimal(r.Value)
	if !okx {
		return false, false
	}
	c := x.Cmp(y)
	if r.Op == OpGte {
		return c >= 0, true
	}
	return c <= 0, true
}

// parseDecimal parses a plain decimal number: an optional '-', digits, and
// optionally '.' and digits ("18", "-2.5"); no exponent, no fraction
// syntax, at most 40 characters.
func parseDecimal(s string) (*big.Rat, bool) {
	if s == "" || len(s) > 40 {
		return nil, false
	}
	body := strings.TrimPrefix(s, "-")
	intPart, frac, hasDot := strings.Cut(body, ".")
	if intPart == "" || hasDot && frac == "" || !allDigits(intPart) || !allDigits(frac) {
		return nil, false
	}
	r, ok := new(big.Rat).SetString(s)
	return r, ok
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
