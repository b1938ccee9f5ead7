package account

import (
	"time"

	"github.com/paykit-go/paykit/pay"
)

// ID prefixes of this package.
const (
	PrefixCustomer    = pay.PrefixCustomer
	PrefixWallet      = pay.PrefixWallet
	PrefixMerchant    = "mch"
	PrefixBill        = pay.PrefixBill
	PrefixTransaction = "txn"
)

// PointsUnit is the ledger unit of loyalty points.
const PointsUnit = "PTS"

// Customer is a holder of wallets, points and bills.
type Customer struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Phone     string    `json:"phone,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Wallet holds a customer's stored value in one currency. Balance is what
// has been posted; Available also subtracts pending reservations.
type Wallet struct {
	ID         string    `json:"id"`
	CustomerID string    `json:"customer_id"`
	Currency   string    `json:"currency"`
	Balance    pay.Money `json:"balance"`
	Available  pay.Money `json:"available"`
	CreatedAt  time.Time `json:"created_at"`
}

// Merchant receives consumption payments and bill payments.
type Merchant struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// BillStatus is the life cycle of a bill.
type BillStatus string

// Bill statuses: a bill is outstanding (arrears) until paid, then cleared.
const (
	BillOutstanding BillStatus = "outstanding"
	BillPaid        BillStatus = "paid"
)

// Bill is an amount a customer owes a merchant (arrears).
type Bill struct {
	ID            string     `json:"id"`
	CustomerID    string     `json:"customer_id"`
	MerchantID    string     `json:"merchant_id"`
	Amount        pay.Money  `json:"amount"`
	Description   string     `json:"description,omitempty"`
	Status        BillStatus `json:"status"`
	CreatedAt     time.Time  `json:"created_at"`
	PaidAt        *time.Time `json:"paid_at,omitempty"`
	TransactionID string     `json:"transaction_id,omitempty"`
}

// TransactionKind says what moved value.
type TransactionKind string

// Transaction kinds.
const (
	KindTopUp            TransactionKind = "topup"
	KindConsumption      TransactionKind = "consumption"
	KindBillPayment      TransactionKind = "bill_payment"
	KindPointsRedemption TransactionKind = "points_redemption"
)

// TopUpSource says where top-up money came from.
type TopUpSource string

// Top-up sources: cash or card at a top-up machine, or a payment channel.
const (
	SourceMachine TopUpSource = "machine"
	SourceChannel TopUpSource = "channel"
)

// Transaction is the record of one completed movement of value, kept for
// statements and receipts. Its ledger transfers carry its ID.
type Transaction struct {
	ID         string          `json:"id"`
	Kind       TransactionKind `json:"kind"`
	CustomerID string          `json:"customer_id"`
	WalletID   string          `json:"wallet_id,omitempty"`
	MerchantID string          `json:"merchant_id,omitempty"`
	BillID     string          `json:"bill_id,omitempty"`
	Amount     pay.Money       `json:"amount,omitzero"`
	Points     int64           `json:"points"` // earned (consumption) or redeemed (redemption)
	Source     TopUpSource     `json:"source,omitempty"`
	TerminalID string          `json:"terminal_id,omitempty"`
	Reference  string          `json:"reference,omitempty"`
	// CredentialUseID is the resolver's ID for the credential use that named
	// the wallet, when the movement was paid by contactless credential. The
	// receipt Consume and TopUp return for such a movement leaves WalletID
	// and CustomerID empty, so the machine never learns them; the stored
	// transaction (Transactions) keeps them.
	CredentialUseID string    `json:"credential_use_id,omitempty"`
	CreatedAt       time.Time `json:"created_at"`
	// WalletAfter and PointsAfter are the balances read right after the
	// movement committed, for receipts; when other movements on the same
	// wallet run concurrently they may already include those.
	WalletAfter *pay.Money `json:"wallet_after,omitempty"`
	PointsAfter *int64     `json:"points_after,omitempty"`
}

// Points is a customer's points balance.
type Points struct {
	CustomerID string `json:"customer_id"`
	Points     int64  `json:"points"`
}
