package verify

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/paykit-go/paykit/pay"
)

// hbPolicy: high risk first, then large CNY amounts, then the headset
// flow; everything else needs one factor.
var hbPolicy = Policy{
	Rules: []Rule{
		{Name: "high-risk", MinRisk: 70, Factors: 2, Required: []Method{MethodLocation}},
		{Name: "large-cny", Currency: "CNY", MinAmount: 5000_00, Factors: 2},
		{Name: "headset", Flow: "vr_headset", Channels: []string{"wechatpay", "alipay"}, Factors: 1, Methods: []Method{MethodPassword, MethodBiometric}},
	},
	Default: Rule{Factors: 1},
}

func hbCNY(amount int64) pay.Money { return pay.Money{Amount: amount, Currency: "CNY"} }

func TestPolicyRequirement(t *testing.T) {
	if err := hbPolicy.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		pm   Payment
		want string
	}{
		{Payment{Amount: hbCNY(10_00)}, "default"},
		{Payment{Amount: hbCNY(10_00), Risk: 69}, "default"},
		{Payment{Amount: hbCNY(10_00), Risk: 70}, "high-risk"},
		{Payment{Amount: hbCNY(10_00), Risk: 500}, "high-risk"}, // clamped to 100
		{Payment{Amount: hbCNY(5000_00)}, "large-cny"},
		{Payment{Amount: hbCNY(4999_99)}, "default"},
		{Payment{Amount: hbCNY(9000_00), Risk: 90}, "high-risk"}, // first match wins
		{Payment{Amount: pay.Money{Amount: 9000_00, Currency: "USD"}}, "default"},
		{Payment{Amount: hbCNY(10_00), Flow: "vr_headset", Channel: "alipay"}, "headset"},
		{Payment{Amount: hbCNY(10_00), Flow: "vr_headset", Channel: "stripe"}, "default"},
		{Payment{Amount: hbCNY(10_00), Flow: "pos", Channel: "alipay"}, "default"},
		{Payment{Amount: hbCNY(9000_00), Flow: "vr_headset", Channel: "alipay"}, "large-cny"},
	} {
		if got := hbPolicy.Requirement(tc.pm).Rule; got != tc.want {
			t.Errorf("%+v: rule %q, want %q", tc.pm, got, tc.want)
		}
	}
	want := Requirement{Rule: "headset", Factors: 1, Methods: []Method{MethodPassword, MethodBiometric}}
	got := hbPolicy.Requirement(Payment{Amount: hbCNY(1), Flow: "vr_headset", Channel: "wechatpay"})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("requirement (-want +got):\n%s", diff)
	}
	got.Methods[0] = MethodSMS // a copy: the policy is unchanged
	if hbPolicy.Rules[2].Methods[0] != MethodPassword {
		t.Fatal("Requirement shares the policy's slice")
	}
}

