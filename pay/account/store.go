package account

import "context"

// Store persists the platform's records (not balances: those live in the
// ledger). The in-memory store is the default; a PostgreSQL store can
// implement the same interface. Get methods return an error matching
// pay.ErrNotFound for unknown IDs.
type Store interface {
	CreateCustomer(ctx context.Context, c Customer) error
	Customer(ctx context.Context, id string) (Customer, error)

	// CreateWallet fails with pay.ErrConflict when the customer already
	// has a wallet in that currency.
	CreateWallet(ctx context.Context, w Wallet) error
	Wallet(ctx context.Context, id string) (Wallet, error)
	Wallets(ctx context.Context, customerID string) ([]Wallet, error)

	CreateMerchant(ctx context.Context, m Merchant) error
	Merchant(ctx context.Context, id string) (Merchant, error)

	CreateBill(ctx context.Context, b Bill) error
	Bill(ctx context.Context, id string) (Bill, error)
	// UpdateBill runs fn on the stored bill with the bill locked against
	// every other UpdateBill; the bill is saved only when fn returns nil.
	UpdateBill(ctx context.Context, id string, fn func(b *Bill) error) (Bill, error)
	// Bills lists a customer's bills, oldest first, optionally by status.
	Bills(ctx context.Context, customerID string, status BillStatus) ([]Bill, error)

	AddTransaction(ctx context.Context, t Transaction) error
	// Transactions lists the transactions of a wallet, oldest first.
	Transactions(ctx context.Context, walletID string) ([]Transaction, error)
}
