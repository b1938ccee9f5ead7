package verify

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/paykit-go/paykit/pay"
)

// maxProofs bounds the proofs one payment may present.
const maxProofs = 16

// Engine holds a Policy and one Verifier per method: it checks proofs,
// chooses each payment's Requirement, and tells a flow whether a payment's
// proofs meet it. It is immutable after NewEngine and safe for concurrent
// use (the verifiers keep their own state).
type Engine struct {
	policy    Policy
	verifiers map[Method]Verifier
	factors   map[Method]Factor // every known method: verifiers' and external ones
	external  map[Method]bool
}

// Result is what a flow records with a payment: the policy rule that
// applied and the methods whose proofs passed, in the order given.
type Result struct {
	Rule    string   `json:"rule"`
	Methods []Method `json:"methods"`
}

// EngineOption configures an Engine in NewEngine.
type EngineOption func(*engineConfig) error

type engineConfig struct {
	external map[Method]Factor
}

// ExternalMethods names methods the caller verifies itself, such as
// trusted_terminal (vrauth checks the approval on the user's phone): the
// policy may name them without an Engine verifier, and the caller passes
// them to Satisfied once verified. Each must be a built-in method
// (MethodFactor gives its category) without a verifier in the engine.
func ExternalMethods(ms ...Method) EngineOption {
	return func(c *engineConfig) error {
		for _, m := range ms {
			f, ok := MethodFactor(m)
			if !ok {
				return fmt.Errorf("verify: external method %q is not a built-in method", pay.Clip(string(m), 64))
			}
			c.external[m] = f
		}
		return nil
	}
}

// NewEngine returns an engine for policy p over verifiers vs. It refuses a
// policy that fails Validate, a nil verifier, two verifiers for one
// method, an external method that also has a verifier, a policy naming a
// method with neither, and a rule asking for more factors than its
// methods can give.
func NewEngine(p Policy, vs []Verifier, opts ...EngineOption) (*Engine, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	cfg := engineConfig{external: map[Method]Factor{}}
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	e := &Engine{verifiers: map[Method]Verifier{}, factors: map[Method]Factor{}, external: map[Method]bool{}}
	for _, v := range vs {
		if v == nil {
			return nil, errors.New("verify: nil verifier")
		}
		m := v.Method()
		if _, dup := e.verifiers[m]; dup {
			return nil, fmt.Errorf("verify: two verifiers for method %s", m)
		}
		e.verifiers[m] = v
		e.factors[m] = v.Factor()
	}
	for m, f := range cfg.external {
		if _, ok := e.verifiers[m]; ok {
			return nil, fmt.Errorf("verify: method %s has a verifier and is also external", m)
		}
		e.external[m] = true
		e.factors[m] = f
	}
	rules := append(slices.Clone(p.Rules), p.defaultRule())
	for _, r := range rules {
		for _, m := range slices.Concat(r.Methods, r.Required) {
			if _, ok := e.factors[m]; !ok {
				return nil, fmt.Errorf("verify: rule %q names method %s, which has no verifier and is not external", r.Name, pay.Clip(string(m), 64))
			}
		}
		if can := e.countingFactors(r.Methods); can < r.Factors {
			return nil, fmt.Errorf("verify: rule %q needs %d factors but its methods give %d", r.Name, r.Factors, can)
		}
	}
	e.policy = Policy{Rules: rules[:len(rules)-1], Default: rules[len(rules)-1]}
	return e, nil
}

// countingFactors is how many distinct counting categories ms (all known
// methods when empty) can give.
func (e *Engine) countingFactors(ms []Method) int {
	can := map[Factor]bool{}
	for m, f := range e.factors {
		if len(ms) == 0 || slices.Contains(ms, m) {
			can[f] = true
		}
	}
	n := 0
	for _, f := range countingFactors {
		if can[f] {
			n++
		}
	}
	return n
}

// factorOf is the engine's method categories, for Requirement.Satisfied.
func (e *Engine) factorOf(m Method) Factor { return e.factors[m] }

// Requirement returns what pm needs under the engine's policy.
func (e *Engine) Requirement(pm Payment) Requirement { return e.policy.Requirement(pm) }

// Verifier returns the verifier for m, if the engine has one.
func (e *Engine) Verifier(m Method) (Verifier, bool) {
	v, ok := e.verifiers[m]
	return v, ok
}

