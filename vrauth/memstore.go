package vrauth

import (
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/paykit-go/paykit/pay"
)

// MemStore is the in-memory Store: one lock over maps and their indexes.
// Records are copied in and out, so callers never share memory with it.
type MemStore struct {
	mu         sync.Mutex
	users      map[string]User
	terminals  map[string]Terminal
	auths      map[string]Authorization
	agreements map[string]Agreement

	termByActivation map[[32]byte]string
	termBySecret     map[[32]byte]string
	authByDevice     map[[32]byte]string
	authByCode       map[string]string
	authByLink       map[[32]byte]string
	authByPayment    map[string]string
}

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore {
	return &MemStore{
		users: map[string]User{}, terminals: map[string]Terminal{}, auths: map[string]Authorization{}, agreements: map[string]Agreement{},
		termByActivation: map[[32]byte]string{}, termBySecret: map[[32]byte]string{},
		authByDevice: map[[32]byte]string{}, authByCode: map[string]string{}, authByLink: map[[32]byte]string{}, authByPayment: map[string]string{},
	}
}

func notFound(what, id string) error {
	return pay.Errorf(pay.ErrNotFound, what, "no %s %s", what, pay.Clip(id, 64))
}

func cloneUser(u User) User { u.Headsets = slices.Clone(u.Headsets); return u }

func cloneAuth(a Authorization) Authorization {
	a.Order.Items = slices.Clone(a.Order.Items)
	a.Methods = slices.Clone(a.Methods)
	a.Links = slices.Clone(a.Links)
	a.Requirement.Methods = slices.Clone(a.Requirement.Methods)
	a.Requirement.Required = slices.Clone(a.Requirement.Required)
	return a
}

// InsertUser implements Store.
func (m *MemStore) InsertUser(_ context.Context, u User) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.users[u.ID]; ok {
		return pay.Errorf(pay.ErrConflict, "id", "user %s exists", u.ID)
	}
	m.users[u.ID] = cloneUser(u)
	return nil
}

// User implements Store.
func (m *MemStore) User(_ context.Context, id string) (User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.users[id]
	if !ok {
		return User{}, notFound("user", id)
	}
	return cloneUser(u), nil
}

// UpdateUser implements Store.
func (m *MemStore) UpdateUser(_ context.Context, id string, fn func(*User) error) (User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.users[id]
	if !ok {
		return User{}, notFound("user", id)
	}
	u = cloneUser(u)
	if err := fn(&u); err != nil {
		return User{}, err
	}
	m.users[id] = cloneUser(u)
	return u, nil
}

// InsertTerminal implements Store.
func (m *MemStore) InsertTerminal(_ context.Context, t Terminal) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.terminals[t.ID]; ok {
		return pay.Errorf(pay.ErrConflict, "id", "terminal %s exists", t.ID)
	}
	m.terminals[t.ID] = t
	m.indexTerminal(Terminal{}, t)
	return nil
}

func (m *MemStore) indexTerminal(old, t Terminal) {
	var zero [32]byte
	if old.ActivationHash != zero {
		delete(m.termByActivation, old.ActivationHash)
	}
	if old.SecretHash != zero {
		delete(m.termBySecret, old.SecretHash)
	}
	if t.ActivationHash != zero {
		m.termByActivation[t.ActivationHash] = t.ID
	}
	if t.SecretHash != zero {
		m.termBySecret[t.SecretHash] = t.ID
	}
}

// Terminal implements Store.
func (m *MemStore) Terminal(_ context.Context, id string) (Terminal, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.terminals[id]
	if !ok {
		return Terminal{}, notFound("terminal", id)
	}
	return t, nil
}

func (m *MemStore) terminalBy(idx map[[32]byte]string, h [32]byte) (Terminal, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.terminals[idx[h]]
	if !ok {
		return Terminal{}, pay.Errorf(pay.ErrNotFound, "terminal", "no such terminal")
	}
	return t, nil
}

// TerminalByActivation implements Store.
func (m *MemStore) TerminalByActivation(_ context.Context, h [32]byte) (Terminal, error) {
	return m.terminalBy(m.termByActivation, h)
}

// TerminalBySecret implements Store.
func (m *MemStore) TerminalBySecret(_ context.Context, h [32]byte) (Terminal, error) {
	return m.terminalBy(m.termBySecret, h)
}

// Terminals implements Store, oldest first.
func (m *MemStore) Terminals(_ context.Context, userID string) ([]Terminal, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Terminal
	for _, t := range m.terminals {
		if t.UserID == userID {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b Terminal) int { return a.CreatedAt.Compare(b.CreatedAt)*2 + strings.Compare(a.ID, b.ID) })
	return out, nil
}

// UpdateTerminal implements Store.
func (m *MemStore) UpdateTerminal(_ context.Context, id string, fn func(*Terminal) error) (Terminal, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	old, ok := m.terminals[id]
	if !ok {
		return Terminal{}, notFound("terminal", id)
	}
	t := old
	if err := fn(&t); err != nil {
		return Terminal{}, err
	}
	m.terminals[id] = t
	m.indexTerminal(old, t)
	return t, nil
}

