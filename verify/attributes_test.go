package verify

import (
	"context"
	"errors"
	"testing"

	"github.com/paykit-go/paykit/pay"
)

var hbPeople = StaticAttributes{
	"alice": {"age": "20", "membership": "gold", "country": "CN", "points": "1500.5"},
	"bob":   {"age": "17", "membership": "silver", "country": "KP", "points": "9"},
	"carol": {"membership": "platinum", "age": "eighteen"},
}

func TestAttributeRules(t *testing.T) {
	ctx := context.Background()
	adult := AttributeRule{Attribute: "age", Op: OpGte, Value: "18"}
	member := AttributeRule{Attribute: "membership", Op: OpIn, Values: []string{"gold", "platinum"}}
	v, err := NewAttributeVerifier(hbPeople, adult, member)
	if err != nil {
		t.Fatal(err)
	}
	if v.Method() != MethodAttributes || v.Factor() != FactorContext {
		t.Fatal("method or factor")
	}
	check := func(v *AttributeVerifier, user string) error {
		return v.Verify(ctx, Subject{UserID: user}, Proof{Method: MethodAttributes})
	}
	if err := check(v, "alice"); err != nil {
		t.Fatal(err)
	}
	err = check(v, "bob")
	hbIsMsg(t, err, ErrFailed, `attribute "age" fails rule age gte 18`)
	hbNoLeak(t, err, "17")
	err = check(v, "carol")
	hbIsMsg(t, err, ErrFailed, `attribute "age" is not a number`)
	hbNoLeak(t, err, "eighteen")
	hbIsMsg(t, check(v, "dave"), ErrFailed, `attribute "age" is missing`)

	for _, tc := range []struct {
		rule AttributeRule
		user string
		ok   bool
	}{
		{AttributeRule{Attribute: "membership", Op: OpEq, Value: "gold"}, "alice", true},
		{AttributeRule{Attribute: "membership", Op: OpEq, Value: "gold"}, "bob", false},
		{AttributeRule{Attribute: "country", Op: OpNe, Value: "KP"}, "alice", true},
		{AttributeRule{Attribute: "country", Op: OpNe, Value: "KP"}, "bob", false},
		{AttributeRule{Attribute: "country", Op: OpNe, Value: "KP"}, "carol", false}, // missing fails ne too
		{AttributeRule{Attribute: "age", Op: OpLte, Value: "17"}, "bob", true},
		{AttributeRule{Attribute: "age", Op: OpLte, Value: "17"}, "alice", false},
		{AttributeRule{Attribute: "points", Op: OpGte, Value: "10"}, "bob", false}, // numeric: 9 < 10 (text would say "9" > "10")
		{AttributeRule{Attribute: "points", Op: OpGte, Value: "1500.5"}, "alice", true},
		{AttributeRule{Attribute: "points", Op: OpGte, Value: "1500.50001"}, "alice", false},
		{AttributeRule{Attribute: "points", Op: OpGte, Value: "-3"}, "bob", true},
	} {
		v, err := NewAttributeVerifier(hbPeople, tc.rule)
		if err != nil {
			t.Fatal(err)
		}
		err = check(v, tc.user)
		if (err == nil) != tc.ok {
			t.Errorf("%s for %s: %v, want ok=%v", tc.rule, tc.user, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrFailed) {
			t.Errorf("%s: %v is not ErrFailed", tc.rule, err)
		}
	}
	// A failed ne rule would name the user's value if it named the rule's.
	nv, _ := NewAttributeVerifier(hbPeople, AttributeRule{Attribute: "country", Op: OpNe, Value: "KP"})
	err = check(nv, "bob")
	hbIsMsg(t, err, ErrFailed, "fails its ne rule")
	hbNoLeak(t, err, "KP")
}

type hbAttrSource struct{ err error }

func (s hbAttrSource) Attributes(context.Context, string) (map[string]string, error) {
	return nil, s.err
}

func TestAttributeSourceErrorsAndValidation(t *testing.T) {
	ctx := context.Background()
	rule := AttributeRule{Attribute: "age", Op: OpGte, Value: "18"}
	down := errors.New("db down")
	v, _ := NewAttributeVerifier(hbAttrSource{down}, rule)
	err := v.Verify(ctx, hbAlice, Proof{Method: MethodAttributes})
	hbIs(t, err, pay.ErrUnavailable)
	if !errors.Is(err, down) {
		t.Fatal("cause lost")
	}
	v, _ = NewAttributeVerifier(hbAttrSource{pay.ErrForbidden}, rule)
	hbIs(t, v.Verify(ctx, hbAlice, Proof{Method: MethodAttributes}), pay.ErrForbidden)
	hbIs(t, v.Verify(ctx, Subject{}, Proof{Method: MethodAttributes}), pay.ErrInvalidRequest)

	for name, r := range map[string]AttributeRule{
		"no attribute":     {Op: OpEq, Value: "x"},
		"control char":     {Attribute: "a\nb", Op: OpEq, Value: "x"},
		"unknown op":       {Attribute: "age", Op: "gt", Value: "1"},
		"gte not a number": {Attribute: "age", Op: OpGte, Value: "18y"},
		"gte exponent":     {Attribute: "age", Op: OpGte, Value: "1e3"},
		"lte fraction":     {Attribute: "age", Op: OpLte, Value: "1/2"},
		"lte dot only":     {Attribute: "age", Op: OpLte, Value: "1."},
		"in without list":  {Attribute: "tier", Op: OpIn},
		"in with value":    {Attribute: "tier", Op: OpIn, Value: "x", Values: []string{"y"}},
		"eq with values":   {Attribute: "tier", Op: OpEq, Values: []string{"y"}},
	} {
		if _, err := NewAttributeVerifier(hbPeople, r); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := NewAttributeVerifier(hbPeople); err == nil {
		t.Error("no rules accepted")
	}
	if _, err := NewAttributeVerifier(nil, rule); err == nil {
		t.Error("nil source accepted")
	}
	// The verifier keeps its own copy of Values.
	vals := []string{"gold"}
	v, _ = NewAttributeVerifier(hbPeople, AttributeRule{Attribute: "membership", Op: OpIn, Values: vals})
	vals[0] = "silver"
	if err := v.Verify(ctx, Subject{UserID: "alice"}, Proof{Method: MethodAttributes}); err != nil {
		t.Fatalf("rule changed through the caller's slice: %v", err)
	}
}
