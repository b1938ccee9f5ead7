package verify_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paykit-go/paykit/internal/clock"
	"github.com/paykit-go/paykit/internal/passwd"
	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/verify"
)

var pwT0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const (
	pwRight = "902417"
	pwWrong = "902418"
)

// pwVerifier returns a password verifier over a fresh store on a fake
// clock, with pwRight set for "u1".
func pwVerifier(t *testing.T) (*verify.PasswordVerifier, *passwd.Store, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(pwT0)
	s, err := passwd.NewStore(passwd.WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Set(context.Background(), "u1", pwRight); err != nil {
		t.Fatal(err)
	}
	return verify.NewPasswordVerifier(s), s, clk
}

func pwProof(secret string) verify.Proof {
	return verify.Proof{Method: verify.MethodPassword, Secret: secret}
}

// wantPayError checks err's kind, param and message.
func wantPayError(t *testing.T, err error, kind *pay.Error, param, msg string) {
	t.Helper()
	var pe *pay.Error
	if !errors.As(err, &pe) || !errors.Is(err, kind) || pe.Param != param || pe.Message != msg {
		t.Fatalf("err = %#v, want %s (param %q) %q", err, kind.Code, param, msg)
	}
}

func TestPasswordVerifier(t *testing.T) {
	v, s, _ := pwVerifier(t)
	ctx := context.Background()
	u1 := verify.Subject{UserID: "u1", DeviceID: "headset-1"}
	if v.Method() != verify.MethodPassword || v.Factor() != verify.FactorKnowledge {
		t.Fatalf("Method, Factor = %s, %s", v.Method(), v.Factor())
	}
	if err := v.Verify(ctx, u1, pwProof(pwRight)); err != nil {
		t.Fatalf("right password: %v", err)
	}
	err := v.Verify(ctx, u1, pwProof(pwWrong))
	wantPayError(t, err, verify.ErrFailed, "secret", "wrong payment password; 4 attempts left")
	if !errors.Is(err, passwd.ErrWrong) || err.(*pay.Error).Status() != http.StatusForbidden {
		t.Fatalf("wrong password error %v: passwd cause or status lost", err)
	}
	err = v.Verify(ctx, verify.Subject{UserID: "u2"}, pwProof(pwRight))
	wantPayError(t, err, verify.ErrNotSetUp, "", "no payment password is set")

	// Refused without evaluating or counting: empty secret, wrong method,
	// bad subject.
	for name, c := range map[string]struct {
		s     verify.Subject
		p     verify.Proof
		param string
	}{
		"empty secret":   {u1, pwProof(""), "secret"},
		"sms proof":      {u1, verify.Proof{Method: verify.MethodSMS, Secret: pwRight}, "method"},
		"no method":      {u1, verify.Proof{Secret: pwRight}, "method"},
		"no user":        {verify.Subject{}, pwProof(pwRight), "user_id"},
		"user with NUL":  {verify.Subject{UserID: "u1\x00x"}, pwProof(pwRight), "user_id"},
		"user too long":  {verify.Subject{UserID: strings.Repeat("u", 129)}, pwProof(pwRight), "user_id"},
		"bad UTF-8 user": {verify.Subject{UserID: "u\xff"}, pwProof(pwRight), "user_id"},
	} {
		var pe *pay.Error
		if err := v.Verify(ctx, c.s, c.p); !errors.As(err, &pe) || !errors.Is(err, pay.ErrInvalidRequest) || pe.Param != c.param {
			t.Errorf("%s: err = %v, want invalid_request (param %s)", name, err, c.param)
		}
	}
	if st, err := s.Status(ctx, "u1"); err != nil || st.Failures != 1 {
		t.Fatalf("Status = %+v, %v; want 1 failure (refused proofs must not count)", st, err)
	}
}

// Five wrong passwords lock the user for 15 minutes; the lock message says
// until when, the right password is refused during it and accepted after.
func TestPasswordVerifierLockout(t *testing.T) {
	v, _, clk := pwVerifier(t)
	ctx := context.Background()
	u1 := verify.Subject{UserID: "u1"}
	for i := 4; i >= 0; i-- {
		want := fmt.Sprintf("wrong payment password; %d attempts left", i)
		if i == 1 {
			want = "wrong payment password; 1 attempt left"
		}
		wantPayError(t, v.Verify(ctx, u1, pwProof(pwWrong)), verify.ErrFailed, "secret", want)
	}
	err := v.Verify(ctx, u1, pwProof(pwRight))
	wantPayError(t, err, verify.ErrLocked, "secret", "payment password locked until 2026-03-01T12:15:00Z")
	if !errors.Is(err, passwd.ErrLocked) {
		t.Fatalf("locked error %v: passwd cause lost", err)
	}
	clk.Advance(15 * time.Minute)
	if err := v.Verify(ctx, u1, pwProof(pwRight)); err != nil {
		t.Fatalf("right password after the lock: %v", err)
	}
}

// 64 concurrent wrong passwords through the verifier: exactly 5 are
// ErrFailed and 59 ErrLocked; the right one is then ErrLocked too.
func TestPasswordVerifierConcurrent(t *testing.T) {
	v, _, _ := pwVerifier(t)
	ctx := context.Background()
	u1 := verify.Subject{UserID: "u1"}
	var mu sync.Mutex
	counts := map[string]int{}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			<-start
			err := v.Verify(ctx, u1, pwProof(pwWrong))
			var pe *pay.Error
			code := "other"
			if errors.As(err, &pe) {
				code = pe.Code
			}
			mu.Lock()
			counts[code]++
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	if counts[verify.ErrFailed.Code] != 5 || counts[verify.ErrLocked.Code] != 59 || len(counts) != 2 {
		t.Fatalf("results %v, want 5 %s and 59 %s", counts, verify.ErrFailed.Code, verify.ErrLocked.Code)
	}
	if err := v.Verify(ctx, u1, pwProof(pwRight)); !errors.Is(err, verify.ErrLocked) {
		t.Fatalf("right password while locked: %v, want ErrLocked", err)
	}
}

type failingRecords struct{ passwd.Records }

func (failingRecords) Get(context.Context, string) (passwd.Record, bool, error) {
	return passwd.Record{}, false, errors.New("records offline")
}

// PasswordError maps each passwd outcome to its *pay.Error kind and keeps
// the passwd error as the in-process cause.
func TestPasswordError(t *testing.T) {
	until := time.Date(2026, 3, 1, 12, 15, 0, 0, time.FixedZone("CST", 8*3600))
	_, malformed := passwd.Verify("$argon2id$v=19$m=1,t=1,p=1$AAAA$AAAA", pwRight)
	store, err := passwd.NewStore(passwd.WithRecords(failingRecords{}))
	if err != nil {
		t.Fatal(err)
	}
	storage := store.Check(context.Background(), "u1", pwRight)
	for _, c := range []struct {
		in     error
		kind   *pay.Error
		param  string
		msg    string
		status int
	}{
		{&passwd.WrongError{Remaining: 3}, verify.ErrFailed, "secret", "wrong payment password; 3 attempts left", 403},
		{&passwd.WrongError{Remaining: 0}, verify.ErrFailed, "secret", "wrong payment password; 0 attempts left", 403},
		{&passwd.LockedError{Until: until}, verify.ErrLocked, "secret", "payment password locked until 2026-03-01T04:15:00Z", 403},
		{passwd.ErrNotSet, verify.ErrNotSetUp, "", "no payment password is set", 409},
		{passwd.ErrAlreadySet, pay.ErrConflict, "password", "a payment password is already set; change or reset it", 409},
		{passwd.CheckNew("123456"), pay.ErrInvalidRequest, "password", "the new password is not allowed: the digits run in sequence", 400},
		{passwd.CheckNew("1"), pay.ErrInvalidRequest, "password", "the new password is not allowed: a payment password has 6 to 64 characters", 400},
		{fmt.Errorf("%w: empty", passwd.ErrSubject), pay.ErrInvalidRequest, "user_id", "the user ID is empty or too long", 400},
		{malformed, pay.ErrInternal, "", "the payment password could not be checked", 500},
		{storage, pay.ErrInternal, "", "the payment password could not be checked", 500},
	} {
		got := verify.PasswordError(c.in)
		var pe *pay.Error
		if !errors.As(got, &pe) || !errors.Is(got, c.kind) || pe.Param != c.param || pe.Message != c.msg || pe.Status() != c.status {
			t.Errorf("PasswordError(%v) = %#v, want %s %q %q", c.in, got, c.kind.Code, c.param, c.msg)
			continue
		}
		if !errors.Is(got, c.in) {
			t.Errorf("PasswordError(%v) lost the cause", c.in)
		}
	}
	if verify.PasswordError(nil) != nil {
		t.Error("PasswordError(nil) != nil")
	}
	for _, e := range []error{context.Canceled, context.DeadlineExceeded, verify.ErrThrottled} {
		if got := verify.PasswordError(e); got != e {
			t.Errorf("PasswordError(%v) = %v, want it unchanged", e, got)
		}
	}
	once := verify.PasswordError(&passwd.WrongError{Remaining: 2})
	if twice := verify.PasswordError(once); twice != once {
		t.Errorf("PasswordError is not idempotent: %v then %v", once, twice)
	}
}

// No error of the verifier or of PasswordError contains the password, in
// any formatting.
func TestPasswordErrorsNeverContainPassword(t *testing.T) {
	v, s, _ := pwVerifier(t)
	ctx := context.Background()
	secrets := []string{pwRight, pwWrong, "123456", "531864"}
	var errs []error
	for _, pw := range []string{pwWrong, pwWrong, pwRight, "", pwWrong, pwWrong, pwWrong, pwWrong, pwRight} {
		errs = append(errs, v.Verify(ctx, verify.Subject{UserID: "u1"}, pwProof(pw)))
	}
	errs = append(errs,
		v.Verify(ctx, verify.Subject{UserID: "nobody"}, pwProof(pwRight)),
		v.Verify(ctx, verify.Subject{UserID: "u1"}, verify.Proof{Method: "sms_otp", Secret: pwRight}),
		verify.PasswordError(s.Set(ctx, "u1", "531864")),
		verify.PasswordError(s.Set(ctx, "u3", "123456")),
		verify.PasswordError(s.Change(ctx, "u1", pwRight, "123456")),
	)
	n := 0
	for _, e := range errs {
		if e == nil {
			continue
		}
		n++
		for _, text := range []string{e.Error(), fmt.Sprintf("%+v", e), fmt.Sprintf("%#v", e), fmt.Sprint(errors.Unwrap(e))} {
			for _, secret := range secrets {
				if strings.Contains(text, secret) {
					t.Errorf("error %q contains a password", text)
				}
			}
		}
	}
	if n != 12 {
		t.Fatalf("%d errors, want 12", n)
	}
}

// A headset purchase confirmed with the payment password.
func ExamplePasswordVerifier() {
	clk := clock.NewFake(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	store, err := passwd.NewStore(passwd.WithClock(clk))
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	fmt.Println(verify.PasswordError(store.Set(ctx, "user-42", "123456")))
	if err := store.Set(ctx, "user-42", "902417"); err != nil {
		panic(err)
	}
	v := verify.NewPasswordVerifier(store)
	headset := verify.Subject{UserID: "user-42", DeviceID: "quest-3"}
	fmt.Println(v.Verify(ctx, headset, verify.Proof{Method: verify.MethodPassword, Secret: "902418"}))
	fmt.Println(v.Verify(ctx, headset, verify.Proof{Method: verify.MethodPassword, Secret: "902417"}))
	// Output:
	// paykit: invalid_request: the new password is not allowed: the digits run in sequence (param password)
	// paykit: verification_failed: wrong payment password; 4 attempts left (param secret)
	// <nil>
}
