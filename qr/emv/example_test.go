package emv_test

import (
	"fmt"
	"strings"

	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/qr/emv"
)

// A merchant's static collection code (system C): built once and printed
// on the counter. Payers enter the amount; the merchant's handheld learns
// of each payment from the network.
func ExamplePayload_Build() {
	p := emv.Payload{
		Initiation: emv.Static,
		MerchantAccounts: []emv.Template{{ID: "26", GUI: "com.paykit.collect",
			Fields: []emv.DataObject{{ID: "01", Value: "mch_8K2P"}}}},
		MCC: "5812", Currency: "156", Country: "CN", MerchantName: "Lotus Noodle Bar", MerchantCity: "Hangzhou",
		AdditionalData: emv.AdditionalData{TerminalLabel: "counter-1"},
		Language:       emv.Language{Preference: "ZH", MerchantName: "莲花面馆"},
	}
	s, err := p.Build()
	fmt.Println(s, err)
	fmt.Println(p.Complete())
	// Output:
	// 00020101021126340018com.paykit.collect0108mch_8K2P5204581253031565802CN5916Lotus Noodle Bar6008Hangzhou62130709counter-164140002ZH0104莲花面馆6304E8F6 <nil>
	// <nil>
}

// A POS scans a dynamic code and gets what it needs to start the payment:
// the receiving account, the amount as pay.Money, the fee, the reference.
func ExamplePayload_Order() {
	p, err := emv.Parse("00020101021229370016A000000677010111011300668123456785204581253037645406120.0055020357033.55802TH5912Khao Man Gai6007Bangkok62180506T-00420704POS263045618")
	if err != nil {
		fmt.Println(err)
		return
	}
	o, err := p.Order()
	if err != nil {
		fmt.Println(err)
		return
	}
	acct := o.Accounts[0]
	fmt.Println(acct.ID, acct.GUI, acct.Field("01"))
	fmt.Println(o.Amount, o.Tip, o.FeeBasisPoints, o.Reference, o.MerchantName)
	total, err := o.Total()
	fmt.Println(total, err)
	// Output:
	// 29 A000000677010111 0066812345678
	// 120.00 THB percent 350 T-0042 Khao Man Gai
	// 124.20 THB <nil>
}

// A dynamic code for one sale: the amount from a pay.Money, a reference.
func ExamplePayload_SetAmount() {
	p := emv.Payload{
		Initiation:       emv.Dynamic,
		MerchantAccounts: []emv.Template{{ID: "29", GUI: "A000000677010111", Fields: []emv.DataObject{{ID: "01", Value: "0066812345678"}}}},
		Country:          "TH",
		AdditionalData:   emv.AdditionalData{ReferenceLabel: "T-0042"},
	}
	if err := p.SetAmount(pay.Money{Amount: 12000, Currency: "THB"}); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Currency, p.Amount)
	s, _ := p.Build()
	fmt.Println(s)
	// Output:
	// 764 120.00
	// 00020101021229370016A0000006770101110113006681234567853037645406120.005802TH62100506T-0042630401DE
}

// The reader is strict where it matters: one altered character fails the
// CRC, and the error names the data object without repeating any value.
func ExampleParse() {
	const code = "00020101021229370016A000000677010111011300668123456785204581253037645406120.0055020357033.55802TH5912Khao Man Gai6007Bangkok62180506T-00420704POS263045618"
	p, err := emv.Parse(code)
	fmt.Println(p.MerchantName, p.Currency, p.Amount, err)

	_, err = emv.Parse(strings.Replace(code, "120.00", "100.00", 1))
	fmt.Println(err)
	_, err = emv.Parse("https://pay.example/qr/8K2P")
	fmt.Println(err)
	// Output:
	// Khao Man Gai 764 120.00 <nil>
	// paykit: emv_crc_mismatch: the CRC (ID 63) does not match the payload (param 63)
	// paykit: emv_not_mpm: the payload does not begin with the payload format indicator "000201" (param 00)
}
