package account

import (
	"context"
	"sync"

	"github.com/paykit-go/paykit/pay"
)

// MemStore is the in-memory Store, safe for concurrent use.
type MemStore struct {
	mu           sync.RWMutex
	customers    map[string]Customer
	wallets      map[string]Wallet
	walletByCur  map[string]string // customerID+"/"+currency -> walletID
	walletsOf    map[string][]string
	merchants    map[string]Merchant
	bills        map[string]Bill
	billsOf      map[string][]string
	billLocks    sync.Map // bill ID -> *sync.Mutex
	transactions map[string][]Transaction
}

// NewMemStore returns an empty in-memory store.
func NewMemStore() *MemStore {
	return &MemStore{
		customers:    map[string]Customer{},
		wallets:      map[string]Wallet{},
		walletByCur:  map[string]string{},
		walletsOf:    map[string][]string{},
		merchants:    map[string]Merchant{},
		bills:        map[string]Bill{},
		billsOf:      map[string][]string{},
		transactions: map[string][]Transaction{},
	}
}

func notFound(what, param string) error {
	return pay.Errorf(pay.ErrNotFound, param, "no such %s", what)
}

// CreateCustomer implements Store.
func (s *MemStore) CreateCustomer(_ context.Context, c Customer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.customers[c.ID]; ok {
		return pay.Errorf(pay.ErrConflict, "id", "customer exists")
	}
	s.customers[c.ID] = c
	return nil
}

// Customer implements Store.
func (s *MemStore) Customer(_ context.Context, id string) (Customer, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.customers[id]
	if !ok {
		return Customer{}, notFound("customer", "customer_id")
	}
	return c, nil
}

// CreateWallet implements Store.
func (s *MemStore) CreateWallet(_ context.Context, w Wallet) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := w.CustomerID + "/" + w.Currency
	if _, ok := s.walletByCur[key]; ok {
		return pay.Errorf(pay.ErrConflict, "currency", "customer already has a %s wallet", w.Currency)
	}
	s.wallets[w.ID] = w
	s.walletByCur[key] = w.ID
	s.walletsOf[w.CustomerID] = append(s.walletsOf[w.CustomerID], w.ID)
	return nil
}

// Wallet implements Store.
func (s *MemStore) Wallet(_ context.Context, id string) (Wallet, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	w, ok := s.wallets[id]
	if !ok {
		return Wallet{}, notFound("wallet", "wallet_id")
	}
	return w, nil
}

// Wallets implements Store.
func (s *MemStore) Wallets(_ context.Context, customerID string) ([]Wallet, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Wallet, 0, len(s.walletsOf[customerID]))
	for _, id := range s.walletsOf[customerID] {
		out = append(out, s.wallets[id])
	}
	return out, nil
}

// CreateMerchant implements Store.
func (s *MemStore) CreateMerchant(_ context.Context, m Merchant) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.merchants[m.ID]; ok {
		return pay.Errorf(pay.ErrConflict, "id", "merchant exists")
	}
	s.merchants[m.ID] = m
	return nil
}

// Merchant implements Store.
func (s *MemStore) Merchant(_ context.Context, id string) (Merchant, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	m, ok := s.merchants[id]
	if !ok {
		return Merchant{}, notFound("merchant", "merchant_id")
	}
	return m, nil
}

// CreateBill implements Store.
func (s *MemStore) CreateBill(_ context.Context, b Bill) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.bills[b.ID]; ok {
		return pay.Errorf(pay.ErrConflict, "id", "bill exists")
	}
	s.bills[b.ID] = b
	s.billsOf[b.CustomerID] = append(s.billsOf[b.CustomerID], b.ID)
	return nil
}

// Bill implements Store.
func (s *MemStore) Bill(_ context.Context, id string) (Bill, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, ok := s.bills[id]
	if !ok {
		return Bill{}, notFound("bill", "bill_id")
	}
	return b, nil
}

// UpdateBill implements Store. The per-bill lock is held while fn runs, so
// fn may do slow work (a ledger transfer) without blocking other bills.
func (s *MemStore) UpdateBill(ctx context.Context, id string, fn func(*Bill) error) (Bill, error) {
	l, _ := s.billLocks.LoadOrStore(id, new(sync.Mutex))
	mu := l.(*sync.Mutex)
	mu.Lock()
	defer mu.Unlock()
	b, err := s.Bill(ctx, id)
	if err != nil {
		return Bill{}, err
	}
	if err := fn(&b); err != nil {
		return Bill{}, err
	}
	s.mu.Lock()
	s.bills[id] = b
	s.mu.Unlock()
	return b, nil
}

// Bills implements Store.
func (s *MemStore) Bills(_ context.Context, customerID string, status BillStatus) ([]Bill, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []Bill{}
	for _, id := range s.billsOf[customerID] {
		if b := s.bills[id]; status == "" || b.Status == status {
			out = append(out, b)
		}
	}
	return out, nil
}

// AddTransaction implements Store.
func (s *MemStore) AddTransaction(_ context.Context, t Transaction) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := t.WalletID
	if key == "" {
		key = "customer/" + t.CustomerID
	}
	s.transactions[key] = append(s.transactions[key], t)
	return nil
}

// Transactions implements Store.
func (s *MemStore) Transactions(_ context.Context, walletID string) ([]Transaction, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]Transaction{}, s.transactions[walletID]...), nil
}
