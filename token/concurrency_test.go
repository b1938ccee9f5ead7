package token

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paykit-go/paykit/internal/clock"
	"github.com/paykit-go/paykit/pay"
)

// Helpers shared by this helper's test files (prefixed h1).

var (
	h1Master = []byte("h1-test-master-key-of-32-bytes!!")
	// h1Owner is a token requestor: it owns the tokens it issues.
	h1Owner = Caller{ID: "wallet-app"}
	// h1Issuer is the vault's operator.
	h1Issuer = Caller{ID: "admin", Issuer: true}
	// h1Stranger owns nothing.
	h1Stranger = Caller{ID: "merchant"}
	// h1Card is a Luhn-valid PAN outside the default token range.
	h1Card = "4111111111111111"
)

// h1Vault is a vault on a fake clock standing at 2026-03-01 12:00 UTC.
func h1Vault(t testing.TB, opts ...Option) *Vault {
	t.Helper()
	opts = append([]Option{WithClock(clock.NewFake(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)))}, opts...)
	v, err := New(h1Master, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// h1Rand is a random source whose seed the test logs, so a failing run can
// be replayed by pinning the seed.
func h1Rand(t *testing.T) *rand.Rand {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	return rand.New(rand.NewPCG(seed, 0x68315f73656564))
}

// h1IssueCard issues a card token with controls to h1Owner.
func h1IssueCard(t *testing.T, v *Vault, ctl Controls) Issued {
	t.Helper()
	iss, err := v.Issue(context.Background(), h1Owner, IssueRequest{Account: h1Card, AccountType: AccountCard, Controls: ctl})
	if err != nil {
		t.Fatal(err)
	}
	return iss
}

// h1Eur is amount minor units of EUR.
func h1Eur(amount int64) pay.Money { return pay.Money{Amount: amount, Currency: "EUR"} }

// h1AllUses lists every use of a token, paging by 7 to exercise after.
func h1AllUses(t *testing.T, v *Vault, tokenID string) []Use {
	t.Helper()
	var all []Use
	after := ""
	for {
		page, err := v.Uses(context.Background(), h1Owner, tokenID, after, 7)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
		if len(page) < 7 {
			return all
		}
		after = page[len(page)-1].ID
	}
}

// h1Together runs f(0..n-1) in n goroutines released at once.
func h1Together(n int, f func(i int)) {
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	ready.Add(n)
	done.Add(n)
	for i := range n {
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			f(i)
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
}

// TestConcurrentUsesHonourLimits: a token limited to N uses and a
// cumulative cap C, used by 64 goroutines at once, approves exactly N uses
// when C doesn't bind, never approves more than C, and refuses only for a
// limit that really is reached. Runs 200 times with random N, C and
// amounts.
func TestConcurrentUsesHonourLimits(t *testing.T) {
	const workers = 64
	rng := h1Rand(t)
	v := h1Vault(t)
	ctx := context.Background()
	for run := range 200 {
		n := 1 + rng.Int64N(workers)
		amounts := make([]int64, workers)
		var sum int64
		for i := range amounts {
			amounts[i] = 1 + rng.Int64N(1_000)
			sum += amounts[i]
		}
		binding := run%2 == 1
		capC := sum + rng.Int64N(1_000)
		if binding {
			capC = 1 + rng.Int64N(sum/2)
		}
		iss := h1IssueCard(t, v, Controls{MaxUses: n, CumulativeLimit: h1Eur(capC)})

		errs := make([]error, workers)
		ids := make([]string, workers)
		h1Together(workers, func(i int) {
			res, err := v.Use(ctx, h1Owner, UseRequest{Token: iss.Token.Value, Amount: h1Eur(amounts[i]), MerchantID: "m-1", Mode: ModeEcommerce})
			errs[i], ids[i] = err, res.Use.ID
		})

		var successes, total int64
		useLimit := false
		approved := map[string]int64{}
		for i, err := range errs {
			switch {
			case err == nil:
				successes++
				total += amounts[i]
				approved[ids[i]] = amounts[i]
			case errors.Is(err, ErrUseLimit):
				useLimit = true
			case errors.Is(err, ErrAmountLimit):
			default:
				t.Fatalf("run %d: use %d refused with %v, want a use or amount limit", run, i, err)
			}
		}
		if successes > n || total > capC {
			t.Fatalf("run %d: %d uses for %d approved, limits %d uses and %d", run, successes, total, n, capC)
		}
		if !binding && successes != n {
			t.Fatalf("run %d: %d uses approved, want exactly %d (cap %d not binding)", run, successes, n, capC)
		}
		if useLimit && successes != n {
			t.Fatalf("run %d: refused for the use limit with %d of %d uses approved", run, successes, n)
		}
		for i, err := range errs {
			if errors.Is(err, ErrAmountLimit) && total+amounts[i] <= capC {
				t.Fatalf("run %d: %d refused for the cap though only %d of %d was ever approved", run, amounts[i], total, capC)
			}
		}

		got, err := v.Get(ctx, h1Owner, iss.Token.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Uses != successes || got.Spent != h1Eur(total) {
			t.Fatalf("run %d: token shows %d uses and %v, want %d and %v", run, got.Uses, got.Spent, successes, h1Eur(total))
		}
		uses := h1AllUses(t, v, iss.Token.ID)
		if len(uses) != len(approved) {
			t.Fatalf("run %d: %d uses listed, want %d", run, len(uses), len(approved))
		}
		for _, u := range uses {
			if a, ok := approved[u.ID]; !ok || u.Amount != h1Eur(a) || u.Status != UseApproved {
				t.Fatalf("run %d: listed use %+v is not one approved", run, u)
			}
		}
	}
}

// TestConcurrentCryptogramCounters: 64 goroutines present 64 distinct
// cryptograms (counters 1 to 64) at once, in random order. The vault
// accepts each counter at most once and only above every counter accepted
// before it, so the uses list shows strictly increasing counters, and the
// highest counter is always accepted.
func TestConcurrentCryptogramCounters(t *testing.T) {
	const workers = 64
	rng := h1Rand(t)
	v := h1Vault(t)
	ctx := context.Background()
	for run := range 50 {
		iss := h1IssueCard(t, v, Controls{RequireCryptogram: true})
		reqs := make([]UseRequest, workers)
		for i, c := range rng.Perm(workers) {
			amount := h1Eur(1 + rng.Int64N(500))
			nonce := make([]byte, 4+rng.IntN(13))
			for j := range nonce {
				nonce[j] = byte(rng.Uint32())
			}
			cg, err := NewCryptogram(iss.Key, CryptogramInput{Token: iss.Token.Value, Amount: amount, MerchantID: "m-1", Counter: uint32(c + 1), Nonce: nonce})
			if err != nil {
				t.Fatal(err)
			}
			reqs[i] = UseRequest{Token: iss.Token.Value, Amount: amount, MerchantID: "m-1", Mode: ModeContactless, Cryptogram: cg}
		}
		errs := make([]error, workers)
		counters := make([]uint32, workers)
		h1Together(workers, func(i int) {
			res, err := v.Use(ctx, h1Owner, reqs[i])
			errs[i], counters[i] = err, res.Use.Counter
		})
		var accepted []uint32
		var spent int64
		for i, err := range errs {
			switch {
			case err == nil:
				accepted = append(accepted, counters[i])
				spent += reqs[i].Amount.Amount
			case !errors.Is(err, ErrCryptogram):
				t.Fatalf("run %d: use refused with %v, want ErrCryptogram", run, err)
			}
		}
		uses := h1AllUses(t, v, iss.Token.ID)
		if len(uses) != len(accepted) {
			t.Fatalf("run %d: %d uses listed, %d accepted", run, len(uses), len(accepted))
		}
		for i := 1; i < len(uses); i++ {
			if uses[i].Counter <= uses[i-1].Counter {
				t.Fatalf("run %d: counter %d accepted after %d", run, uses[i].Counter, uses[i-1].Counter)
			}
		}
		slices.Sort(accepted)
		if len(accepted) == 0 || accepted[len(accepted)-1] != workers || len(slices.Compact(slices.Clone(accepted))) != len(accepted) {
			t.Fatalf("run %d: accepted counters %v, want distinct ones ending with %d", run, accepted, workers)
		}
		for i, u := range uses {
			if u.Counter != accepted[i] {
				t.Fatalf("run %d: listed counters differ from the accepted ones %v", run, accepted)
			}
		}
		got, err := v.Get(ctx, h1Owner, iss.Token.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.LastCounter != workers || got.Uses != int64(len(accepted)) || got.Spent != h1Eur(spent) {
			t.Fatalf("run %d: token shows counter %d, %d uses, %v; want %d, %d, %v", run, got.LastCounter, got.Uses, got.Spent, workers, len(accepted), h1Eur(spent))
		}
	}
}

// TestConcurrentSuspend: uses run in a loop while the token is suspended;
// every use that starts after Suspend returned is refused (ErrSuspended to
// the owner), and the token counts exactly the uses approved.
func TestConcurrentSuspend(t *testing.T) {
	const workers = 8
	v := h1Vault(t)
	ctx := context.Background()
	for run := range 20 {
		iss := h1IssueCard(t, v, Controls{})
		suspender := h1Owner
		if run%2 == 1 {
			suspender = h1Issuer
		}
		var suspended atomic.Bool
		var approved, before, after atomic.Int64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					late := suspended.Load()
					_, err := v.Use(ctx, h1Owner, UseRequest{Token: iss.Token.Value, Amount: h1Eur(100), MerchantID: "m-1", Mode: ModeQR})
					if err == nil {
						approved.Add(1)
					}
					switch {
					case !late && err == nil:
						before.Add(1)
					case late && err == nil:
						t.Errorf("run %d: a use that started after Suspend returned was approved", run)
					case late && !errors.Is(err, ErrSuspended):
						t.Errorf("run %d: a use after Suspend refused with %v, want ErrSuspended", run, err)
					}
					if late {
						after.Add(1)
					}
				}
			}()
		}
		h1WaitFor(t, func() bool { return before.Load() >= 20 })
		if _, err := v.Suspend(ctx, suspender, iss.Token.ID); err != nil {
			t.Fatal(err)
		}
		suspended.Store(true)
		h1WaitFor(t, func() bool { return after.Load() >= 10*workers })
		close(stop)
		wg.Wait()
		got, err := v.Get(ctx, h1Owner, iss.Token.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != StatusSuspended || got.Uses != approved.Load() || got.Spent != h1Eur(100*approved.Load()) {
			t.Fatalf("run %d: token %s with %d uses and %v, want suspended with %d uses", run, got.Status, got.Uses, got.Spent, approved.Load())
		}
	}
}

// h1WaitFor polls cond for up to 10 seconds.
func h1WaitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
		time.Sleep(100 * time.Microsecond)
	}
}