// Challenge issues a challenge for s from the verifier of m. ErrUnsupported
// when there is none or its proofs answer no server challenge.
func (e *Engine) Challenge(ctx context.Context, s Subject, m Method) (Challenge, error) {
	v, ok := e.verifiers[m]
	if !ok {
		return Challenge{}, unsupported(m, e.external[m])
	}
	c, ok := v.(Challenger)
	if !ok {
		return Challenge{}, pay.Errorf(ErrUnsupported, "method", "%s proofs answer no server challenge", m)
	}
	return c.Challenge(ctx, s)
}

// Check routes p to its method's verifier. ErrUnsupported when the engine
// has none (external methods included: their caller verifies them).
func (e *Engine) Check(ctx context.Context, s Subject, p Proof) error {
	v, ok := e.verifiers[p.Method]
	if !ok {
		return unsupported(p.Method, e.external[p.Method])
	}
	if err := ctx.Err(); err != nil {
		return pay.Errorf(pay.ErrUnavailable, "", "the verification was cancelled").Wrap(err)
	}
	return v.Verify(ctx, s, p)
}

// Verify checks a payment's proofs and its requirement, and returns the
// Result to record with the payment. Before any proof is checked it
// refuses a malformed payment, more than 16 proofs or two proofs for one
// method (pay.ErrInvalidRequest), an unknown method (ErrUnsupported), and a
// set of methods that could not meet the requirement even if every proof
// passed (ErrInsufficient): such refusals consume no code or challenge and
// count no attempt. Then the proofs are checked in order and the first
// failure is returned (later proofs stay unchecked and unconsumed). The
// Result's Rule is set on every return.
func (e *Engine) Verify(ctx context.Context, s Subject, pm Payment, proofs []Proof) (Result, error) {
	if err := checkPayment(pm); err != nil {
		return Result{}, err
	}
	req := e.Requirement(pm)
	res := Result{Rule: req.Rule}
	if len(proofs) > maxProofs {
		return res, pay.Errorf(pay.ErrInvalidRequest, "proofs", "at most %d proofs", maxProofs)
	}
	claimed := make([]Method, 0, len(proofs))
	for _, p := range proofs {
		if _, ok := e.verifiers[p.Method]; !ok {
			return res, unsupported(p.Method, e.external[p.Method])
		}
		if slices.Contains(claimed, p.Method) {
			return res, pay.Errorf(pay.ErrInvalidRequest, "proofs", "two %s proofs", p.Method)
		}
		claimed = append(claimed, p.Method)
	}
	if err := req.Satisfied(claimed, e.factorOf); err != nil {
		return res, err
	}
	passed := make([]Method, 0, len(proofs))
	for _, p := range proofs {
		if err := e.Check(ctx, s, p); err != nil {
			return res, err
		}
		passed = append(passed, p.Method)
	}
	if err := req.Satisfied(passed, e.factorOf); err != nil {
		return res, err
	}
	res.Methods = passed
	return res, nil
}

// Satisfied reports whether passed (methods verified by the engine or, for
// external methods, by the caller) meet pm's requirement: nil, or
// ErrInsufficient saying what is missing.
func (e *Engine) Satisfied(pm Payment, passed []Method) error {
	if err := checkPayment(pm); err != nil {
		return err
	}
	return e.Requirement(pm).Satisfied(passed, e.factorOf)
}

// checkPayment refuses a payment a policy cannot judge.
func checkPayment(pm Payment) error {
	if _, err := pay.CurrencyExponent(pm.Amount.Currency); err != nil {
		return err
	}
	switch {
	case pm.Amount.Amount < 0:
		return pay.Errorf(pay.ErrInvalidRequest, "amount", "the amount is negative")
	case pm.Risk < 0 || pm.Risk > 100:
		return pay.Errorf(pay.ErrInvalidRequest, "risk", "risk must be 0 to 100")
	}
	return nil
}

func unsupported(m Method, external bool) error {
	if external {
		return pay.Errorf(ErrUnsupported, "method", "%s is verified by its flow, not by the engine", m)
	}
	return pay.Errorf(ErrUnsupported, "method", "no verifier for method %q", pay.Clip(string(m), 64))
}