// DeleteTerminal implements Store.
func (m *MemStore) DeleteTerminal(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.terminals[id]
	if !ok {
		return notFound("terminal", id)
	}
	m.indexTerminal(t, Terminal{})
	delete(m.terminals, id)
	return nil
}

// InsertAuthorization implements Store.
func (m *MemStore) InsertAuthorization(_ context.Context, a Authorization) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.auths[a.ID]; ok {
		return pay.Errorf(pay.ErrConflict, "id", "authorization %s exists", a.ID)
	}
	if a.UserCode != "" {
		if other, ok := m.auths[m.authByCode[a.UserCode]]; ok && other.Status == StatusPending {
			return pay.Errorf(pay.ErrConflict, "user_code", "user code in use")
		}
	}
	m.auths[a.ID] = cloneAuth(a)
	m.indexAuth(Authorization{}, a)
	return nil
}

func (m *MemStore) indexAuth(old, a Authorization) {
	var zero [32]byte
	if a.DeviceHash != zero {
		m.authByDevice[a.DeviceHash] = a.ID
	}
	if a.UserCode != "" {
		m.authByCode[a.UserCode] = a.ID
	}
	for _, l := range a.Links[len(old.Links):] {
		m.authByLink[l.Hash] = a.ID
	}
	if a.PaymentID != "" {
		m.authByPayment[a.PaymentID] = a.ID
	}
}

func (m *MemStore) authBy(id string, what string) (Authorization, error) {
	a, ok := m.auths[id]
	if !ok {
		return Authorization{}, pay.Errorf(pay.ErrNotFound, what, "no such authorization")
	}
	return cloneAuth(a), nil
}

// Authorization implements Store.
func (m *MemStore) Authorization(_ context.Context, id string) (Authorization, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.authBy(id, "authorization")
}

// AuthorizationByDevice implements Store.
func (m *MemStore) AuthorizationByDevice(_ context.Context, h [32]byte) (Authorization, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.authBy(m.authByDevice[h], "device_code")
}

// AuthorizationByUserCode implements Store.
func (m *MemStore) AuthorizationByUserCode(_ context.Context, code string) (Authorization, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.authBy(m.authByCode[code], "user_code")
}

// AuthorizationByLink implements Store.
func (m *MemStore) AuthorizationByLink(_ context.Context, h [32]byte) (Authorization, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, err := m.authBy(m.authByLink[h], "link")
	if err != nil {
		return a, "", err
	}
	for _, l := range a.Links {
		if l.Hash == h {
			return a, l.TerminalID, nil
		}
	}
	return Authorization{}, "", pay.Errorf(pay.ErrNotFound, "link", "no such authorization")
}

// AuthorizationByPayment implements Store.
func (m *MemStore) AuthorizationByPayment(_ context.Context, paymentID string) (Authorization, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.authBy(m.authByPayment[paymentID], "payment_id")
}

// PendingAuthorizations implements Store.
func (m *MemStore) PendingAuthorizations(_ context.Context, userID string) ([]Authorization, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Authorization
	for _, a := range m.auths {
		if a.UserID == userID && a.Status == StatusPending {
			out = append(out, cloneAuth(a))
		}
	}
	slices.SortFunc(out, func(a, b Authorization) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// UpdateAuthorization implements Store.
func (m *MemStore) UpdateAuthorization(_ context.Context, id string, fn func(*Authorization) error) (Authorization, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	old, ok := m.auths[id]
	if !ok {
		return Authorization{}, notFound("authorization", id)
	}
	a := cloneAuth(old)
	if err := fn(&a); err != nil {
		return Authorization{}, err
	}
	if len(a.Links) < len(old.Links) {
		a.Links = old.Links // links are append-only
	}
	m.auths[id] = cloneAuth(a)
	m.indexAuth(old, a)
	return a, nil
}

// InsertAgreement implements Store.
func (m *MemStore) InsertAgreement(_ context.Context, g Agreement) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.agreements[g.ID]; ok {
		return pay.Errorf(pay.ErrConflict, "id", "agreement %s exists", g.ID)
	}
	m.agreements[g.ID] = g
	return nil
}

// Agreement implements Store.
func (m *MemStore) Agreement(_ context.Context, id string) (Agreement, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	g, ok := m.agreements[id]
	if !ok {
		return Agreement{}, notFound("agreement", id)
	}
	return g, nil
}

// Agreements implements Store, oldest first.
func (m *MemStore) Agreements(_ context.Context, userID string) ([]Agreement, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Agreement
	for _, g := range m.agreements {
		if g.UserID == userID {
			out = append(out, g)
		}
	}
	slices.SortFunc(out, func(a, b Agreement) int { return a.CreatedAt.Compare(b.CreatedAt)*2 + strings.Compare(a.ID, b.ID) })
	return out, nil
}

// UpdateAgreement implements Store.
func (m *MemStore) UpdateAgreement(_ context.Context, id string, fn func(*Agreement) error) (Agreement, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	g, ok := m.agreements[id]
	if !ok {
		return Agreement{}, notFound("agreement", id)
	}
	if err := fn(&g); err != nil {
		return Agreement{}, err
	}
	m.agreements[id] = g
	return g, nil
}
