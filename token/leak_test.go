package token

import (
	"bytes"
	"context"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paykit-go/paykit/pay"
)

var h2DigitRun = regexp.MustCompile(`[0-9]+`)

// h2LuhnRuns returns every Luhn-valid run of 13 to 19 digits in s,
// including those inside longer runs of digits.
func h2LuhnRuns(s string) []string {
	var found []string
	for _, run := range h2DigitRun.FindAllString(s, -1) {
		for n := 13; n <= 19 && n <= len(run); n++ {
			for i := 0; i+n <= len(run); i++ {
				if LuhnValid(run[i : i+n]) {
					found = append(found, run[i:i+n])
				}
			}
		}
	}
	return found
}

// The scanner finds account numbers alone, inside text and inside longer
// runs of digits, and passes text that has none.
func TestLuhnRunScanner(t *testing.T) {
	for _, s := range []string{
		h2PAN,
		"error: account " + h2PAN + " refused",
		`param="` + h2PAN + `"`,
		"00" + h2PAN + "00",                  // inside a 20-digit run
		"x378282246310005x",                  // 15 digits (Amex)
		"-" + h2PAN + " minor units",         // a negative amount
		"tok_" + h2PAN + " and 2026-03-01Z1", // inside an ID
	} {
		if got := h2LuhnRuns(s); len(got) == 0 {
			t.Errorf("scanner missed the account number in %q", s)
		}
	}
	for _, s := range []string{
		"time=2026-03-01T12:00:00.000Z level=INFO msg=\"token refused\" token_id=tok_abc param=amount",
		"4111111111112", // 13 digits, check digit wrong
		"the token's 1000000000 uses are spent",
		strings.Repeat("0", 12),
	} {
		if got := h2LuhnRuns(s); len(got) != 0 {
			t.Errorf("scanner flagged %q in %q", got, s)
		}
	}
}

