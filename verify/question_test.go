package verify_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/paykit-go/paykit/internal/clock"
	"github.com/paykit-go/paykit/internal/passwd"
	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/verify"
)

func qVerifier(t *testing.T, opts ...passwd.Option) (*verify.QuestionVerifier, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(pwT0)
	q, err := verify.NewQuestionVerifier(append([]passwd.Option{passwd.WithClock(clk)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return q, clk
}

func qProof(questionID, answer string) verify.Proof {
	return verify.Proof{Method: verify.MethodSecurityQuestion, QuestionID: questionID, Secret: answer}
}

// Answers match after normalizing (NFKC, trim, inner spaces, case) and not
// otherwise; Questions lists the texts by ID; replacing an answer retires
// the old one.
func TestQuestionVerifier(t *testing.T) {
	q, _ := qVerifier(t)
	ctx := context.Background()
	u1 := verify.Subject{UserID: "u1"}
	if q.Method() != verify.MethodSecurityQuestion || q.Factor() != verify.FactorKnowledge {
		t.Fatalf("Method, Factor = %s, %s", q.Method(), q.Factor())
	}
	if err := q.SetAnswer(ctx, "u1", "city", "Where were you born?", "  Beijing "); err != nil {
		t.Fatal(err)
	}
	if err := q.SetAnswer(ctx, "u1", "pet", "Your first pet's name?", "Mr.   Whiskers"); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"beijing", "BEIJING", "\tＢｅｉｊｉｎｇ\u3000"} {
		if err := q.Verify(ctx, u1, qProof("city", a)); err != nil {
			t.Errorf("answer %q: %v", a, err)
		}
	}
	if err := q.Verify(ctx, u1, qProof("pet", "mr. whiskers")); err != nil {
		t.Errorf("collapsed spaces: %v", err)
	}
	wantPayError(t, q.Verify(ctx, u1, qProof("city", "bei jing")), verify.ErrFailed, "secret", "wrong security answer; 4 attempts left")
	wantPayError(t, q.Verify(ctx, u1, qProof("pet", "beijing")), verify.ErrFailed, "secret", "wrong security answer; 4 attempts left")

	got, err := q.Questions(ctx, "u1")
	if err != nil {
		t.Fatal(err)
	}
	want := []verify.Question{{ID: "city", Text: "Where were you born?"}, {ID: "pet", Text: "Your first pet's name?"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("Questions (-want +got):\n%s", d)
	}
	if got, err := q.Questions(ctx, "u2"); err != nil || len(got) != 0 {
		t.Fatalf("Questions(u2) = %v, %v; want none", got, err)
	}

	if err := q.SetAnswer(ctx, "u1", "city", "Which city were you born in?", "Shanghai"); err != nil {
		t.Fatal(err)
	}
	wantPayError(t, q.Verify(ctx, u1, qProof("city", "beijing")), verify.ErrFailed, "secret", "wrong security answer; 4 attempts left")
	if err := q.Verify(ctx, u1, qProof("city", "shanghai")); err != nil {
		t.Fatalf("new answer: %v", err)
	}
	if got, _ := q.Questions(ctx, "u1"); len(got) != 2 || got[0].Text != "Which city were you born in?" {
		t.Fatalf("Questions after replacing = %v", got)
	}
}

// Five wrong answers lock that question for 15 minutes — the right answer
// too — while the user's other questions stay open.
func TestQuestionLockout(t *testing.T) {
	q, clk := qVerifier(t)
	ctx := context.Background()
	u1 := verify.Subject{UserID: "u1"}
	if err := q.SetAnswer(ctx, "u1", "city", "Where were you born?", "Beijing"); err != nil {
		t.Fatal(err)
	}
	if err := q.SetAnswer(ctx, "u1", "pet", "Your first pet's name?", "Whiskers"); err != nil {
		t.Fatal(err)
	}
	for i := 4; i >= 0; i-- {
		if err := q.Verify(ctx, u1, qProof("city", "Nanjing")); !errors.Is(err, verify.ErrFailed) {
			t.Fatalf("wrong answer %d: %v", 5-i, err)
		}
	}
	wantPayError(t, q.Verify(ctx, u1, qProof("city", "Beijing")), verify.ErrLocked, "secret", "security answer locked until 2026-03-01T12:15:00Z")
	if err := q.Verify(ctx, u1, qProof("pet", "whiskers")); err != nil {
		t.Fatalf("other question while the first is locked: %v", err)
	}
	clk.Advance(15 * time.Minute)
	if err := q.Verify(ctx, u1, qProof("city", "Beijing")); err != nil {
		t.Fatalf("right answer after the lock: %v", err)
	}
}

// Unknown questions and users are ErrNotSetUp; malformed input is
// invalid_request, changes nothing and counts no failure.
func TestQuestionBadInput(t *testing.T) {
	q, _ := qVerifier(t, passwd.WithMaxFailures(1))
	ctx := context.Background()
	u1 := verify.Subject{UserID: "u1"}
	if err := q.SetAnswer(ctx, "u1", "city", "Where were you born?", "Beijing"); err != nil {
		t.Fatal(err)
	}
	wantPayError(t, q.Verify(ctx, u1, qProof("school", "beijing")), verify.ErrNotSetUp, "question_id", "no security answer is set")
	wantPayError(t, q.Verify(ctx, verify.Subject{UserID: "u2"}, qProof("city", "beijing")), verify.ErrNotSetUp, "question_id", "no security answer is set")

	for name, c := range map[string]struct {
		s     verify.Subject
		p     verify.Proof
		param string
	}{
		"empty answer":      {u1, qProof("city", ""), "secret"},
		"blank answer":      {u1, qProof("city", " \t "), "secret"},
		"one character":     {u1, qProof("city", " B "), "secret"},
		"129 characters":    {u1, qProof("city", strings.Repeat("b", 129)), "secret"},
		"control character": {u1, qProof("city", "Bei\x00jing"), "secret"},
		"invalid UTF-8":     {u1, qProof("city", "Bei\xffjing"), "secret"},
		"no question":       {u1, qProof("", "Beijing"), "question_id"},
		"question with NUL": {u1, qProof("ci\x00ty", "Beijing"), "question_id"},
		"question too long": {u1, qProof(strings.Repeat("q", 65), "Beijing"), "question_id"},
		"no user":           {verify.Subject{}, qProof("city", "Beijing"), "user_id"},
		"user with NUL":     {verify.Subject{UserID: "u1\x00city"}, qProof("x", "Beijing"), "user_id"},
		"password proof":    {u1, verify.Proof{Method: verify.MethodPassword, QuestionID: "city", Secret: "Beijing"}, "method"},
		"method not given":  {u1, verify.Proof{QuestionID: "city", Secret: "Beijing"}, "method"},
	} {
		var pe *pay.Error
		if err := q.Verify(ctx, c.s, c.p); !errors.As(err, &pe) || !errors.Is(err, pay.ErrInvalidRequest) || pe.Param != c.param {
			t.Errorf("Verify %s: %v, want invalid_request (param %s)", name, err, c.param)
		}
	}
	for name, c := range map[string]struct {
		user, id, question, answer, param string
	}{
		"short answer":    {"u1", "pet", "Your first pet?", "x", "answer"},
		"blank answer":    {"u1", "pet", "Your first pet?", "   ", "answer"},
		"long answer":     {"u1", "pet", "Your first pet?", strings.Repeat("猫", 129), "answer"},
		"control answer":  {"u1", "pet", "Your first pet?", "Whis\x07kers", "answer"},
		"no question":     {"u1", "pet", "", "Whiskers", "question"},
		"control text":    {"u1", "pet", "Your\nfirst pet?", "Whiskers", "question"},
		"long text":       {"u1", "pet", strings.Repeat("?", 513), "Whiskers", "question"},
		"no question ID":  {"u1", "", "Your first pet?", "Whiskers", "question_id"},
		"NUL question ID": {"u1", "p\x00et", "Your first pet?", "Whiskers", "question_id"},
		"no user":         {"", "pet", "Your first pet?", "Whiskers", "user_id"},
		"NUL user":        {"u\x001", "pet", "Your first pet?", "Whiskers", "user_id"},
	} {
		var pe *pay.Error
		if err := q.SetAnswer(ctx, c.user, c.id, c.question, c.answer); !errors.As(err, &pe) || !errors.Is(err, pay.ErrInvalidRequest) || pe.Param != c.param {
			t.Errorf("SetAnswer %s: %v, want invalid_request (param %s)", name, err, c.param)
		}
	}
	// With one failure allowed, any counted attempt above would have locked
	// "city"; the right answer still passes, and no question was added.
	if err := q.Verify(ctx, u1, qProof("city", "beijing")); err != nil {
		t.Fatalf("right answer after refused input: %v", err)
	}
	if got, _ := q.Questions(ctx, "u1"); len(got) != 1 {
		t.Fatalf("Questions = %v, want only city", got)
	}
	if _, err := q.Questions(ctx, ""); !errors.Is(err, pay.ErrInvalidRequest) {
		t.Fatalf("Questions(\"\") = %v", err)
	}
	if _, err := verify.NewQuestionVerifier(passwd.WithMaxFailures(0)); !errors.Is(err, passwd.ErrParams) {
		t.Fatalf("NewQuestionVerifier with a bad option = %v, want passwd.ErrParams", err)
	}
}

// A user may have at most MaxQuestionsPerUser questions; replacing one
// when full is allowed. (The answers are hashed at the real parameters, so
// this test makes 17 hashes.)
func TestQuestionLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("17 Argon2id hashes")
	}
	q, _ := qVerifier(t)
	ctx := context.Background()
	for i := range verify.MaxQuestionsPerUser {
		if err := q.SetAnswer(ctx, "u1", fmt.Sprintf("q%02d", i), "Question?", "answer"); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.SetAnswer(ctx, "u1", "q99", "One more?", "answer"); !errors.Is(err, pay.ErrConflict) {
		t.Fatalf("17th question: %v, want conflict", err)
	}
	if err := q.SetAnswer(ctx, "u1", "q00", "Replaced?", "other answer"); err != nil {
		t.Fatalf("replacing a question when full: %v", err)
	}
	got, _ := q.Questions(ctx, "u1")
	if len(got) != verify.MaxQuestionsPerUser || got[0] != (verify.Question{ID: "q00", Text: "Replaced?"}) {
		t.Fatalf("Questions = %d, first %v", len(got), got[0])
	}
	if err := q.Verify(ctx, verify.Subject{UserID: "u1"}, qProof("q99", "answer")); !errors.Is(err, verify.ErrNotSetUp) {
		t.Fatalf("refused question answered: %v", err)
	}
}

// No error contains the answer, in any formatting.
func TestQuestionErrorsNeverContainAnswer(t *testing.T) {
	q, _ := qVerifier(t, passwd.WithMaxFailures(2))
	ctx := context.Background()
	u1 := verify.Subject{UserID: "u1"}
	answers := []string{"Beijing", "beijing", "Nanjing", "nanjing", "Whis\x07kers", "Bei\xffjing", "bei jing"}
	var errs []error
	errs = append(errs,
		q.SetAnswer(ctx, "u1", "city", "Where were you born?", "Beijing"),
		q.SetAnswer(ctx, "u1", "pet", "Your first pet?", "Whis\x07kers"),
		q.SetAnswer(ctx, "u1", "pet", "Your first pet?", "Bei\xffjing"),
	)
	for _, a := range []string{"Nanjing", "bei jing", "Beijing", "Bei\xffjing", "nanjing"} {
		errs = append(errs, q.Verify(ctx, u1, qProof("city", a)), q.Verify(ctx, u1, qProof("pet", a)))
	}
	n := 0
	for _, e := range errs {
		if e == nil {
			continue
		}
		n++
		for _, text := range []string{e.Error(), fmt.Sprintf("%+v", e), fmt.Sprintf("%#v", e), fmt.Sprint(errors.Unwrap(e))} {
			for _, a := range answers {
				if strings.Contains(strings.ToLower(text), strings.ToLower(a)) {
					t.Errorf("error %q contains an answer", text)
				}
			}
		}
	}
	if n != 12 {
		t.Fatalf("%d errors, want 12", n)
	}
}

// A security question asked before a large payment.
func ExampleQuestionVerifier() {
	q, err := verify.NewQuestionVerifier(passwd.WithClock(clock.NewFake(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))))
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	if err := q.SetAnswer(ctx, "user-42", "city", "In which city were you born?", "  Beijing "); err != nil {
		panic(err)
	}
	qs, _ := q.Questions(ctx, "user-42")
	fmt.Println(qs)
	user := verify.Subject{UserID: "user-42"}
	fmt.Println(q.Verify(ctx, user, verify.Proof{Method: verify.MethodSecurityQuestion, QuestionID: "city", Secret: "BEIJING"}))
	fmt.Println(q.Verify(ctx, user, verify.Proof{Method: verify.MethodSecurityQuestion, QuestionID: "city", Secret: "Shanghai"}))
	fmt.Println(q.Verify(ctx, user, verify.Proof{Method: verify.MethodSecurityQuestion, QuestionID: "school", Secret: "Beijing"}))
	// Output:
	// [{city In which city were you born?}]
	// <nil>
	// paykit: verification_failed: wrong security answer; 4 attempts left (param secret)
	// paykit: verification_not_set_up: no security answer is set (param question_id)
}
