package qr

import (
	"fmt"
	"math"

	"github.com/paykit-go/paykit/pay"
)

// RuleInput is what an adjustment rule sees of a deduction: the card, the
// merchant, the holder attributes the POS presents (e.g. "tier": "gold"),
// and where the payment happens.
type RuleInput struct {
	Card       Card
	MerchantID string
	Attributes map[string]string
	Location   string
}

// Rule adjusts the amount of a deduction before it is made (a member
// discount, a regional price). Rules run in the order they were given; each
// sees the amount the previous one left. Adjust returns the new amount and
// whether the rule applied; an applied rule is reported in the receipt as an
// Adjustment. The result must stay a positive amount in the same currency.
type Rule interface {
	// Name identifies the rule in receipts, e.g. "member_discount:gold".
	Name() string
	// Adjust returns the amount after the rule and whether it applied.
	Adjust(in RuleInput, amount pay.Money) (pay.Money, bool, error)
}

// Adjustment reports one rule that changed a deduction's amount.
type Adjustment struct {
	Rule   string    `json:"rule"`
	Before pay.Money `json:"before"`
	After  pay.Money `json:"after"`
}

// maxRuleAmount keeps amount × basis points inside int64.
const maxRuleAmount = math.MaxInt64 / 100_000

// scale returns amount × bps / 10000, rounded half up, in minor units.
func scale(amount int64, bps int64) (int64, error) {
	if amount < 0 || amount > maxRuleAmount {
		return 0, pay.Errorf(pay.ErrInvalidRequest, "amount", "amount is out of range for adjustment rules")
	}
	return (amount*bps + 5_000) / 10_000, nil
}

// MemberDiscount takes BasisPoints off the amount (1000 = 10% off) when
// the holder attribute Attribute presented at the POS equals Value.
type MemberDiscount struct {
	Attribute   string // e.g. "tier"
	Value       string // e.g. "gold"
	BasisPoints int64  // 1..9999: the share taken off, in 1/100 of a percent
}

// Name implements Rule.
func (r MemberDiscount) Name() string { return "member_discount:" + r.Attribute + "=" + r.Value }

func (r MemberDiscount) validate() error {
	if r.Attribute == "" || r.Value == "" {
		return fmt.Errorf("qr: member discount needs an attribute and a value")
	}
	if r.BasisPoints < 1 || r.BasisPoints > 9_999 {
		return fmt.Errorf("qr: member discount basis points must be 1 to 9999")
	}
	return nil
}

// Adjust implements Rule.
func (r MemberDiscount) Adjust(in RuleInput, amount pay.Money) (pay.Money, bool, error) {
	if in.Attributes[r.Attribute] != r.Value {
		return amount, false, nil
	}
	off, err := scale(amount.Amount, r.BasisPoints)
	if err != nil {
		return amount, false, err
	}
	if off == 0 {
		return amount, false, nil
	}
	amount.Amount -= off
	return amount, true, nil
}

// RegionalPrice sets the price at Location to Factor basis points of the
// list price (12000 = 20% more at an airport, 9000 = 10% less in a
// suburb).
type RegionalPrice struct {
	Location string
	Factor   int64 // 1..100000 basis points of the list price; 10000 is unchanged
}

// Name implements Rule.
func (r RegionalPrice) Name() string { return "regional_price:" + r.Location }

func (r RegionalPrice) validate() error {
	if r.Location == "" {
		return fmt.Errorf("qr: regional price needs a location")
	}
	if r.Factor < 1 || r.Factor > 100_000 {
		return fmt.Errorf("qr: regional price factor must be 1 to 100000 basis points")
	}
	return nil
}

// Adjust implements Rule.
func (r RegionalPrice) Adjust(in RuleInput, amount pay.Money) (pay.Money, bool, error) {
	if in.Location != r.Location || r.Factor == 10_000 {
		return amount, false, nil
	}
	v, err := scale(amount.Amount, r.Factor)
	if err != nil {
		return amount, false, err
	}
	if v == amount.Amount {
		return amount, false, nil
	}
	amount.Amount = v
	return amount, true, nil
}

// applyRules runs rules over amount and reports each one that applied.
func applyRules(rules []Rule, in RuleInput, amount pay.Money) (pay.Money, []Adjustment, error) {
	var adj []Adjustment
	for _, r := range rules {
		after, ok, err := r.Adjust(in, amount)
		if err != nil {
			return pay.Money{}, nil, err
		}
		if !ok {
			continue
		}
		if after.Currency != amount.Currency || after.Amount <= 0 {
			return pay.Money{}, nil, pay.Errorf(pay.ErrInvalidRequest, "amount", "rule %s left no positive amount", r.Name())
		}
		adj = append(adj, Adjustment{Rule: r.Name(), Before: amount, After: after})
		amount = after
	}
	return amount, adj, nil
}