// A broad scenario — card tokens for several account numbers, every kind of
// refusal to owners and to others, the lifecycle, reversals and bad
// requests carrying account numbers and tokens in the wrong fields — puts
// no account number and no token value in any error or log line.
func TestNoAccountNumberInErrorsOrLogs(t *testing.T) {
	var logs bytes.Buffer
	v, clk := h2Vault(t, WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	ctx := context.Background()
	pans := []string{h2PAN, "5555555555554444", "378282246310005", "4012888888881881", "6011111111111117", "3530111333300000", h2Luhn("621700000000000000")}
	var errs []string
	note := func(err error) {
		if err != nil {
			errs = append(errs, err.Error())
		}
	}
	callers := []Caller{h2Requestor, h2Issuer, h2Acceptor, {ID: "other-app", Detokenize: true}}

	var issued []Issued
	for i, pan := range pans {
		is, err := v.Issue(ctx, h2Requestor, IssueRequest{Account: pan, AccountType: AccountCard, Domain: "d" + strconv.Itoa(i), Controls: Controls{
			MaxUses: 2, PerUseLimit: h2CNY(500), CumulativeLimit: h2CNY(700), Merchants: []string{"shop-1", pan}, Channels: []string{"web"},
			Terminals: []string{"T1"}, Modes: []Mode{ModeQR, ModeContactless}, RequireCryptogram: i%2 == 0, Expires: h2Start.Add(time.Hour),
		}})
		if err != nil {
			t.Fatal(err)
		}
		issued = append(issued, is)
	}
	wallet, err := v.Provision(ctx, h2Requestor, ProvisionRequest{WalletID: pans[1], DeviceID: "phone-1"})
	if err != nil {
		t.Fatal(err)
	}
	issued = append(issued, wallet)

	for i, is := range issued {
		pan, tok := pans[i%len(pans)], is.Token.Value
		good := UseRequest{Token: tok, Amount: h2CNY(300), MerchantID: "shop-1", Channel: "web", TerminalID: "T1", DeviceID: is.Token.Controls.DeviceID, Mode: ModeContactless}
		counter := uint32(0)
		sign := func(r UseRequest) UseRequest { counter++; return h2Sign(t, is, r, counter) }
		variant := func(f func(r *UseRequest)) UseRequest { r := good; f(&r); return sign(r) }
		refusals := []UseRequest{
			variant(func(r *UseRequest) { r.MerchantID = "shop-2" }),
			variant(func(r *UseRequest) { r.Channel = pan }),
			variant(func(r *UseRequest) { r.TerminalID = pan }),
			variant(func(r *UseRequest) { r.DeviceID = pan }),
			variant(func(r *UseRequest) { r.Mode = ModeEcommerce }),
			variant(func(r *UseRequest) { r.Amount = h2CNY(501) }),
			variant(func(r *UseRequest) { r.Amount = pay.Money{Amount: 1, Currency: "USD"} }),
			func() UseRequest { r := sign(good); r.Amount.Amount++; return r }(),
			func() UseRequest { r := good; r.Cryptogram = pan; return r }(),
			func() UseRequest { r := good; r.Cryptogram = ""; return r }(),
		}
		for _, c := range callers {
			for _, r := range refusals {
				_, err := v.Use(ctx, c, r)
				note(err)
			}
		}
		var uses []string
		for range 3 { // the third is over the use or amount limit
			res, err := v.Use(ctx, h2Acceptor, sign(good))
			note(err)
			if err == nil {
				uses = append(uses, res.Use.ID)
			}
		}
		for _, c := range callers { // reversal by strangers, owners and the acceptor
			for _, id := range uses {
				_, err := v.ReverseUse(ctx, c, id)
				note(err)
			}
		}
		// The PAN itself where the token goes, and the token where the PAN
		// goes.
		for _, c := range callers {
			_, err := v.Use(ctx, c, UseRequest{Token: pan, Amount: h2CNY(1), MerchantID: "shop-1", Mode: ModeQR})
			note(err)
			_, err = v.Issue(ctx, c, IssueRequest{Account: tok, AccountType: AccountCard})
			note(err)
			_, err = v.Issue(ctx, c, IssueRequest{Account: tok, AccountType: AccountWallet})
			note(err)
		}
		// Lifecycle, by each party, in an order that meets every refusal.
		id := is.Token.ID
		for _, step := range []struct {
			c  Caller
			op func(context.Context, Caller, string) (Token, error)
		}{
			{h2Requestor, v.Suspend}, {h2Issuer, v.Resume}, {h2Issuer, v.Suspend}, {h2Requestor, v.Resume},
			{h2Requestor, v.Suspend}, {h2Acceptor, v.Resume}, {h2Issuer, v.Resume}, {h2Requestor, v.Resume},
		} {
			_, err := step.op(ctx, step.c, id)
			note(err)
			for _, c := range callers {
				_, err := v.Use(ctx, c, sign(good))
				note(err)
			}
		}
		_, err := v.UpdateControls(ctx, h2Requestor, id, Controls{PerUseLimit: pay.Money{Amount: 1, Currency: "USD"}, Merchants: []string{pan}})
		note(err)
		for _, c := range callers {
			_, _, err := v.Detokenize(ctx, c, id)
			note(err)
			_, err = v.Delete(ctx, c, id)
			note(err)
			_, err = v.Use(ctx, c, sign(good))
			note(err)
			_, err = v.Resume(ctx, c, id)
			note(err)
		}
	}
	clk.Advance(2 * time.Hour)

	// Bad requests with account numbers and token values in every field.
	tok := issued[1].Token.Value
	for _, s := range []string{h2PAN, tok, h2PAN + " ", "x" + h2PAN, h2PAN + tok} {
		for _, c := range callers {
			for _, r := range []UseRequest{
				{Token: s, Amount: h2CNY(1), MerchantID: "shop-1", Mode: ModeQR},
				{Token: tok, Amount: h2CNY(1), MerchantID: s, Mode: ModeQR},
				{Token: tok, Amount: h2CNY(1), MerchantID: "shop-1", Channel: s, TerminalID: s, DeviceID: s, Mode: ModeQR},
				{Token: tok, Amount: pay.Money{Amount: 1, Currency: s}, MerchantID: "shop-1", Mode: ModeQR},
				{Token: tok, Amount: h2CNY(1), MerchantID: "shop-1", Mode: Mode(s)},
				{Token: tok, Kind: UseKind(s), Amount: h2CNY(1), MerchantID: "shop-1", Mode: ModeQR},
				{Token: tok, Amount: h2CNY(1), MerchantID: "shop-1", Mode: ModeQR, Cryptogram: s},
			} {
				_, err := v.Use(ctx, c, r)
				note(err)
			}
			for _, r := range []IssueRequest{
				{Account: s, AccountType: AccountCard},
				{Account: s, AccountType: AccountType(s)},
				{Account: h2PAN, AccountType: AccountCard, Format: Format(s)},
				{Account: h2PAN, AccountType: AccountCard, RequestorID: s},
				{Account: h2PAN, AccountType: AccountCard, Domain: s},
				{Account: h2PAN, AccountType: AccountCard, Controls: Controls{Merchants: []string{s, ""}}},
				{Account: h2PAN, AccountType: AccountCard, Controls: Controls{Channels: []string{s + " x"}}},
				{Account: h2PAN, AccountType: AccountCard, Controls: Controls{DeviceID: s + "\n"}}, // invalid, or valid and held
				{Account: h2PAN, AccountType: AccountCard, Controls: Controls{PerUseLimit: pay.Money{Amount: 1, Currency: s}}},
				{Account: h2PAN, AccountType: AccountCard, Controls: Controls{Modes: []Mode{Mode(s)}}},
			} {
				_, err := v.Issue(ctx, c, r)
				note(err)
			}
			_, err := v.Provision(ctx, c, ProvisionRequest{WalletID: s, DeviceID: s + "\t"})
			note(err)
			_, err = v.Get(ctx, c, s)
			note(err)
			_, err = v.Get(ctx, c, PrefixToken+"_"+s)
			note(err)
			_, err = v.ReverseUse(ctx, c, PrefixUse+"_"+s)
			note(err)
			_, err = v.Uses(ctx, c, issued[1].Token.ID, s, 10)
			note(err)
			_, _, err = v.Detokenize(ctx, c, s)
			note(err)
		}
	}
	// Negative amounts that spell an account number.
	n, _ := strconv.ParseInt(h2PAN, 10, 64)
	for _, c := range callers {
		_, err := v.Use(ctx, c, UseRequest{Token: tok, Amount: h2CNY(-n), MerchantID: "shop-1", Mode: ModeQR})
		note(err)
		_, err = v.Issue(ctx, c, IssueRequest{Account: h2PAN, AccountType: AccountCard, Controls: Controls{CumulativeLimit: h2CNY(-n)}})
		note(err)
		_, err = v.Issue(ctx, c, IssueRequest{Account: h2PAN, AccountType: AccountCard, Controls: Controls{MaxUses: -n}})
		note(err)
	}

	if len(errs) < 1000 || logs.Len() == 0 {
		t.Fatalf("the scenario made %d errors and %d bytes of log; it is not exercising the vault", len(errs), logs.Len())
	}
	for _, e := range errs {
		if found := h2LuhnRuns(e); len(found) > 0 {
			t.Errorf("error carries an account number or token: %q", e)
		}
	}
	for _, line := range strings.Split(logs.String(), "\n") {
		if found := h2LuhnRuns(line); len(found) > 0 {
			t.Errorf("log line carries an account number or token: %q", line)
		}
	}
}
