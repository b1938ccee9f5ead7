package pay_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/paykit-go/paykit/pay"
)

func ExampleNewClient() {
	c, err := pay.NewClient("https://api.example.com/",
		pay.WithAPIKey("sk_live_never_printed"),
		pay.WithUserAgent("pos-terminal/2.1"),
		pay.WithTimeout(10*time.Second),
		pay.WithRetryPolicy(pay.RetryPolicy{MaxAttempts: 3, BaseDelay: 50 * time.Millisecond, MaxDelay: 2 * time.Second}),
	)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.BaseURL())
	fmt.Println(c) // the API key is redacted

	_, err = pay.NewClient("api.example.com")
	fmt.Println(err)
	_, err = pay.NewClient("https://api.example.com", pay.WithTimeout(0))
	fmt.Println(errors.Is(err, pay.ErrInvalidRequest))
	// Output:
	// https://api.example.com
	// pay.Client{baseURL: "https://api.example.com", apiKey: [REDACTED], userAgent: "paykit-go/0.1.0 pos-terminal/2.1", timeout: 10s, retry: {MaxAttempts: 3, BaseDelay: 50ms, MaxDelay: 2s}}
	// paykit: invalid_request: NewClient: base URL must be an absolute http or https URL (param base_url)
	// true
}

func ExampleClient_Post() {
	// A stand-in backend that creates payments.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Amount pay.Money `json:"amount"`
		}
		_ = json.NewDecoder(r.Body).Decode(&in)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"id":              "pay_example",
			"amount":          in.Amount,
			"status":          "succeeded",
			"idempotency_key": r.Header.Get("Idempotency-Key") != "",
			"authorization":   r.Header.Get("Authorization") == "Bearer sk_test_example",
		})
	}))
	defer srv.Close()

	c, err := pay.NewClient(srv.URL, pay.WithAPIKey("sk_test_example"))
	if err != nil {
		log.Fatal(err)
	}
	in := map[string]pay.Money{"amount": {Amount: 1250, Currency: "CNY"}}
	var out struct {
		ID             string    `json:"id"`
		Amount         pay.Money `json:"amount"`
		Status         string    `json:"status"`
		IdempotencyKey bool      `json:"idempotency_key"`
		Authorization  bool      `json:"authorization"`
	}
	if err := c.Post(context.Background(), "/v1/payments", in, &out); err != nil {
		log.Fatal(err)
	}
	fmt.Println(out.ID, out.Amount, out.Status)
	fmt.Println("idempotency key sent:", out.IdempotencyKey)
	fmt.Println("bearer key sent:", out.Authorization)
	// Output:
	// pay_example 12.50 CNY succeeded
	// idempotency key sent: true
	// bearer key sent: true
}

func ExampleClient_Get_errors() {
	// A stand-in backend that refuses a debit.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Request-Id", "req_example")
		w.WriteHeader(http.StatusPaymentRequired)
		_, _ = fmt.Fprint(w, `{"error":{"code":"insufficient_funds","message":"balance is 3.00 CNY","param":"amount"}}`)
	}))
	defer srv.Close()

	c, err := pay.NewClient(srv.URL)
	if err != nil {
		log.Fatal(err)
	}
	err = c.Get(context.Background(), "/v1/wallets/wal_1/debit-check", nil)
	fmt.Println(err)
	fmt.Println(errors.Is(err, pay.ErrInsufficientFunds))
	var pe *pay.Error
	if errors.As(err, &pe) {
		fmt.Println(pe.HTTPStatus, pe.Param, pe.RequestID)
	}
	// Output:
	// paykit: insufficient_funds: balance is 3.00 CNY (param amount) (request req_example)
	// true
	// 402 amount req_example
}
