package im

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/paykit-go/paykit/internal/passwd"
	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/pay/account"
	"github.com/paykit-go/paykit/verify"
)

// Step is where a conversation stands: what the subsystem asked for last.
type Step string

// The steps. A conversation starts empty; a start request lists the bills
// (StepChooseBill), choosing one asks for the password (StepEnterPassword),
// and a payment or a cancel ends it (StepDone). A start request begins
// again at any step.
const (
	StepChooseBill    Step = "choose_bill"
	StepEnterPassword Step = "enter_password"
	StepDone          Step = "done"
)

// Conversation is the state the subsystem keeps per conversation ID. The
// first device that speaks in a conversation owns it; the others are
// refused (ErrUnexpected).
type Conversation struct {
	ID         string    `json:"id"`
	DeviceID   string    `json:"device_id"`
	CustomerID string    `json:"customer_id"`
	Step       Step      `json:"step"`
	BillID     string    `json:"bill_id,omitempty"` // the chosen bill
	UpdatedAt  time.Time `json:"updated_at"`
}

// NewConversationID returns a fresh random conversation ID ("imc_…"), one
// a relay and an envelope header both accept.
func NewConversationID() string { return pay.NewID("imc") }

// Conversation returns the state of a conversation.
func (s *Subsystem) Conversation(ctx context.Context, id string) (Conversation, error) {
	return s.store.Conversation(ctx, id)
}

// step runs one authentic, fresh request of the device's customer.
func (s *Subsystem) step(ctx context.Context, dev Device, conversationID string, req Request) (Prompt, error) {
	conv, err := s.store.Conversation(ctx, conversationID)
	switch {
	case errors.Is(err, pay.ErrNotFound):
		conv = Conversation{ID: conversationID}
	case err != nil:
		return Prompt{}, s.internal(ctx, "reading a conversation", err)
	}
	if conv.DeviceID != "" && conv.DeviceID != dev.ID {
		return Prompt{}, pay.Errorf(ErrUnexpected, "conversation_id", "the conversation belongs to another device; start a new one")
	}
	switch req.Kind {
	case RequestStart:
		return s.start(ctx, dev, conversationID)
	case RequestChooseBill:
		return s.choose(ctx, dev, conversationID, req.BillID)
	case RequestPay:
		if conv.Step != StepEnterPassword || conv.BillID != req.BillID {
			return Prompt{}, pay.Errorf(ErrUnexpected, "bill_id", "choose the bill in this conversation before paying it")
		}
		return s.pay(ctx, dev, conversationID, req)
	case RequestCancel:
		if err := s.advance(ctx, dev, conversationID, StepDone, ""); err != nil {
			return Prompt{}, err
		}
		return Prompt{Kind: PromptResult, BillID: conv.BillID, Reason: "cancelled by the customer"}, nil
	}
	return Prompt{}, pay.Errorf(ErrMalformed, "kind", "unknown request kind")
}

// start lists the customer's outstanding bills, oldest first (at most
// MaxBills).
func (s *Subsystem) start(ctx context.Context, dev Device, conversationID string) (Prompt, error) {
	bills, err := s.platform.Bills(ctx, dev.CustomerID, account.BillOutstanding)
	if err != nil {
		return Prompt{}, s.internal(ctx, "listing bills", err)
	}
	p := Prompt{Kind: PromptChooseBill}
	for _, b := range bills[:min(len(bills), MaxBills)] {
		p.Bills = append(p.Bills, BillItem{ID: b.ID, Description: b.Description, Amount: b.Amount})
	}
	if err := s.advance(ctx, dev, conversationID, StepChooseBill, ""); err != nil {
		return Prompt{}, err
	}
	return p, nil
}

// choose picks an outstanding bill of the customer and asks for the
// payment password, with the attempts left.
func (s *Subsystem) choose(ctx context.Context, dev Device, conversationID, billID string) (Prompt, error) {
	b, err := s.outstanding(ctx, dev.CustomerID, billID)
	if err != nil {
		return Prompt{}, err
	}
	st, err := s.passwords.Status(ctx, dev.CustomerID)
	switch {
	case err != nil:
		return Prompt{}, s.internal(ctx, "reading the password status", err)
	case !st.Set:
		return Prompt{}, verify.PasswordError(passwd.ErrNotSet)
	case !st.LockedUntil.IsZero():
		return Prompt{}, verify.PasswordError(&passwd.LockedError{Until: st.LockedUntil})
	}
	if err := s.advance(ctx, dev, conversationID, StepEnterPassword, b.ID); err != nil {
		return Prompt{}, err
	}
	return Prompt{Kind: PromptEnterPassword, BillID: b.ID, Amount: b.Amount, AttemptsLeft: max(1, s.passwords.MaxFailures()-st.Failures)}, nil
}

