package vrauth_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/paykit-go/paykit/pay/paytest"
	"github.com/paykit-go/paykit/vrauth"
)

// BenchmarkResultLatency measures how long after the payer pays (the
// sandbox's Pay returns; its signed callback is then posted
// asynchronously to the aggregator) the headset's call returns the result,
// on the wall clock over loopback HTTP:
//
//   - longpoll: the headset waits in Client.Await (the service wakes it
//     from the channel callback);
//   - poll5s: the baseline, Client.PollUntilDone at RFC 8628's default
//     5-second interval. A person pays some seconds after ordering,
//     uncorrelated with the headset's timer, so the payment lands at a
//     uniformly distributed phase of the polling cycle; the ops spread
//     their phases evenly over it ((i+½)/N of the interval), so the mean
//     is the expected latency (about half the interval) without the noise
//     of a few random draws.
//
// ns/op is that latency alone (setup, approval and the phase wait are
// outside it). A poll5s op takes several seconds: run with -benchtime 5x
// and -v (the parent logs poll5s/longpoll).
func BenchmarkResultLatency(b *testing.B) {
	e := vtNew(b, paytest.WithWallClock())
	perOp := map[string]float64{}
	for _, mode := range []string{"longpoll", "poll5s"} {
		b.Run(mode, func(b *testing.B) {
			var total time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				lat := e.benchOne(b, mode, (float64(i)+0.5)/float64(b.N))
				total += lat
				b.StartTimer()
			}
			ns := float64(total.Nanoseconds()) / float64(b.N)
			b.ReportMetric(ns, "ns/op")
			perOp[mode] = ns
		})
	}
	if perOp["longpoll"] > 0 && perOp["poll5s"] > 0 {
		b.Logf("callback → headset: longpoll %.2f ms, poll5s %.0f ms: long-poll is %.0f× sooner",
			perOp["longpoll"]/1e6, perOp["poll5s"]/1e6, perOp["poll5s"]/perOp["longpoll"])
	}
}

// benchOne runs one purchase (a fresh user, so per-headset order limits
// never bind) and returns the time from the payment to the headset's
// call returning its success. phase (0..1) places a poll5s payment in the
// polling cycle.
func (env *vtEnv) benchOne(b *testing.B, mode string, phase float64) time.Duration {
	e := *env
	e.t = b // fail the sub-benchmark, from its own goroutine
	u := e.user("Bench")
	term, _ := e.terminal(u, "Phone")
	st := e.checkout(u, 1_00)
	token := strings.TrimPrefix(e.link(term.Address, vrauth.KindApproval), e.srv.URL+"/vr/approve/")
	a, _, err := e.srv.VR.Approve(e.ctx, token, vtChannel)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(e.ctx, time.Minute)
	defer cancel()
	type outcome struct {
		r   vrauth.Result
		err error
		at  time.Time
	}
	done := make(chan outcome, 1)
	go func() {
		var r vrauth.Result
		var err error
		if mode == "longpoll" {
			r, err = e.dev.Await(ctx, st.DeviceCode)
		} else {
			r, err = e.dev.PollUntilDone(ctx, st.DeviceCode, vrauth.DefaultInterval)
		}
		done <- outcome{r, err, time.Now()}
	}()
	if mode == "longpoll" {
		time.Sleep(20 * time.Millisecond) // let the long-poll reach the server
	} else {
		time.Sleep(time.Duration(phase * float64(vrauth.DefaultInterval))) // this op's phase of the polling cycle
	}
	if err := e.srv.Sandboxes[vtChannel].Pay(e.ctx, a.PaymentID); err != nil {
		b.Fatal(err)
	}
	paid := time.Now()
	o := <-done
	if o.err != nil || o.r.Status != vrauth.StatusSucceeded {
		b.Fatalf("%s: %+v, %v", mode, o.r, o.err)
	}
	return o.at.Sub(paid)
}
