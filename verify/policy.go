package verify

import (
	"fmt"
	"slices"
	"strings"

	"github.com/paykit-go/paykit/pay"
)

// Payment is what a policy looks at to choose a payment's requirement.
type Payment struct {
	Amount pay.Money `json:"amount"`
	// Channel is the payment channel ("wechatpay", "alipay", "card" …).
	Channel string `json:"channel,omitempty"`
	// Risk is the risk engine's score, 0 (none) to 100.
	Risk int `json:"risk"`
	// Flow names the flow confirming the payment ("vr_headset", "pos",
	// "qr_card", "im" …).
	Flow string `json:"flow,omitempty"`
}

// Rule is one line of a policy: which payments it applies to, and what they
// need. A rule matches a payment when every criterion it sets holds (an
// empty Flow, Currency or Channels and a zero MinAmount or MinRisk match
// anything).
type Rule struct {
	Name string `json:"name"`
	// Flow, when set, is the flow the payment must be confirmed by.
	Flow string `json:"flow,omitempty"`
	// Currency, when set, is the payment's currency. MinAmount needs it:
	// amounts in different currencies don't compare.
	Currency string `json:"currency,omitempty"`
	// MinAmount is the smallest amount (minor units of Currency) matched.
	MinAmount int64 `json:"min_amount,omitempty"`
	// Channels, when set, are the channels matched.
	Channels []string `json:"channels,omitempty"`
	// MinRisk is the smallest risk score matched.
	MinRisk int `json:"min_risk,omitempty"`

	// Factors is how many distinct categories among knowledge, possession
	// and inherence the passed methods must cover (0 to 3).
	Factors int `json:"factors"`
	// Methods are the methods that count toward Factors; empty means any.
	Methods []Method `json:"methods,omitempty"`
	// Required are methods that must pass whatever the count (a location
	// or attribute rule, the trusted terminal).
	Required []Method `json:"required,omitempty"`
}

// Policy chooses a payment's Requirement. Rules are checked in order and
// the first that matches applies, so list stricter rules first (a 5,000 CNY
// rule before a 500 CNY one); the Default (which has no criteria) applies
// when none matches. Every rule, the Default too, must require something:
// at least one factor or one required method.
type Policy struct {
	Rules   []Rule `json:"rules"`
	Default Rule   `json:"default"`
}

// DefaultRuleName names the default rule when it has no name of its own.
const DefaultRuleName = "default"

// maxPolicyRules bounds a policy.
const maxPolicyRules = 256

// Validate checks the policy's shape: names present and unique, criteria
// in range (a known currency, amounts and risk not negative, MinAmount only
// with a Currency), 0 to 3 factors, no empty or repeated methods, every rule
// requiring something, and a Default without criteria. Whether verifiers
// exist for the methods is NewEngine's check.
func (p Policy) Validate() error {
	if len(p.Rules) > maxPolicyRules {
		return pay.Errorf(pay.ErrInvalidRequest, "rules", "a policy has at most %d rules", maxPolicyRules)
	}
	names := map[string]bool{}
	for i, r := range p.Rules {
		if r.Name == "" {
			return pay.Errorf(pay.ErrInvalidRequest, "rules", "rule %d has no name", i)
		}
		if err := r.validate(names); err != nil {
			return err
		}
	}
	d := p.defaultRule()
	if d.Flow != "" || d.Currency != "" || d.MinAmount != 0 || len(d.Channels) > 0 || d.MinRisk != 0 {
		return pay.Errorf(pay.ErrInvalidRequest, "default", "the default rule applies to every other payment; it takes no criteria")
	}
	return d.validate(names)
}

func (p Policy) defaultRule() Rule {
	d := p.Default
	if d.Name == "" {
		d.Name = DefaultRuleName
	}
	return d
}

func (r Rule) validate(names map[string]bool) error {
	bad := func(format string, args ...any) error {
		return pay.Errorf(pay.ErrInvalidRequest, "rules", "rule %q: %s", pay.Clip(r.Name, 64), fmt.Sprintf(format, args...))
	}
	if len(r.Name) > 64 || pay.Clip(r.Name, 64) != r.Name {
		return bad("the name must be at most 64 printable bytes")
	}
	if names[r.Name] {
		return bad("the name is used twice")
	}
	names[r.Name] = true
	if r.Currency != "" {
		if _, err := pay.CurrencyExponent(r.Currency); err != nil {
			return bad("unknown currency")
		}
	}
	switch {
	case r.MinAmount < 0:
		return bad("min_amount is negative")
	case r.MinAmount > 0 && r.Currency == "":
		return bad("min_amount needs a currency")
	case r.MinRisk < 0 || r.MinRisk > 100:
		return bad("min_risk must be 0 to 100")
	case r.Factors < 0 || r.Factors > 3:
		return bad("factors must be 0 to 3")
	case r.Factors == 0 && len(r.Required) == 0:
		return bad("it requires nothing; ask for at least one factor or required method")
	case slices.Contains(r.Channels, ""):
		return bad("an empty channel")
	}
	for _, ms := range [][]Method{r.Methods, r.Required} {
		seen := map[Method]bool{}
		for _, m := range ms {
			if m == "" || len(m) > 64 {
				return bad("a method name must be 1 to 64 bytes")
			}
			if seen[m] {
				return bad("method %s is listed twice", pay.Clip(string(m), 64))
			}
			seen[m] = true
		}
	}
	return nil
}