// pay checks the payment elements and pays the bill. Payments of one bill
// run one at a time here, so of many concurrent requests for a bill one
// checks the password and pays and the others find it paid, without
// spending password attempts; PayBill's own lock keeps a bill paid at most
// once across processes.
func (s *Subsystem) pay(ctx context.Context, dev Device, conversationID string, req Request) (Prompt, error) {
	release, err := s.bills.acquire(ctx, req.BillID)
	if err != nil {
		return Prompt{}, err
	}
	defer release()
	b, err := s.outstanding(ctx, dev.CustomerID, req.BillID)
	if err != nil {
		return Prompt{}, err
	}
	w, err := s.platform.Wallet(ctx, req.WalletID)
	switch {
	case errors.Is(err, pay.ErrNotFound) || err == nil && w.CustomerID != dev.CustomerID:
		return Prompt{}, pay.Errorf(ErrWallet, "wallet_id", "the payment account is not one of the customer's wallets")
	case err != nil:
		return Prompt{}, s.internal(ctx, "reading a wallet", err)
	case w.Currency != b.Amount.Currency:
		return Prompt{}, pay.Errorf(ErrWallet, "wallet_id", "the payment account holds %s; the bill is in %s", w.Currency, b.Amount.Currency)
	}
	if req.Amount != b.Amount {
		return Prompt{}, pay.Errorf(ErrAmount, "amount", "the amount does not equal the bill's amount")
	}
	if err := verify.PasswordError(s.passwords.Check(ctx, dev.CustomerID, req.Password)); err != nil {
		return Prompt{}, err
	}
	paid, err := s.platform.PayBill(ctx, b.ID, w.ID)
	switch {
	case errors.Is(err, pay.ErrConflict):
		return Prompt{}, pay.Errorf(ErrBill, "bill_id", "the bill is already paid")
	case errors.Is(err, pay.ErrInsufficientFunds):
		return Prompt{}, pay.Errorf(pay.ErrInsufficientFunds, "wallet_id", "the payment account's balance is less than the bill")
	case err != nil:
		return Prompt{}, s.internal(ctx, "paying a bill", err)
	}
	if err := s.advance(ctx, dev, conversationID, StepDone, ""); err != nil {
		// The bill is paid: say so, whatever became of the state.
		s.log.ErrorContext(ctx, "im: recording a paid conversation failed", "conversation_id", conversationID, "err", err)
	}
	return Prompt{
		Kind: PromptResult, Paid: true, BillID: paid.ID, Amount: paid.Amount,
		Cleared: paid.Status == account.BillPaid, TransactionID: paid.TransactionID,
	}, nil
}

// outstanding returns the customer's outstanding bill with the ID, or
// ErrBill: unknown, another customer's (told apart from unknown by
// nothing), or already paid.
func (s *Subsystem) outstanding(ctx context.Context, customerID, billID string) (account.Bill, error) {
	b, err := s.platform.Bill(ctx, billID)
	switch {
	case errors.Is(err, pay.ErrNotFound) || err == nil && b.CustomerID != customerID:
		return account.Bill{}, pay.Errorf(ErrBill, "bill_id", "the customer has no such bill")
	case err != nil:
		return account.Bill{}, s.internal(ctx, "reading a bill", err)
	case b.Status != account.BillOutstanding:
		return account.Bill{}, pay.Errorf(ErrBill, "bill_id", "the bill is already paid")
	}
	return b, nil
}

// advance records the conversation's new step, binding it to the device
// the first time.
func (s *Subsystem) advance(ctx context.Context, dev Device, conversationID string, step Step, billID string) error {
	_, err := s.store.UpdateConversation(ctx, conversationID, func(c *Conversation) error {
		if c.DeviceID != "" && c.DeviceID != dev.ID {
			return pay.Errorf(ErrUnexpected, "conversation_id", "the conversation belongs to another device; start a new one")
		}
		c.DeviceID, c.CustomerID, c.Step, c.BillID = dev.ID, dev.CustomerID, step, billID
		c.UpdatedAt = s.clock.Now().UTC()
		return nil
	})
	var pe *pay.Error
	if err != nil && !errors.As(err, &pe) {
		return s.internal(ctx, "recording a conversation", err)
	}
	return err
}

// gates serialises work per key (a bill ID) within one subsystem.
type gates struct {
	mu sync.Mutex
	m  map[string]*gate
}

// gate is a semaphore of one; refs counts its holder and waiters, so it
// leaves the map when unused.
type gate struct {
	ch   chan struct{}
	refs int
}

// acquire waits until the caller is alone on key, or ctx ends.
func (g *gates) acquire(ctx context.Context, key string) (release func(), err error) {
	g.mu.Lock()
	if g.m == nil {
		g.m = map[string]*gate{}
	}
	e := g.m[key]
	if e == nil {
		e = &gate{ch: make(chan struct{}, 1)}
		g.m[key] = e
	}
	e.refs++
	g.mu.Unlock()
	drop := func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		if e.refs--; e.refs == 0 {
			delete(g.m, key)
		}
	}
	select {
	case e.ch <- struct{}{}:
		return func() { <-e.ch; drop() }, nil
	case <-ctx.Done():
		drop()
		return nil, ctx.Err()
	}
}
