package account

import (
	"context"

	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/pay/ledger"
)

// CreateBillRequest records an amount a customer owes a merchant.
type CreateBillRequest struct {
	CustomerID  string    `json:"customer_id"`
	MerchantID  string    `json:"merchant_id"`
	Amount      pay.Money `json:"amount"`
	Description string    `json:"description,omitempty"`
}

// CreateBill records an outstanding bill (arrears).
func (p *Platform) CreateBill(ctx context.Context, r CreateBillRequest) (Bill, error) {
	if err := r.Amount.ValidatePositive("amount"); err != nil {
		return Bill{}, err
	}
	if err := checkText("description", r.Description, false, 500); err != nil {
		return Bill{}, err
	}
	if _, err := p.Customer(ctx, r.CustomerID); err != nil {
		return Bill{}, err
	}
	if _, err := p.Merchant(ctx, r.MerchantID); err != nil {
		return Bill{}, err
	}
	b := Bill{
		ID: pay.NewID(PrefixBill), CustomerID: r.CustomerID, MerchantID: r.MerchantID, Amount: r.Amount,
		Description: r.Description, Status: BillOutstanding, CreatedAt: p.clock.Now().UTC(),
	}
	if err := p.store.CreateBill(ctx, b); err != nil {
		return Bill{}, err
	}
	return b, nil
}

// Bill returns a bill.
func (p *Platform) Bill(ctx context.Context, id string) (Bill, error) {
	if err := checkID("bill_id", id, PrefixBill); err != nil {
		return Bill{}, err
	}
	return p.store.Bill(ctx, id)
}

// Bills lists a customer's bills, oldest first; status "" lists all,
// BillOutstanding lists the arrears.
func (p *Platform) Bills(ctx context.Context, customerID string, status BillStatus) ([]Bill, error) {
	switch status {
	case "", BillOutstanding, BillPaid:
	default:
		return nil, pay.Errorf(pay.ErrInvalidRequest, "status", "status must be outstanding or paid")
	}
	if _, err := p.Customer(ctx, customerID); err != nil {
		return nil, err
	}
	return p.store.Bills(ctx, customerID, status)
}

// PayBill pays an outstanding bill from one of the customer's wallets and
// clears it. The bill is locked while the ledger moves the money, so a bill
// is paid at most once however many calls race; a failed payment leaves the
// bill outstanding and the wallet untouched.
func (p *Platform) PayBill(ctx context.Context, billID, walletID string) (Bill, error) {
	if err := checkID("bill_id", billID, PrefixBill); err != nil {
		return Bill{}, err
	}
	if err := checkID("wallet_id", walletID, PrefixWallet); err != nil {
		return Bill{}, err
	}
	w, err := p.store.Wallet(ctx, walletID)
	if err != nil {
		return Bill{}, err
	}
	var txn Transaction
	b, err := p.store.UpdateBill(ctx, billID, func(b *Bill) error {
		if b.Status != BillOutstanding {
			return pay.Errorf(pay.ErrConflict, "bill_id", "bill is already %s", b.Status)
		}
		if w.CustomerID != b.CustomerID {
			return pay.Errorf(pay.ErrInvalidRequest, "wallet_id", "wallet does not belong to the bill's customer")
		}
		if w.Currency != b.Amount.Currency {
			return pay.Errorf(pay.ErrInvalidRequest, "wallet_id", "wallet holds %s; the bill is in %s", w.Currency, b.Amount.Currency)
		}
		merchant := MerchantLedgerAccount(b.MerchantID, w.Currency)
		if err := p.ledger.CreateAccounts(ctx, ledger.Account{ID: merchant, Currency: w.Currency}); err != nil {
			return err
		}
		txn = Transaction{
			ID: pay.NewID(PrefixTransaction), Kind: KindBillPayment, CustomerID: w.CustomerID, WalletID: w.ID,
			MerchantID: b.MerchantID, BillID: b.ID, Amount: b.Amount, CreatedAt: p.clock.Now().UTC(),
		}
		if _, err := p.ledger.CreateTransfer(ctx, ledger.Transfer{
			ID: txn.ID, DebitAccountID: w.ID, CreditAccountID: merchant, Amount: b.Amount.Amount, Code: CodeBillPayment, UserData: b.ID,
		}); err != nil {
			return err
		}
		paid := txn.CreatedAt
		b.Status, b.PaidAt, b.TransactionID = BillPaid, &paid, txn.ID
		return nil
	})
	if err != nil {
		return Bill{}, err
	}
	if _, err := p.record(ctx, txn); err != nil {
		return Bill{}, err
	}
	return b, nil
}
