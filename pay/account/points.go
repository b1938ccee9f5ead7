package account

import (
	"context"

	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/pay/ledger"
)

// Points returns the customer's points balance.
func (p *Platform) Points(ctx context.Context, customerID string) (Points, error) {
	if _, err := p.Customer(ctx, customerID); err != nil {
		return Points{}, err
	}
	a, err := p.ledger.LookupAccount(ctx, pointsAccount(customerID))
	if err != nil {
		return Points{}, err
	}
	return Points{CustomerID: customerID, Points: a.Balance()}, nil
}

// RedeemRequest spends points.
type RedeemRequest struct {
	Points    int64  `json:"points"`
	Reference string `json:"reference,omitempty"`
}

// RedeemPoints spends points from the customer's points account; more than
// the balance fails with pay.ErrInsufficientFunds and changes nothing.
func (p *Platform) RedeemPoints(ctx context.Context, customerID string, r RedeemRequest) (Transaction, error) {
	if r.Points <= 0 {
		return Transaction{}, pay.Errorf(pay.ErrInvalidRequest, "points", "points must be positive")
	}
	if err := checkText("reference", r.Reference, false, 128); err != nil {
		return Transaction{}, err
	}
	if _, err := p.Customer(ctx, customerID); err != nil {
		return Transaction{}, err
	}
	if err := p.ledger.CreateAccounts(ctx, ledger.Account{ID: pointsRedeemedAccount, Currency: PointsUnit}); err != nil {
		return Transaction{}, err
	}
	t := Transaction{
		ID: pay.NewID(PrefixTransaction), Kind: KindPointsRedemption, CustomerID: customerID,
		Points: r.Points, Reference: r.Reference, CreatedAt: p.clock.Now().UTC(),
	}
	if _, err := p.ledger.CreateTransfer(ctx, ledger.Transfer{
		ID: t.ID, DebitAccountID: pointsAccount(customerID), CreditAccountID: pointsRedeemedAccount,
		Amount: r.Points, Code: CodePointsRedeemed, UserData: r.Reference,
	}); err != nil {
		return Transaction{}, err
	}
	return p.record(ctx, t)
}
