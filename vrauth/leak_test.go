package vrauth_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/paykit-go/paykit/internal/clock"
	"github.com/paykit-go/paykit/verify"
	"github.com/paykit-go/paykit/vrauth"
)

// vtFlakySender records messages in an Outbox but fails every approval
// link, so the service has something to log.
type vtFlakySender struct{ *verify.Outbox }

func (s vtFlakySender) Send(ctx context.Context, m verify.Message) error {
	if m.Kind == vrauth.KindApproval {
		return errors.New("smtp: 451 try again later")
	}
	return s.Outbox.Send(ctx, m)
}

// TestNoSecretsInLogsOrErrors runs enrollment, a terminal, a cross-
// terminal order whose links can't be sent, and a proxy debit with wrong
// secrets through a service logging at debug level, and checks that
// neither the log nor any error carries a code, password, device code or
// link token.
func TestNoSecretsInLogsOrErrors(t *testing.T) {
	e := vtNew(t)
	var logged bytes.Buffer
	out := verify.NewOutbox()
	svc, err := vrauth.New(e.srv.Channels, vrauth.WithPublicURL(e.srv.URL), vrauth.WithClock(clock.NewFake(vtStart)),
		vrauth.WithSender(vtFlakySender{out}), vrauth.WithLogger(slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	if err != nil {
		t.Fatal(err)
	}
	ctx := e.ctx
	var (
		secrets []string
		errs    []error
	)
	mobile := vtMobile()
	en, err := svc.Register(ctx, vrauth.RegisterRequest{Name: "Ada", Mobile: mobile})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := out.Last(mobile)
	code := vtCodeRE.FindString(m.Body)
	secrets = append(secrets, code)
	_, err = svc.VerifyMobile(ctx, en.User.ID, en.CodeID, vtWrongCode(code))
	errs = append(errs, err)
	if _, err := svc.VerifyMobile(ctx, en.User.ID, en.CodeID, code); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddHeadset(ctx, en.User.ID, vrauth.HeadsetRequest{ID: "quest-leak"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddTerminal(ctx, en.User.ID, vrauth.TerminalRequest{Name: "Phone", Address: "leak@example.com"}); err != nil {
		t.Fatal(err)
	}
	act, _ := out.Last("leak@example.com")
	token := strings.TrimPrefix(act.Link, e.srv.URL+"/vr/activate/")
	_, cookie, err := svc.ActivateTerminal(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, token, cookie)
	st, err := svc.Checkout(ctx, vrauth.CheckoutRequest{UserID: en.User.ID, HeadsetID: "quest-leak", Order: vtOrder(1_00)})
	if err != nil {
		t.Fatalf("a failed link must not fail the order (the code still works): %v", err)
	}
	secrets = append(secrets, st.DeviceCode, strings.ReplaceAll(st.UserCode, "-", ""))
	if !strings.Contains(logged.String(), "approval link not sent") {
		t.Fatalf("the failed link wasn't logged:\n%s", logged.String())
	}
	// The code typed on the activated terminal yields a link of its own.
	link, err := svc.EnterCode(ctx, "192.0.2.1", cookie, st.UserCode)
	if err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, link)
	_, err = svc.EnterCode(ctx, "192.0.2.1", cookie, "BBBB-BBBB")
	errs = append(errs, err)
	_, err = svc.Poll(ctx, st.DeviceCode)
	errs = append(errs, err)

	if err := svc.SetPassword(ctx, en.User.ID, vrauth.PasswordRequest{Password: vtPassword}); err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, vtPassword, vtWrongPass)
	_, err = svc.Checkout(ctx, vrauth.CheckoutRequest{UserID: en.User.ID, HeadsetID: "quest-leak", Order: vtOrder(1_00), Mode: vrauth.ModeProxyDebit,
		Proofs: []verify.Proof{{Method: verify.MethodPassword, Secret: vtWrongPass}}})
	errs = append(errs, err)
	err = svc.ChangePassword(ctx, en.User.ID, vrauth.PasswordRequest{OldPassword: vtWrongPass, Password: vtPassword})
	errs = append(errs, err)
	err = svc.SetPassword(ctx, en.User.ID, vrauth.PasswordRequest{Password: vtPassword})
	errs = append(errs, err)

	for i, err := range errs {
		if err == nil {
			t.Fatalf("error %d: nil, want a refusal", i)
		}
	}
	for _, s := range secrets {
		if s == "" {
			t.Fatal("empty secret")
		}
		if strings.Contains(logged.String(), s) {
			t.Errorf("the log contains a secret (%d chars):\n%s", len(s), logged.String())
		}
		for _, err := range errs {
			if strings.Contains(err.Error(), s) {
				t.Errorf("error %q contains a secret", err)
			}
		}
	}
	// A request carrying secrets prints none of them, however it's logged.
	r := vrauth.PasswordRequest{Password: vtPassword, OldPassword: vtWrongPass, Code: code}
	var text, js bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("x", "req", r)
	slog.New(slog.NewJSONHandler(&js, nil)).Info("x", "req", r)
	for _, s := range []string{fmt.Sprint(r), fmt.Sprintf("%+v", r), fmt.Sprintf("%#v", r), text.String(), js.String()} {
		for _, secret := range []string{vtPassword, vtWrongPass, code} {
			if strings.Contains(s, secret) {
				t.Errorf("a PasswordRequest prints a secret: %s", s)
			}
		}
	}
}
