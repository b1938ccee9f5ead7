package paytest_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/paykit-go/paykit/pay/account"
	"github.com/paykit-go/paykit/pay/paytest"
	"github.com/paykit-go/paykit/token"
)

// syncBuffer is a bytes.Buffer the server's goroutines may log into.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var digitRun = regexp.MustCompile(`[0-9]{13,}`)

// cardNumbers returns the Luhn-valid 13- to 19-digit numbers inside s's
// digit runs: anything that could be an account number.
func cardNumbers(s string) []string {
	var out []string
	for _, run := range digitRun.FindAllString(s, -1) {
		for n := 13; n <= 19; n++ {
			for i := 0; i+n <= len(run); i++ {
				if token.LuhnValid(run[i : i+n]) {
					out = append(out, run[i:i+n])
				}
			}
		}
	}
	return out
}

// TestTokenSecretsStayOutOfLogsAndErrors drives issue, uses, refusals,
// detokenization, lifecycle and contactless taps with the backend logging
// at Debug, and finds no account number, token value, cryptogram or key in
// the log or in any error: token values travel in bodies, not URLs.
func TestTokenSecretsStayOutOfLogsAndErrors(t *testing.T) {
	if got := cardNumbers("x=" + testPAN + " y"); !slices.Equal(got, []string{testPAN}) {
		t.Fatalf("the scanner misses a PAN: %v", got)
	}
	var buf syncBuffer
	e := newTokenEnv(t, paytest.WithLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	ctx := context.Background()
	inRange := "999900000000000"
	for d := '0'; d <= '9'; d++ {
		if token.LuhnValid(inRange + string(d)) {
			inRange += string(d)
			break
		}
	}
	secrets := []string{testPAN, inRange, "4111111111111112"}
	var errs []error
	expectErr := func(err error) {
		t.Helper()
		if err == nil {
			t.Error("a refusal was approved")
		}
		errs = append(errs, err)
	}

	iss, err := e.tmer.Issue(ctx, token.IssueRequest{Account: testPAN, AccountType: token.AccountCard, Controls: token.Controls{Merchants: []string{"m_coffee"}}})
	if err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, iss.Token.Value, base64.StdEncoding.EncodeToString(iss.Key))
	for _, acct := range []string{inRange, "4111111111111112"} {
		_, err := e.tmer.Issue(ctx, token.IssueRequest{Account: acct, AccountType: token.AccountCard})
		expectErr(err)
	}
	use := token.UseRequest{Token: iss.Token.Value, Amount: cny(5_00), MerchantID: "m_coffee", Mode: token.ModeQR}
	if _, err := e.tdev.Use(ctx, use); err != nil {
		t.Fatal(err)
	}
	bad := use
	bad.MerchantID = "m_bakery"
	for _, c := range []*token.Client{e.tdev, e.tmer, e.tadmin} {
		_, err := c.Use(ctx, bad)
		expectErr(err)
	}
	bad = use
	bad.Cryptogram = "not-a-cryptogram"
	_, err = e.tmer.Use(ctx, bad)
	expectErr(err)
	for _, value := range []string{testPAN, "4111111111111112"} { // an account number, and a malformed number, presented as tokens
		bad.Token, bad.Cryptogram = value, ""
		_, err = e.tadmin.Use(ctx, bad)
		expectErr(err)
	}
	_, err = e.tmer.Detokenize(ctx, iss.Token.ID)
	expectErr(err)
	if _, err := e.tadmin.Detokenize(ctx, iss.Token.ID); err != nil {
		t.Fatal(err)
	}

	if _, err := e.dev.TopUp(ctx, account.TopUpRequest{WalletID: e.wallet.ID, Amount: cny(50_00), Source: account.SourceMachine, TerminalID: "kiosk"}); err != nil {
		t.Fatal(err)
	}
	cred, phone := e.provision(t, "phone-1")
	secrets = append(secrets, cred.Token.Value, base64.StdEncoding.EncodeToString(cred.Key))
	c := tap(t, phone, cny(3_00), e.shop.ID, 1)
	secrets = append(secrets, c.Cryptogram)
	for i := range 2 { // the second is a replay
		_, err := e.dev.Consume(ctx, account.ConsumeRequest{Credential: &c, MerchantID: e.shop.ID, Amount: cny(3_00), TerminalID: "pos-1"})
		if i == 0 && err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			expectErr(err)
		}
	}
	if _, err := e.tmer.Suspend(ctx, cred.Token.ID); err != nil {
		t.Fatal(err)
	}
	c = tap(t, phone, cny(3_00), e.shop.ID, 2)
	secrets = append(secrets, c.Cryptogram)
	_, err = e.dev.Consume(ctx, account.ConsumeRequest{Credential: &c, MerchantID: e.shop.ID, Amount: cny(3_00), TerminalID: "pos-1"})
	expectErr(err)
	if _, err := e.tmer.Delete(ctx, cred.Token.ID); err != nil {
		t.Fatal(err)
	}

	e.srv.Close() // every request logged
	log := buf.String()
	for _, want := range []string{"token refused", "token detokenized", "path=/v1/token_uses", "path=/v1/consumptions", iss.Token.ID, cred.Token.ID} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %q; is the backend logging?", want)
		}
	}
	if len(errs) != 11 {
		t.Errorf("%d refusals collected, want 11", len(errs))
	}
	outputs := map[string]string{"log": log}
	for i, err := range errs {
		if err != nil {
			outputs["error "+string(rune('a'+i))] = err.Error()
		}
	}
	for where, text := range outputs {
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s contains a secret (%d characters, ending %q)", where, len(s), s[len(s)-4:])
			}
		}
		if n := cardNumbers(text); len(n) > 0 {
			t.Errorf("%s contains %d Luhn-valid account-like numbers", where, len(n))
		}
	}
}
