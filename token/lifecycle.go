package token

import (
	"context"
	"errors"

	"github.com/paykit-go/paykit/pay"
)

// Get returns a token to its owner. To anyone else every token, existing or
// not, is pay.ErrNotFound.
func (v *Vault) Get(ctx context.Context, c Caller, tokenID string) (Token, error) {
	rec, err := v.owned(ctx, c, tokenID)
	if err != nil {
		return Token{}, err
	}
	return rec.Token.clone(), nil
}

// owned loads a token the caller owns.
func (v *Vault) owned(ctx context.Context, c Caller, tokenID string) (Record, error) {
	if !pay.ValidID(tokenID, PrefixToken) {
		return Record{}, pay.Errorf(pay.ErrInvalidRequest, "token_id", "token_id must be a %s_ ID", PrefixToken)
	}
	rec, err := v.store.Get(ctx, tokenID)
	if errors.Is(err, pay.ErrNotFound) || err == nil && !owns(c, &rec.Token) {
		// One answer for unknown and foreign tokens alike, whatever the
		// store's own wording, so the answer doesn't tell them apart.
		return Record{}, pay.Errorf(pay.ErrNotFound, "token_id", "no such token")
	}
	return rec, err
}

// party is the side c acts for on t.
func party(c Caller) Party {
	if c.Issuer {
		return PartyIssuer
	}
	return PartyRequestor
}

// errUnchanged is what a change's fn returns to leave the token as it is
// and return it, without stamping or logging.
var errUnchanged = errors.New("token: unchanged")

// change applies fn to a token the caller owns, atomically, and stamps it.
func (v *Vault) change(ctx context.Context, c Caller, tokenID, what string, fn func(t *Token) error) (Token, error) {
	if _, err := v.owned(ctx, c, tokenID); err != nil {
		return Token{}, err
	}
	now := v.clock.Now().UTC()
	var current Token
	rec, err := v.store.Update(ctx, tokenID, "", func(r Record, _ Use) (Record, Use, error) {
		t := r.Token
		if err := fn(&t); err != nil {
			current = r.Token
			return r, Use{}, err
		}
		t.UpdatedAt = now
		r.Token = t
		return r, Use{}, nil
	})
	if errors.Is(err, errUnchanged) {
		return current.clone(), nil
	}
	if err != nil {
		return Token{}, err
	}
	v.log.InfoContext(ctx, "token "+what, "token_id", tokenID, "party", string(party(c)))
	return rec.Token.clone(), nil
}

// Suspend stops every use of the token until the same party resumes it.
// Once Suspend returns, no use succeeds. The issuer's suspension overrides
// the requestor's (and then only the issuer may resume); a requestor can't
// re-suspend what the issuer suspended.
func (v *Vault) Suspend(ctx context.Context, c Caller, tokenID string) (Token, error) {
	p := party(c)
	return v.change(ctx, c, tokenID, "suspended", func(t *Token) error {
		switch {
		case t.Status == StatusDeleted:
			return refusal(ErrDeleted, "token_id", "the token was deleted")
		case t.Status == StatusSuspended && t.SuspendedBy == PartyIssuer && p != PartyIssuer:
			return refusal(ErrWrongParty, "token_id", "the issuer has suspended this token")
		}
		t.Status, t.SuspendedBy = StatusSuspended, p
		return nil
	})
}

// Resume makes a suspended token usable again. Only the party that
// suspended it may.
func (v *Vault) Resume(ctx context.Context, c Caller, tokenID string) (Token, error) {
	p := party(c)
	return v.change(ctx, c, tokenID, "resumed", func(t *Token) error {
		switch {
		case t.Status == StatusDeleted:
			return refusal(ErrDeleted, "token_id", "the token was deleted")
		case t.Status != StatusSuspended:
			return pay.Errorf(pay.ErrConflict, "token_id", "the token is not suspended")
		case t.SuspendedBy != p:
			return refusal(ErrWrongParty, "token_id", "the %s suspended this token; the %s may not resume it", t.SuspendedBy, p)
		}
		t.Status, t.SuspendedBy = StatusActive, ""
		return nil
	})
}

// Delete ends the token for good: it is never usable again and its value
// is never issued again. Deleting a deleted token returns it unchanged.
func (v *Vault) Delete(ctx context.Context, c Caller, tokenID string) (Token, error) {
	t, err := v.change(ctx, c, tokenID, "deleted", func(t *Token) error {
		if t.Status == StatusDeleted {
			return errUnchanged
		}
		t.Status, t.SuspendedBy = StatusDeleted, ""
		return nil
	})
	if err == nil {
		v.macs.Delete(tokenID) // a deleted token verifies no more cryptograms
	}
	return t, err
}

// UpdateControls replaces the token's controls. Counters stay: a token
// that has spent 80 under a new cumulative limit of 100 has 20 left. The
// new amount limits must be in the currency already spent in, if any.
func (v *Vault) UpdateControls(ctx context.Context, c Caller, tokenID string, ctl Controls) (Token, error) {
	if err := ctl.validate(); err != nil {
		return Token{}, err
	}
	ctl = ctl.clone()
	return v.change(ctx, c, tokenID, "controls updated", func(t *Token) error {
		if t.Status == StatusDeleted {
			return refusal(ErrDeleted, "token_id", "the token was deleted")
		}
		if cur := ctl.currency(); cur != "" && cur != t.Spent.Currency {
			if t.Spent.Amount != 0 {
				return pay.Errorf(pay.ErrInvalidRequest, "controls", "the token has spent in %s; its limits must be in %s", t.Spent.Currency, t.Spent.Currency)
			}
			t.Spent = pay.Money{Currency: cur}
		}
		t.Controls = ctl
		return nil
	})
}

// Uses lists the token's uses to its owner, oldest first, after the use
// with ID after ("" for the first page); limit is 1 to 100 (0 means 20).
func (v *Vault) Uses(ctx context.Context, c Caller, tokenID, after string, limit int) ([]Use, error) {
	if limit == 0 {
		limit = 20
	}
	if limit < 0 || limit > 100 {
		return nil, pay.Errorf(pay.ErrInvalidRequest, "limit", "limit is 1 to 100")
	}
	if _, err := v.owned(ctx, c, tokenID); err != nil {
		return nil, err
	}
	return v.store.Uses(ctx, tokenID, after, limit)
}

// Detokenize returns the account number behind a token to its owner, if
// the caller may detokenize. It works in every status, so a deleted token
// can still be traced.
func (v *Vault) Detokenize(ctx context.Context, c Caller, tokenID string) (AccountType, string, error) {
	if !c.Detokenize {
		return "", "", pay.Errorf(ErrNotDetokenizer, "", "this caller may not detokenize")
	}
	rec, err := v.owned(ctx, c, tokenID)
	if err != nil {
		return "", "", err
	}
	acct, err := v.keys.openAccount(rec.Token.ID, rec.SealedAccount)
	if err != nil {
		return "", "", err
	}
	v.log.InfoContext(ctx, "token detokenized", "token_id", tokenID, "caller", c.ID)
	return rec.Token.AccountType, acct, nil
}
