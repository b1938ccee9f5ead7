package token

import (
	"context"
	"errors"
	"math"

	"github.com/paykit-go/paykit/pay"
)

// UseRequest presents a token for one payment (or, with Kind credit, one
// top-up).
type UseRequest struct {
	Token      string    `json:"token"`
	Kind       UseKind   `json:"kind,omitempty"` // default debit
	Amount     pay.Money `json:"amount"`
	MerchantID string    `json:"merchant_id,omitempty"` // required for a debit
	Channel    string    `json:"channel,omitempty"`
	TerminalID string    `json:"terminal_id,omitempty"`
	DeviceID   string    `json:"device_id,omitempty"`
	Mode       Mode      `json:"mode"`
	// Cryptogram is the device's cryptogram for this use (ParseCryptogram's
	// wire form); tokens with RequireCryptogram refuse uses without one.
	Cryptogram string `json:"cryptogram,omitempty"`
}

// UseResult is an approved use. Account is the account number behind the
// token, filled only for callers allowed to detokenize.
type UseResult struct {
	Use         Use         `json:"use"`
	AccountType AccountType `json:"account_type,omitempty"`
	Account     string      `json:"account,omitempty"`
}

func (r *UseRequest) validate() error {
	if _, err := ParseToken(r.Token); err != nil {
		return pay.Errorf(pay.ErrInvalidRequest, "token", "%s", err.Error())
	}
	switch r.Kind {
	case "":
		r.Kind = UseDebit
	case UseDebit, UseCredit:
	default:
		return pay.Errorf(pay.ErrInvalidRequest, "kind", "kind is debit or credit")
	}
	if err := checkAmount("amount", r.Amount); err != nil {
		return err
	}
	if err := checkName("merchant_id", r.MerchantID, r.Kind == UseDebit); err != nil {
		return err
	}
	for _, f := range []struct{ name, v string }{{"channel", r.Channel}, {"terminal_id", r.TerminalID}, {"device_id", r.DeviceID}} {
		if err := checkName(f.name, f.v, false); err != nil {
			return err
		}
	}
	if !r.Mode.valid() {
		return pay.Errorf(pay.ErrInvalidRequest, "mode", "mode is qr, in_app, contactless or ecommerce")
	}
	return nil
}

