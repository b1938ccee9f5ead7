package httpx_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/paykit-go/paykit/channel/internal/httpx"
	"github.com/paykit-go/paykit/pay"
)

// A provider that fails once with 503 and then answers: the request is
// built (and would be signed) afresh for the second attempt.
func ExampleDoer_Do() {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls++; calls == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, `{"status":"accepted"}`)
	}))
	defer srv.Close()
	d := httpx.Doer{Client: srv.Client(), Policy: pay.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}}
	builds := 0
	resp, err := d.Do(context.Background(), "create charge", func(ctx context.Context) (*http.Request, error) {
		builds++
		return http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/v1/charges", nil)
	})
	fmt.Println(resp.Status, string(resp.Body), builds, err)
	// Output: 200 {"status":"accepted"} 2 <nil>
}
