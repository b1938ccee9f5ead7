package flows

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/pay/account"
	"github.com/paykit-go/paykit/pay/paytest"
	"github.com/paykit-go/paykit/qr/emv"
	"github.com/paykit-go/paykit/qr/qrimage"
)

// PaykitGUI is the globally unique identifier of the merchant account
// template (IDs 26–51) through which a paykit merchant is paid: sub-ID 01
// holds the paykit merchant ID.
const PaykitGUI = "com.paykit.collect"

// PosQR runs the merchant-QR flow (system C's collection code): a bakery's
// POS shows a dynamic EMVCo merchant-presented QR for one sale, the payer's
// phone scans the PNG, parses the payload, finds the paykit merchant
// account, amount and order reference in it and pays from the payer's
// wallet; a code whose amount was altered after printing fails its CRC, and
// a code for another network is recognised as not payable here.
func PosQR(ctx context.Context, srv *paytest.Server) error {
	operator := account.NewClient(srv.AdminClient)
	merchant := account.NewClient(srv.Client)
	phone := account.NewClient(srv.DeviceClient)
	cny := func(s string) pay.Money { m, _ := pay.ParseMoney(s, "CNY"); return m }

	bakery, err := operator.CreateMerchant(ctx, "Harbour Bakery")
	if err != nil {
		return err
	}
	cus, err := merchant.CreateCustomer(ctx, account.CreateCustomerRequest{Name: "Wei Lin", Phone: "+8613900139000"})
	if err != nil {
		return err
	}
	wallet, err := merchant.OpenWallet(ctx, cus.ID, "CNY")
	if err != nil {
		return err
	}
	if _, err := phone.TopUp(ctx, account.TopUpRequest{WalletID: wallet.ID, Amount: cny("100.00"), Source: account.SourceMachine, TerminalID: "kiosk-2"}); err != nil {
		return err
	}

	// The POS builds a dynamic code for this sale.
	sale := emv.Payload{
		Initiation:       emv.Dynamic,
		MerchantAccounts: []emv.Template{{ID: "26", GUI: PaykitGUI, Fields: []emv.DataObject{{ID: "01", Value: bakery.ID}}}},
		MCC:              "5462", Country: "CN", MerchantName: "Harbour Bakery", MerchantCity: "Shanghai",
		AdditionalData: emv.AdditionalData{ReferenceLabel: "order-1042", TerminalLabel: "pos-7"},
	}
	if err := sale.SetAmount(cny("56.80")); err != nil {
		return err
	}
	payload, err := sale.Build()
	if err != nil {
		return err
	}
	png, err := qrimage.Encode(payload)
	if err != nil {
		return err
	}
	version, _ := qrimage.Version(payload, qrimage.LevelM)
	fmt.Printf("POS pos-7: shows an EMVCo merchant QR for order-1042 (%d characters, QR version %d-M, PNG %d bytes)\n", len(payload), version, len(png))

	// The payer's phone scans it and pays.
	scanned, err := qrimage.DecodePNG(png)
	if err != nil {
		return err
	}
	order, merchantID, err := paykitOrder(scanned)
	if err != nil {
		return err
	}
	fmt.Printf("phone: scanned %s, %s: pay %s to merchant account %s, reference %s\n", order.MerchantName, order.MerchantCity, order.Amount, PaykitGUI, order.Reference)
	txn, err := phone.Consume(ctx, account.ConsumeRequest{
		WalletID: wallet.ID, MerchantID: merchantID, Amount: order.Amount, TerminalID: "phone-wei", Reference: order.Reference,
	})
	if err != nil {
		return err
	}
	fmt.Printf("phone: paid %s → wallet %s, earned %d points\n", txn.Amount, txn.WalletAfter, txn.Points)

	// A sticker over the amount: the CRC no longer matches.
	forged := strings.Replace(scanned, "540556.80", "54055.680", 1)
	if forged == scanned {
		return errors.New("posqr: the forgery did not change the payload")
	}
	_, _, err = paykitOrder(forged)
	if !errors.Is(err, emv.ErrCRC) {
		return fmt.Errorf("posqr: altered code err = %v; want a CRC error", err)
	}
	fmt.Printf("phone: a code with its amount altered → refused (%s): nothing paid\n", emv.ErrCRC.Code)

	// Another network's code (Brazil's Pix, from its manual): readable, not payable here.
	const pix = "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D"
	if _, _, err := paykitOrder(pix); err == nil || errors.Is(err, emv.ErrCRC) {
		return fmt.Errorf("posqr: a Pix code err = %v; want 'no paykit account'", err)
	}
	fmt.Println("phone: a Pix code from Brazil → parsed, but it names no paykit account: not paid")

	got, err := merchant.MerchantBalance(ctx, bakery.ID, "CNY")
	if err != nil {
		return err
	}
	if got != cny("56.80") {
		return fmt.Errorf("posqr: bakery holds %s; want 56.80 CNY", got)
	}
	fmt.Printf("books: Harbour Bakery received %s\n", got)
	return nil
}

// paykitOrder parses a scanned merchant QR and returns its order and the
// paykit merchant it pays, refusing codes without an amount or without a
// paykit merchant account.
func paykitOrder(payload string) (emv.Order, string, error) {
	p, err := emv.Parse(payload)
	if err != nil {
		return emv.Order{}, "", err
	}
	o, err := p.Order()
	if err != nil {
		return emv.Order{}, "", err
	}
	for _, a := range o.Accounts {
		if a.GUI == PaykitGUI && a.Field("01") != "" {
			if !o.HasAmount {
				return emv.Order{}, "", errors.New("posqr: a static code: the payer must enter the amount")
			}
			return o, a.Field("01"), nil
		}
	}
	return emv.Order{}, "", errors.New("posqr: the code names no paykit merchant account")
}
