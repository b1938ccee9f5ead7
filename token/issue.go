package token

import (
	"context"
	"errors"
	"slices"

	"github.com/paykit-go/paykit/pay"
)

// IssueRequest asks for a token for an account.
type IssueRequest struct {
	Account     string      `json:"account"`
	AccountType AccountType `json:"account_type"`
	// Format defaults to numeric for cards and opaque for other accounts.
	Format Format `json:"format,omitempty"`
	// RequestorID names the token requestor. Only the issuer may set it
	// (issuing on a requestor's behalf); otherwise it is the caller's ID.
	RequestorID string `json:"requestor_id,omitempty"`
	// AssuranceLevel records how well the requestor identified and verified
	// the account holder (ID&V), 0 to 99 as in EMVCo's framework.
	AssuranceLevel int `json:"assurance_level,omitempty"`
	// Domain labels where the token is meant to be used (a merchant, a
	// device); convergent issue keys on it.
	Domain   string   `json:"domain,omitempty"`
	Controls Controls `json:"controls"`
}

// Issued is a newly issued token and, for its requestor only, its
// cryptogram key. The key is handed out once, when the token is created;
// provisioned devices keep it in their secure element.
type Issued struct {
	Token Token `json:"token"`
	// Key is the token's cryptogram key (standard base64 on the wire); it is
	// empty when convergent issue returned an existing token.
	Key []byte `json:"cryptogram_key,omitempty"`
	// Existing is set when convergent issue returned a token the requestor
	// already had.
	Existing bool `json:"existing,omitempty"`
}

func (r *IssueRequest) validate(c Caller, bins BINRange) error {
	switch r.AccountType {
	case AccountCard:
		if len(r.Account) < 12 || len(r.Account) > 19 || !LuhnValid(r.Account) {
			return pay.Errorf(pay.ErrInvalidRequest, "account", "a card account is 12 to 19 digits with a valid check digit")
		}
		if bins.Contains(r.Account) {
			return pay.Errorf(ErrTokenRange, "account", "the account number lies in the token BIN range")
		}
	case AccountWallet, AccountBank:
		if err := checkName("account", r.Account, true); err != nil {
			return pay.Errorf(pay.ErrInvalidRequest, "account", "a %s account is 1 to 64 printable ASCII characters without spaces", r.AccountType)
		}
		if bins.Contains(r.Account) {
			return pay.Errorf(ErrTokenRange, "account", "the account number lies in the token BIN range")
		}
	default:
		return pay.Errorf(pay.ErrInvalidRequest, "account_type", "account_type is card, wallet or bank")
	}
	switch r.Format {
	case "":
		r.Format = FormatOpaque
		if r.AccountType == AccountCard {
			r.Format = FormatNumeric
		}
	case FormatNumeric, FormatOpaque:
	default:
		return pay.Errorf(pay.ErrInvalidRequest, "format", "format is numeric or opaque")
	}
	if r.RequestorID != "" && !c.Issuer && r.RequestorID != c.ID {
		return pay.Errorf(pay.ErrForbidden, "requestor_id", "only the issuer issues tokens on another requestor's behalf")
	}
	if r.RequestorID == "" {
		r.RequestorID = c.ID
	}
	if err := checkName("requestor_id", r.RequestorID, true); err != nil {
		return err
	}
	if r.AssuranceLevel < 0 || r.AssuranceLevel > 99 {
		return pay.Errorf(pay.ErrInvalidRequest, "assurance_level", "assurance_level is 0 to 99")
	}
	if err := checkName("domain", r.Domain, false); err != nil {
		return err
	}
	return r.Controls.validate()
}

// maxDraws bounds how often Issue draws a new token after a collision; with
// any sane range, a second draw is already rare.
const maxDraws = 16

// Issue creates a token for the account, owned by its requestor. A numeric
// token is Luhn-valid, inside the vault's BIN range and never equal to an
// account number the vault holds; the vault refuses account numbers inside
// its range so that stays true.
func (v *Vault) Issue(ctx context.Context, c Caller, r IssueRequest) (Issued, error) {
	if err := r.validate(c, v.bins); err != nil {
		return Issued{}, err
	}
	if v.check != nil {
		if err := v.check(ctx, r.AccountType, r.Account); err != nil {
			return Issued{}, err
		}
	}
	var conv string
	if v.convergent {
		conv = v.keys.convergentKey(r.RequestorID, r.Domain, r.AccountType, r.Account)
		if rec, err := v.store.ByConvergentKey(ctx, conv); err == nil {
			return Issued{Token: rec.Token.clone(), Existing: true}, nil
		}
	}
	now := v.clock.Now().UTC()
	t := Token{
		ID: pay.NewID(PrefixToken), Format: r.Format, AccountType: r.AccountType, RequestorID: r.RequestorID,
		AssuranceLevel: r.AssuranceLevel, Domain: r.Domain, Controls: r.Controls.clone(), Status: StatusActive,
		CreatedAt: now, UpdatedAt: now,
	}
	if r.AccountType == AccountCard {
		t.AccountLast4 = r.Account[len(r.Account)-4:]
	}
	if cur := t.Controls.currency(); cur != "" {
		t.Spent = pay.Money{Currency: cur}
	}
	rec := Record{SealedAccount: v.keys.sealAccount(t.ID, r.Account), AccountFingerprint: v.keys.fingerprint(r.Account), ConvergentKey: conv}
	for range maxDraws {
		rec.Token, rec.TokenFingerprint = t, ""
		if t.Format == FormatNumeric {
			rec.Token.Value = v.newNumeric()
			rec.TokenFingerprint = v.keys.fingerprint(rec.Token.Value)
		} else {
			rec.Token.Value = newOpaque()
		}
		err := v.store.Create(ctx, rec)
		if errors.Is(err, ErrTaken) && conv != "" {
			if held, err := v.store.ByConvergentKey(ctx, conv); err == nil {
				return Issued{Token: held.Token.clone(), Existing: true}, nil // a concurrent issue won
			}
		}
		if errors.Is(err, ErrTaken) {
			continue
		}
		if err != nil {
			return Issued{}, err
		}
		// The caller, not the requested requestor_id: request fields stay
		// out of logs, as they might hold an account number.
		v.log.InfoContext(ctx, "token issued", "token_id", t.ID, "caller", c.ID, "format", string(t.Format))
		return Issued{Token: rec.Token.clone(), Key: deriveKey(v.keys.master, t.ID)}, nil
	}
	return Issued{}, pay.Errorf(pay.ErrUnavailable, "", "the token range is too full to draw a free token")
}

// clone copies the controls' lists so a caller's changes don't reach the
// vault's copy, and the reverse.
func (c Controls) clone() Controls {
	c.Channels, c.Merchants, c.Terminals, c.Modes = slices.Clone(c.Channels), slices.Clone(c.Merchants), slices.Clone(c.Terminals), slices.Clone(c.Modes)
	return c
}

func (t Token) clone() Token {
	t.Controls = t.Controls.clone()
	return t
}