// matches reports whether r's criteria hold for pm.
func (r Rule) matches(pm Payment) bool {
	switch {
	case r.Flow != "" && r.Flow != pm.Flow,
		r.Currency != "" && r.Currency != pm.Amount.Currency,
		r.MinAmount > 0 && pm.Amount.Amount < r.MinAmount,
		len(r.Channels) > 0 && !slices.Contains(r.Channels, pm.Channel),
		r.MinRisk > 0 && min(max(pm.Risk, 0), 100) < r.MinRisk:
		return false
	}
	return true
}

// Requirement returns the requirement of the first rule matching pm, or of
// the Default. A Risk outside 0..100 is clamped.
func (p Policy) Requirement(pm Payment) Requirement {
	for _, r := range p.Rules {
		if r.matches(pm) {
			return r.requirement()
		}
	}
	return p.defaultRule().requirement()
}

func (r Rule) requirement() Requirement {
	return Requirement{Rule: r.Name, Factors: r.Factors, Methods: slices.Clone(r.Methods), Required: slices.Clone(r.Required)}
}

// Requirement is what one payment needs: Factors distinct categories among
// knowledge, possession and inherence, counted over passed methods in
// Methods (any method when empty), and every method in Required.
type Requirement struct {
	// Rule names the policy rule the requirement comes from.
	Rule     string   `json:"rule"`
	Factors  int      `json:"factors"`
	Methods  []Method `json:"methods,omitempty"`
	Required []Method `json:"required,omitempty"`
}

// countingFactors are the categories that count toward a factor total, in
// the order messages list them.
var countingFactors = [...]Factor{FactorKnowledge, FactorPossession, FactorInherence}

// Satisfied returns nil when passed (the methods whose proofs passed)
// meets r, and otherwise ErrInsufficient saying what is missing: "needs 2
// factors from knowledge, possession, inherence; has 1 (knowledge)",
// "needs location". factorOf gives a method's category (MethodFactor when
// nil). Context methods never count, and two methods of one category count
// once.
func (r Requirement) Satisfied(passed []Method, factorOf func(Method) Factor) error {
	if factorOf == nil {
		factorOf = func(m Method) Factor { f, _ := MethodFactor(m); return f }
	}
	have := map[Factor]bool{}
	for _, m := range passed {
		if len(r.Methods) == 0 || slices.Contains(r.Methods, m) {
			have[factorOf(m)] = true
		}
	}
	var has []string
	for _, f := range countingFactors {
		if have[f] {
			has = append(has, string(f))
		}
	}
	var missing []string
	if len(has) < r.Factors {
		msg := fmt.Sprintf("needs %d %s from %s", r.Factors, plural(r.Factors, "factor"), r.factorSource(factorOf))
		if len(has) == 0 {
			msg += "; has 0"
		} else {
			msg += fmt.Sprintf("; has %d (%s)", len(has), strings.Join(has, ", "))
		}
		missing = append(missing, msg)
	}
	var need []string
	for _, m := range r.Required {
		if !slices.Contains(passed, m) {
			need = append(need, pay.Clip(string(m), 64))
		}
	}
	if len(need) > 0 {
		missing = append(missing, "needs "+strings.Join(need, ", "))
	}
	if len(missing) == 0 {
		return nil
	}
	return pay.Errorf(ErrInsufficient, "proofs", "rule %s %s", pay.Clip(r.Rule, 64), strings.Join(missing, "; "))
}

// factorSource lists the categories r's methods can give, followed by the
// methods when they are restricted: "knowledge, possession, inherence" or
// "knowledge, possession (password, sms_otp)".
func (r Requirement) factorSource(factorOf func(Method) Factor) string {
	if len(r.Methods) == 0 {
		return "knowledge, possession, inherence"
	}
	can := map[Factor]bool{}
	ms := make([]string, len(r.Methods))
	for i, m := range r.Methods {
		can[factorOf(m)] = true
		ms[i] = pay.Clip(string(m), 64)
	}
	var cats []string
	for _, f := range countingFactors {
		if can[f] {
			cats = append(cats, string(f))
		}
	}
	if len(cats) == 0 {
		cats = []string{"no factor"}
	}
	return strings.Join(cats, ", ") + " (" + strings.Join(ms, ", ") + ")"
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// MethodFactor returns the factor category of a built-in method: password
// and security_question are knowledge; sms_otp, device_presence,
// certificate and trusted_terminal possession; biometric inherence;
// location and attributes context.
func MethodFactor(m Method) (Factor, bool) {
	switch m {
	case MethodPassword, MethodSecurityQuestion:
		return FactorKnowledge, true
	case MethodSMS, MethodDevicePresence, MethodCertificate, MethodTrustedTerminal:
		return FactorPossession, true
	case MethodBiometric:
		return FactorInherence, true
	case MethodLocation, MethodAttributes:
		return FactorContext, true
	}
	return "", false
}
