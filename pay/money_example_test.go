package pay_test

import (
	"errors"
	"fmt"

	"github.com/paykit-go/paykit/pay"
)

func ExampleParseMoney() {
	m, _ := pay.ParseMoney("12.34", "CNY")
	fmt.Println(m.Amount, m.Currency, m)

	_, err := pay.ParseMoney("1.5", "JPY")
	fmt.Println(errors.Is(err, pay.ErrInvalidRequest))
	// Output:
	// 1234 CNY 12.34 CNY
	// true
}

func ExampleMoney_Add() {
	price := pay.Money{Amount: 1250, Currency: "CNY"}
	tip := pay.Money{Amount: 100, Currency: "CNY"}
	total, _ := price.Add(tip)
	fmt.Println(total)

	_, err := price.Add(pay.Money{Amount: 1, Currency: "USD"})
	fmt.Println(err)
	// Output:
	// 13.50 CNY
	// paykit: invalid_request: currency mismatch: CNY and USD (param currency)
}
