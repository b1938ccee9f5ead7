package verify

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/paykit-go/paykit/internal/passwd"
	"github.com/paykit-go/paykit/pay"
)

// Limits of security questions.
const (
	MinAnswerRunes      = 2   // after normalizing
	MaxAnswerRunes      = 128 // after normalizing
	MaxQuestionBytes    = 512 // question text
	MaxQuestionIDBytes  = 64
	MaxQuestionsPerUser = 16
)

// Question is a security question a user has answered.
type Question struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

// QuestionVerifier checks answers to security questions
// (MethodSecurityQuestion, a knowledge factor). Answers are normalized
// (NFKC, trimmed, inner whitespace collapsed to one space, lower-cased), so
// "  Beijing " and "beijing" are the same answer, and stored as Argon2id
// hashes in a passwd.Store keyed by user and question: each question has
// its own attempt limit and lockout (5 failures lock it for 15 minutes by
// default), so a user with three questions gives a guesser at most 15
// attempts per lockout period.
//
// The answers persist through the store's Records (passwd.WithRecords);
// the question texts that Questions lists are kept in memory.
type QuestionVerifier struct {
	answers *passwd.Store

	mu        sync.Mutex
	questions map[string]map[string]string // user ID -> question ID -> text
}

// NewQuestionVerifier returns a verifier whose answers live in a
// passwd.Store built with opts (clock, parameters, attempt limit, lockout,
// records). The store's password rule is replaced by the answer rule: 2 to
// 128 characters after normalizing.
func NewQuestionVerifier(opts ...passwd.Option) (*QuestionVerifier, error) {
	s, err := passwd.NewStore(append(slices.Clip(opts), passwd.WithRule(checkAnswer))...)
	if err != nil {
		return nil, fmt.Errorf("verify: security questions: %w", err)
	}
	return &QuestionVerifier{answers: s, questions: make(map[string]map[string]string)}, nil
}

// Method returns MethodSecurityQuestion.
func (*QuestionVerifier) Method() Method { return MethodSecurityQuestion }

// Factor returns FactorKnowledge.
func (*QuestionVerifier) Factor() Factor { return FactorKnowledge }

// normalizeAnswer puts an answer in the form its hash is made of: NFKC
// (full-width letters and digits become ASCII, ligatures split), trimmed,
// runs of white space inside made one space, lower case. It reports false
// for invalid UTF-8 and control characters other than white space.
func normalizeAnswer(a string) (string, bool) {
	if !utf8.ValidString(a) {
		return "", false
	}
	a = strings.Join(strings.Fields(norm.NFKC.String(a)), " ")
	for _, r := range a {
		if unicode.IsControl(r) {
			return "", false
		}
	}
	return strings.ToLower(a), true
}

// checkAnswer is the store's rule for normalized answers.
func checkAnswer(a string) error {
	if n := utf8.RuneCountInString(a); n < MinAnswerRunes || n > MaxAnswerRunes {
		return fmt.Errorf("%w: an answer has %d to %d characters", passwd.ErrWeak, MinAnswerRunes, MaxAnswerRunes)
	}
	return nil
}

// answerParam normalizes and checks an answer given in param; its errors
// never quote it.
func answerParam(param, answer string) (string, error) {
	a, ok := normalizeAnswer(answer)
	if !ok {
		return "", pay.Errorf(pay.ErrInvalidRequest, param, "the answer must be valid UTF-8 without control characters")
	}
	if err := checkAnswer(a); err != nil {
		return "", pay.Errorf(pay.ErrInvalidRequest, param, "an answer has %d to %d characters", MinAnswerRunes, MaxAnswerRunes)
	}
	return a, nil
}

// answerKey is the store subject of a user's question. Neither ID may
// contain 0x00 (checkSubjectID and pay.CheckText refuse control
// characters), so the key is unambiguous.
func answerKey(userID, questionID string) string { return userID + "\x00" + questionID }

// SetAnswer sets (or replaces) userID's answer to the question questionID
// with text question. Replacing an answer also lifts the question's lock;
// the caller must have authenticated the user. A user has at most 16
// questions. Bad input (an answer under 2 characters after normalizing, an
// empty question, IDs with control characters) is pay.ErrInvalidRequest
// and changes nothing.
func (q *QuestionVerifier) SetAnswer(ctx context.Context, userID, questionID, question, answer string) error {
	if err := checkSubjectID("user_id", userID, true); err != nil {
		return err
	}
	if err := pay.CheckText("question_id", questionID, true, MaxQuestionIDBytes); err != nil {
		return err
	}
	if err := pay.CheckText("question", question, true, MaxQuestionBytes); err != nil {
		return err
	}
	a, err := answerParam("answer", answer)
	if err != nil {
		return err
	}
	if q.full(userID, questionID) {
		return pay.Errorf(pay.ErrConflict, "question_id", "a user may have at most %d security questions", MaxQuestionsPerUser)
	}
	key := answerKey(userID, questionID)
	err = q.answers.Set(ctx, key, a)
	if errors.Is(err, passwd.ErrAlreadySet) {
		err = q.answers.Reset(ctx, key, a)
	}
	if err != nil {
		return passwdError(err, "security answer", "question_id")
	}

	q.mu.Lock()
	defer q.mu.Unlock()
	qs := q.questions[userID]
	if _, ok := qs[questionID]; !ok && len(qs) >= MaxQuestionsPerUser {
		// Another call filled the last slot meanwhile; undo this answer,
		// which no one else wrote (its question ID is new).
		_ = q.answers.Delete(context.WithoutCancel(ctx), key)
		return pay.Errorf(pay.ErrConflict, "question_id", "a user may have at most %d security questions", MaxQuestionsPerUser)
	}
	if qs == nil {
		qs = make(map[string]string)
		q.questions[userID] = qs
	}
	qs[questionID] = question
	return nil
}

// full reports whether userID has no room for a new question questionID.
func (q *QuestionVerifier) full(userID, questionID string) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	qs := q.questions[userID]
	_, ok := qs[questionID]
	return !ok && len(qs) >= MaxQuestionsPerUser
}

// Questions lists userID's security questions by ID, for a client to ask
// one. It never returns answers.
func (q *QuestionVerifier) Questions(ctx context.Context, userID string) ([]Question, error) {
	if err := checkSubjectID("user_id", userID, true); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]Question, 0, len(q.questions[userID]))
	for id, text := range q.questions[userID] {
		out = append(out, Question{ID: id, Text: text})
	}
	slices.SortFunc(out, func(a, b Question) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// Verify checks p.Secret as s.UserID's answer to question p.QuestionID. A
// wrong answer is ErrFailed with the attempts left, a locked question
// ErrLocked, a question the user never answered ErrNotSetUp. An answer
// that no stored answer can equal (empty, under 2 or over 128 characters
// after normalizing, invalid UTF-8, control characters) is refused as
// pay.ErrInvalidRequest without being evaluated or counted.
func (q *QuestionVerifier) Verify(ctx context.Context, s Subject, p Proof) error {
	if err := checkProofMethod(MethodSecurityQuestion, p); err != nil {
		return err
	}
	if err := checkSubject(s, false); err != nil {
		return err
	}
	if err := pay.CheckText("question_id", p.QuestionID, true, MaxQuestionIDBytes); err != nil {
		return err
	}
	if p.Secret == "" {
		return pay.Errorf(pay.ErrInvalidRequest, "secret", "the answer is required")
	}
	a, err := answerParam("secret", p.Secret)
	if err != nil {
		return err
	}
	return passwdError(q.answers.Check(ctx, answerKey(s.UserID, p.QuestionID), a), "security answer", "question_id")
}