// Use detokenizes under controls: it approves the use only if the token is
// active, inside its validity window, presented where, how and by what its
// controls allow, within its limits and with a fresh, valid cryptogram when
// one is required or given. The approval and the token's counters (uses,
// amount spent, cryptogram counter) are recorded in one atomic step, so N
// concurrent uses of a token limited to N all see each other. A refused use
// changes nothing.
func (v *Vault) Use(ctx context.Context, c Caller, r UseRequest) (UseResult, error) {
	if err := r.validate(); err != nil {
		return UseResult{}, err
	}
	rec, err := v.store.ByValue(ctx, r.Token)
	if err != nil {
		return UseResult{}, v.refuse(ctx, c, nil, err)
	}
	t := &rec.Token
	var cg *Cryptogram
	if r.Cryptogram != "" {
		parsed, err := ParseCryptogram(r.Cryptogram)
		if err != nil {
			return UseResult{}, v.refuse(ctx, c, t, refusal(ErrCryptogram, "cryptogram", "%s", err.Error()))
		}
		if !v.verify(t.ID, parsed, CryptogramInput{Token: r.Token, Amount: r.Amount, MerchantID: r.MerchantID}) {
			return UseResult{}, v.refuse(ctx, c, t, refusal(ErrCryptogram, "cryptogram", "the cryptogram does not match this token, amount and merchant"))
		}
		cg = &parsed
	}
	use := Use{
		TokenID: t.ID, Kind: r.Kind, Status: UseApproved, Amount: r.Amount,
		MerchantID: r.MerchantID, Channel: r.Channel, TerminalID: r.TerminalID, DeviceID: r.DeviceID, Mode: r.Mode,
		AcceptorID: c.ID,
	}
	saved, err := v.store.Update(ctx, t.ID, "", func(rec Record, _ Use) (Record, Use, error) {
		// The clock is read under the token's lock, so a use approved after
		// the token expired (or after it was suspended) cannot happen.
		now := v.clock.Now().UTC()
		t := rec.Token
		if e := t.Controls.check(&t, r, now); e != nil {
			return rec, Use{}, e
		}
		switch {
		case cg == nil && t.Controls.RequireCryptogram:
			return rec, Use{}, refusal(ErrCryptogram, "cryptogram", "this token needs a cryptogram")
		case cg != nil && cg.Counter <= t.LastCounter:
			return rec, Use{}, refusal(ErrCryptogram, "cryptogram", "the cryptogram was already used (counter not above %d)", t.LastCounter)
		case cg != nil:
			t.LastCounter = cg.Counter
			use.Counter = cg.Counter
		}
		if r.Kind == UseDebit {
			t.Uses++
			if t.Spent.Currency == "" {
				t.Spent.Currency = r.Amount.Currency
			}
			if t.Spent.Currency == r.Amount.Currency {
				if t.Spent.Amount > math.MaxInt64-r.Amount.Amount {
					return rec, Use{}, refusal(ErrAmountLimit, "amount", "the token's spent total would overflow")
				}
				t.Spent.Amount += r.Amount.Amount
			}
		}
		t.UpdatedAt = now
		rec.Token = t
		rec.UseCount++
		use.ID, use.CreatedAt = UseID(t.ID, rec.UseCount), now
		return rec, use, nil
	})
	if err != nil {
		return UseResult{}, v.refuse(ctx, c, t, err)
	}
	res := UseResult{Use: use}
	if c.Detokenize {
		acct, err := v.keys.openAccount(saved.Token.ID, saved.SealedAccount)
		if err != nil {
			return UseResult{}, err
		}
		res.AccountType, res.Account = saved.Token.AccountType, acct
	}
	return res, nil
}

// ReverseUse gives an approved use back: it no longer counts against the
// token's use and amount limits. Its cryptogram stays spent. The caller
// that made the use, or the token's owner, may reverse it; reversing twice
// returns the reversed use.
func (v *Vault) ReverseUse(ctx context.Context, c Caller, useID string) (Use, error) {
	// One answer for malformed and unknown uses and for uses the caller
	// may not reverse.
	noSuchUse := pay.Errorf(pay.ErrNotFound, "use_id", "no such use")
	if _, _, ok := SplitUseID(useID); !ok {
		return Use{}, noSuchUse
	}
	u, err := v.store.UseByID(ctx, useID)
	if errors.Is(err, pay.ErrNotFound) {
		return Use{}, noSuchUse
	}
	if err != nil {
		return Use{}, err
	}
	rec, err := v.store.Get(ctx, u.TokenID)
	if err != nil {
		return Use{}, err
	}
	acceptor := c.ID != "" && u.AcceptorID == c.ID
	if !acceptor && !owns(c, &rec.Token) {
		return Use{}, noSuchUse
	}
	now := v.clock.Now().UTC()
	var out Use
	_, err = v.store.Update(ctx, u.TokenID, useID, func(rec Record, u Use) (Record, Use, error) {
		if u.ID == "" {
			return rec, u, errors.New("token: use vanished from its token")
		}
		out = u
		if u.Status == UseReversed {
			return rec, Use{}, nil
		}
		t := rec.Token
		if u.Kind == UseDebit {
			t.Uses--
			if u.Amount.Currency == t.Spent.Currency {
				t.Spent.Amount -= u.Amount.Amount
			}
		}
		t.UpdatedAt = now
		u.Status, u.ReversedAt = UseReversed, &now
		rec.Token, out = t, u
		return rec, u, nil
	})
	if err != nil {
		return Use{}, err
	}
	v.log.InfoContext(ctx, "token use reversed", "token_id", u.TokenID, "use_id", useID)
	return out, nil
}