func TestPolicyValidate(t *testing.T) {
	ok := Rule{Name: "r", Factors: 1}
	for name, p := range map[string]Policy{
		"zero policy":           {},
		"default needs nothing": {Rules: []Rule{ok}},
		"default with criteria": {Default: Rule{Factors: 1, MinRisk: 10}},
		"default with flow":     {Default: Rule{Factors: 1, Flow: "pos"}},
		"unnamed rule":          {Rules: []Rule{{Factors: 1}}, Default: ok},
		"duplicate names":       {Rules: []Rule{ok, ok}, Default: Rule{Factors: 1}},
		"rule named default":    {Rules: []Rule{{Name: "default", Factors: 1}}, Default: Rule{Factors: 1}},
		"bad currency":          {Rules: []Rule{{Name: "r", Currency: "XYZ", Factors: 1}}, Default: ok},
		"lower-case currency":   {Rules: []Rule{{Name: "r", Currency: "cny", Factors: 1}}, Default: ok},
		"amount w/o currency":   {Rules: []Rule{{Name: "r", MinAmount: 100, Factors: 1}}, Default: ok},
		"negative amount":       {Rules: []Rule{{Name: "r", Currency: "CNY", MinAmount: -1, Factors: 1}}, Default: ok},
		"risk 101":              {Rules: []Rule{{Name: "r", MinRisk: 101, Factors: 1}}, Default: ok},
		"4 factors":             {Rules: []Rule{{Name: "r", Factors: 4}}, Default: ok},
		"negative factors":      {Rules: []Rule{{Name: "r", Factors: -1, Required: []Method{MethodLocation}}}, Default: ok},
		"requires nothing":      {Rules: []Rule{{Name: "r", MinRisk: 10}}, Default: ok},
		"method twice":          {Rules: []Rule{{Name: "r", Factors: 1, Methods: []Method{MethodSMS, MethodSMS}}}, Default: ok},
		"required twice":        {Rules: []Rule{{Name: "r", Required: []Method{MethodLocation, MethodLocation}}}, Default: ok},
		"empty method":          {Rules: []Rule{{Name: "r", Factors: 1, Methods: []Method{""}}}, Default: ok},
		"empty channel":         {Rules: []Rule{{Name: "r", Factors: 1, Channels: []string{""}}}, Default: ok},
		"control char in name":  {Rules: []Rule{{Name: "r\n", Factors: 1}}, Default: ok},
		"too many rules":        {Rules: make([]Rule, maxPolicyRules+1), Default: ok},
	} {
		err := p.Validate()
		if !isCode(err, pay.ErrInvalidRequest.Code) {
			t.Errorf("%s: %v, want invalid_request", name, err)
		}
	}
	good := Policy{Rules: []Rule{{Name: "geo", Required: []Method{MethodLocation}}}, Default: Rule{Name: "base", Factors: 1}}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestRequirementSatisfied(t *testing.T) {
	two := Requirement{Rule: "two", Factors: 2}
	for _, tc := range []struct {
		name   string
		req    Requirement
		passed []Method
		msg    string // "" = satisfied
	}{
		{"one factor refused", two, []Method{MethodPassword}, "rule two needs 2 factors from knowledge, possession, inherence; has 1 (knowledge)"},
		{"two of one category refused", two, []Method{MethodPassword, MethodSecurityQuestion}, "has 1 (knowledge)"},
		{"possession twice refused", two, []Method{MethodSMS, MethodDevicePresence, MethodCertificate}, "has 1 (possession)"},
		{"context never counts", two, []Method{MethodPassword, MethodLocation, MethodAttributes}, "has 1 (knowledge)"},
		{"none", two, nil, "needs 2 factors from knowledge, possession, inherence; has 0"},
		{"knowledge + possession", two, []Method{MethodPassword, MethodSMS}, ""},
		{"possession + inherence", two, []Method{MethodDevicePresence, MethodBiometric}, ""},
		{"three for two", two, []Method{MethodPassword, MethodSMS, MethodBiometric}, ""},
		{"unknown method doesn't count", two, []Method{MethodPassword, "retina"}, "has 1 (knowledge)"},
		{"required missing", Requirement{Rule: "geo", Factors: 1, Required: []Method{MethodLocation}}, []Method{MethodPassword}, "rule geo needs location"},
		{"required present", Requirement{Rule: "geo", Factors: 1, Required: []Method{MethodLocation}}, []Method{MethodPassword, MethodLocation}, ""},
		{"both missing", Requirement{Rule: "x", Factors: 2, Required: []Method{MethodLocation, MethodAttributes}}, []Method{MethodSMS, MethodAttributes},
			"rule x needs 2 factors from knowledge, possession, inherence; has 1 (possession); needs location"},
		{"only listed methods count", Requirement{Rule: "h", Factors: 2, Methods: []Method{MethodPassword, MethodBiometric}}, []Method{MethodPassword, MethodSMS},
			"needs 2 factors from knowledge, inherence (password, biometric); has 1 (knowledge)"},
		{"listed methods pass", Requirement{Rule: "h", Factors: 2, Methods: []Method{MethodPassword, MethodBiometric}}, []Method{MethodBiometric, MethodPassword}, ""},
		{"one factor", Requirement{Rule: "one", Factors: 1}, nil, "needs 1 factor from"},
	} {
		err := tc.req.Satisfied(tc.passed, nil)
		if tc.msg == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if pe := hbIs(t, err, ErrInsufficient); !strings.Contains(pe.Message, tc.msg) {
			t.Errorf("%s: message %q, want it to contain %q", tc.name, pe.Message, tc.msg)
		}
	}
	// A custom category map.
	custom := func(m Method) Factor {
		if m == "retina" {
			return FactorInherence
		}
		f, _ := MethodFactor(m)
		return f
	}
	if err := two.Satisfied([]Method{MethodPassword, "retina"}, custom); err != nil {
		t.Fatal(err)
	}
}

func TestMethodFactor(t *testing.T) {
	want := map[Method]Factor{
		MethodPassword: FactorKnowledge, MethodSecurityQuestion: FactorKnowledge,
		MethodSMS: FactorPossession, MethodDevicePresence: FactorPossession, MethodCertificate: FactorPossession, MethodTrustedTerminal: FactorPossession,
		MethodBiometric: FactorInherence, MethodLocation: FactorContext, MethodAttributes: FactorContext,
	}
	for m, f := range want {
		if got, ok := MethodFactor(m); !ok || got != f {
			t.Errorf("MethodFactor(%s) = %s, %v; want %s", m, got, ok, f)
		}
	}
	if _, ok := MethodFactor("retina"); ok {
		t.Error("unknown method has a factor")
	}
}
