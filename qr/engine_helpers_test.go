package qr

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/paykit-go/paykit/internal/clock"
	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/pay/account"
)

// h8Token is a Luhn-valid 19-digit numeric payment token.
const h8Token = "6200000000000000000"

// h8Token2 is another holder's token.
const h8Token2 = "6200000000000000018"

// h8Start is when the tests' clocks start.
var h8Start = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// h8Env is an issuer on a fake clock with a recording charger.
type h8Env struct {
	t       *testing.T
	ctx     context.Context
	clk     *clock.Fake
	signer  *SoftwareSigner
	keys    *KeySet
	iss     *Issuer
	charger *h8Charger
}

func h8NewEnv(t *testing.T, opts ...Option) *h8Env {
	t.Helper()
	e := &h8Env{t: t, ctx: context.Background(), clk: clock.NewFake(h8Start), keys: NewKeySet(), charger: &h8Charger{}}
	var err error
	if e.signer, err = GenerateSigner(1); err != nil {
		t.Fatal(err)
	}
	all := append([]Option{WithClock(e.clk), WithCharger(e.charger)}, opts...)
	if e.iss, err = NewIssuer(e.signer, e.keys, all...); err != nil {
		t.Fatal(err)
	}
	return e
}

// issue issues a CNY card of amount minor units and uses.
func (e *h8Env) issue(holder string, amount int64, uses int) Issued {
	e.t.Helper()
	iss, err := e.iss.Issue(e.ctx, IssueRequest{Holder: holder, Token: h8Token, Balance: pay.Money{Amount: amount, Currency: "CNY"}, Uses: uses, Validity: 30 * 24 * time.Hour})
	if err != nil {
		e.t.Fatal(err)
	}
	return iss
}

// ledgerBalance is the posted balance of a ledger account (0 if absent).
func (e *h8Env) ledgerBalance(id string) int64 {
	e.t.Helper()
	a, err := e.iss.Ledger().LookupAccount(e.ctx, id)
	if errors.Is(err, pay.ErrNotFound) {
		return 0
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return a.Balance()
}

func (e *h8Env) cardBalance(id string) int64 { return e.ledgerBalance(CardAccount(id)) }

func (e *h8Env) merchantBalance(m string) int64 {
	return e.ledgerBalance(account.MerchantLedgerAccount(m, "CNY"))
}

func (e *h8Env) state(id string) CardState {
	e.t.Helper()
	st, err := e.iss.CardState(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

// terminal registers and returns an offline terminal of merchant.
func (e *h8Env) terminal(id, merchant string, keyID uint32, limits OfflineLimits) *Terminal {
	e.t.Helper()
	s, err := GenerateSigner(keyID)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.iss.RegisterTerminal(e.ctx, id, merchant, keyID, s.Public()); err != nil {
		e.t.Fatal(err)
	}
	term, err := NewTerminal(TerminalConfig{ID: id, MerchantID: merchant}, s, e.keys, limits, e.clk)
	if err != nil {
		e.t.Fatal(err)
	}
	return term
}

// h8Wide are offline limits no test of the settlement logic reaches.
var h8Wide = OfflineLimits{Currency: "CNY", PerTransaction: 1_000_00, PerCardAmount: 10_000_00, PerCardCount: 100,
	PerTerminalAmount: 1_000_000_00, PerTerminalCount: 10_000}

func h8CNY(v int64) pay.Money { return pay.Money{Amount: v, Currency: "CNY"} }

// h8IsCode fails unless err is a *pay.Error matching kind.
func h8IsCode(t *testing.T, what string, err error, kind *pay.Error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("%s: err = %v, want %s", what, err, kind.Code)
	}
}

// h8Charger records charges; fail makes the next charges fail.
type h8Charger struct {
	mu    sync.Mutex
	calls []string
	fail  bool
}

func (c *h8Charger) Charge(_ context.Context, r ChargeRequest) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail {
		return "", pay.Errorf(pay.ErrDeclined, "", "declined")
	}
	c.calls = append(c.calls, r.Token+" "+r.Amount.String()+" "+r.MerchantID+" "+r.TerminalID+" "+r.CardID+" "+strconv.FormatUint(r.Seq, 10))
	return "chg_" + r.Amount.Decimal(), nil
}

func errorsIs(err error, kind *pay.Error) bool { return errors.Is(err, kind) }

func errorsIsErr(err, target error) bool { return errors.Is(err, target) }
