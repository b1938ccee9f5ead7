package alipay

import (
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/paykit-go/paykit/pay"
)

// testAppID is the application the fake gateway serves.
const testAppID = "2021000000000001"

// testStart is when every test clock starts.
var testStart = time.Date(2026, 3, 1, 10, 0, 0, 0, cst)

// testKeyset holds the 2048-bit keys every test shares, generated once per
// test binary: the merchant application's key, Alipay's key, and an
// unrelated key for forgeries.
type testKeyset struct {
	app, alipay, other *rsa.PrivateKey
}

var (
	keysOnce sync.Once
	keys     testKeyset
)

func testKeys() testKeyset {
	keysOnce.Do(func() {
		var wg sync.WaitGroup
		out := make([]*rsa.PrivateKey, 3)
		for i := range out {
			wg.Add(1)
			go func() {
				defer wg.Done()
				k, err := rsa.GenerateKey(rand.Reader, 2048)
				if err != nil {
					panic(err)
				}
				out[i] = k
			}()
		}
		wg.Wait()
		keys = testKeyset{app: out[0], alipay: out[1], other: out[2]}
	})
	return keys
}

// wantErr fails the test unless err is a *pay.Error matching sentinel.
func wantErr(t testing.TB, err, sentinel error) {
	t.Helper()
	if err == nil {
		t.Fatalf("err = nil, want %v", sentinel)
	}
	var pe *pay.Error
	if !errors.As(err, &pe) {
		t.Fatalf("err = %T %v, want a *pay.Error", err, err)
	}
	if !errors.Is(err, sentinel) {
		t.Fatalf("err = %v, want %v", err, sentinel)
	}
}

func cny(fen int64) pay.Money { return pay.Money{Amount: fen, Currency: "CNY"} }
