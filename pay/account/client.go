package account

import (
	"context"
	"net/url"

	"github.com/paykit-go/paykit/pay"
)

// Client calls the account platform over HTTP. Merchant backends use the
// customer, wallet and bill calls with a merchant key; consumption and
// top-up machines use TopUp, Consume and the reads with a device key.
type Client struct {
	pc *pay.Client
}

// NewClient returns an account-platform client speaking through pc.
func NewClient(pc *pay.Client) *Client { return &Client{pc: pc} }

func esc(s string) string { return url.PathEscape(s) }

// CreateCustomer registers a customer.
func (c *Client) CreateCustomer(ctx context.Context, in CreateCustomerRequest, opts ...pay.CallOption) (Customer, error) {
	var out Customer
	return out, c.pc.Post(ctx, "/v1/customers", in, &out, opts...)
}

// Customer fetches a customer.
func (c *Client) Customer(ctx context.Context, id string) (Customer, error) {
	var out Customer
	return out, c.pc.Get(ctx, "/v1/customers/"+esc(id), &out)
}

// OpenWallet opens a wallet for the customer in currency.
func (c *Client) OpenWallet(ctx context.Context, customerID, currency string, opts ...pay.CallOption) (Wallet, error) {
	var out Wallet
	return out, c.pc.Post(ctx, "/v1/customers/"+esc(customerID)+"/wallets", OpenWalletRequest{Currency: currency}, &out, opts...)
}

// Wallets lists the customer's wallets.
func (c *Client) Wallets(ctx context.Context, customerID string) ([]Wallet, error) {
	var out pay.List[Wallet]
	return out.Data, c.pc.Get(ctx, "/v1/customers/"+esc(customerID)+"/wallets", &out)
}

// Wallet fetches a wallet and its balance.
func (c *Client) Wallet(ctx context.Context, id string) (Wallet, error) {
	var out Wallet
	return out, c.pc.Get(ctx, "/v1/wallets/"+esc(id), &out)
}

// Transactions lists a wallet's transactions, oldest first.
func (c *Client) Transactions(ctx context.Context, walletID string) ([]Transaction, error) {
	var out pay.List[Transaction]
	return out.Data, c.pc.Get(ctx, "/v1/wallets/"+esc(walletID)+"/transactions", &out)
}

// CreateMerchant registers a merchant (operator keys only).
func (c *Client) CreateMerchant(ctx context.Context, name string, opts ...pay.CallOption) (Merchant, error) {
	var out Merchant
	return out, c.pc.Post(ctx, "/v1/merchants", CreateMerchantRequest{Name: name}, &out, opts...)
}

// MerchantBalance returns what a merchant has received in currency.
func (c *Client) MerchantBalance(ctx context.Context, merchantID, currency string) (pay.Money, error) {
	var out pay.Money
	return out, c.pc.Get(ctx, "/v1/merchants/"+esc(merchantID)+"/balances/"+esc(currency), &out)
}

// TopUp credits a wallet.
func (c *Client) TopUp(ctx context.Context, in TopUpRequest, opts ...pay.CallOption) (Transaction, error) {
	var out Transaction
	return out, c.pc.Post(ctx, "/v1/topups", in, &out, opts...)
}

// Consume charges a wallet at a consumption machine and earns points.
func (c *Client) Consume(ctx context.Context, in ConsumeRequest, opts ...pay.CallOption) (Transaction, error) {
	var out Transaction
	return out, c.pc.Post(ctx, "/v1/consumptions", in, &out, opts...)
}

// Points returns the customer's points balance.
func (c *Client) Points(ctx context.Context, customerID string) (Points, error) {
	var out Points
	return out, c.pc.Get(ctx, "/v1/customers/"+esc(customerID)+"/points", &out)
}

// RedeemPoints spends points.
func (c *Client) RedeemPoints(ctx context.Context, customerID string, in RedeemRequest, opts ...pay.CallOption) (Transaction, error) {
	var out Transaction
	return out, c.pc.Post(ctx, "/v1/customers/"+esc(customerID)+"/points/redemptions", in, &out, opts...)
}

// CreateBill records an outstanding bill.
func (c *Client) CreateBill(ctx context.Context, in CreateBillRequest, opts ...pay.CallOption) (Bill, error) {
	var out Bill
	return out, c.pc.Post(ctx, "/v1/bills", in, &out, opts...)
}

// Bill fetches a bill.
func (c *Client) Bill(ctx context.Context, id string) (Bill, error) {
	var out Bill
	return out, c.pc.Get(ctx, "/v1/bills/"+esc(id), &out)
}

// Bills lists a customer's bills; status "" for all, BillOutstanding for arrears.
func (c *Client) Bills(ctx context.Context, customerID string, status BillStatus) ([]Bill, error) {
	var out pay.List[Bill]
	path := "/v1/customers/" + esc(customerID) + "/bills"
	if status != "" {
		path += "?status=" + url.QueryEscape(string(status))
	}
	return out.Data, c.pc.Get(ctx, path, &out)
}

// PayBill pays a bill from a wallet and clears it.
func (c *Client) PayBill(ctx context.Context, billID, walletID string, opts ...pay.CallOption) (Bill, error) {
	var out Bill
	return out, c.pc.Post(ctx, "/v1/bills/"+esc(billID)+"/pay", PayBillRequest{WalletID: walletID}, &out, opts...)
}
