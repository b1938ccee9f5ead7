package sandbox

import (
	"context"
	"fmt"
	"time"
)

// Op names a provider operation that faults can be injected into.
type Op string

// Operations that take faults.
const (
	// OpCreate is POST /v1/charges.
	OpCreate Op = "create"
	// OpQuery is every GET under /v1 (charges, refunds, agreements).
	OpQuery Op = "query"
	// OpClose is POST /v1/charges/{charge_id}/close.
	OpClose Op = "close"
	// OpRefund is POST /v1/refunds.
	OpRefund Op = "refund"
)

func (o Op) valid() bool {
	return o == OpCreate || o == OpQuery || o == OpClose || o == OpRefund
}

// FaultKind says how an injected fault breaks an operation.
type FaultKind string

// Fault kinds. Each reproduces one answer the channel error contract has to
// classify correctly.
const (
	// FaultUnavailable answers 503 before doing anything: nothing is
	// stored, so the adapter may safely report ErrUnavailable.
	FaultUnavailable FaultKind = "unavailable"
	// FaultServerError performs the operation (stores the charge or
	// refund), then answers 500: the outcome is ambiguous to the caller.
	FaultServerError FaultKind = "server_error"
	// FaultTimeout performs the operation, then holds the answer for
	// Fault.Delay (or until the request is cancelled): accepted, then slow.
	FaultTimeout FaultKind = "timeout"
	// FaultDecline (OpCreate, OpRefund) stores a new charge or refund as
	// failed, sends its failure callback and answers 402 declined.
	FaultDecline FaultKind = "decline"
	// FaultCallbackFirst (OpCreate, OpRefund) settles a new charge or
	// refund at once and delivers its success callback synchronously before
	// the answer is written; the answer then says succeeded. Held callbacks
	// stay held.
	FaultCallbackFirst FaultKind = "callback_first"
)

// Fault is one injected failure, consumed by the next Times requests of
// its operation. Over HTTP (POST /control/faults) it travels as
// {"op","kind","times","delay_ms","reason"}.
type Fault struct {
	// Kind says what goes wrong.
	Kind FaultKind
	// Times is how many requests the fault affects; 0 means 1.
	Times int
	// Delay is how long FaultTimeout holds the answer.
	Delay time.Duration
	// Reason is the failure reason FaultDecline records.
	Reason string
}

// check validates f for op.
func (f Fault) check(op Op) error {
	if !op.valid() {
		return fmt.Errorf("unknown op %q", clipText(string(op)))
	}
	switch f.Kind {
	case FaultUnavailable, FaultServerError:
	case FaultTimeout:
		if f.Delay <= 0 {
			return fmt.Errorf("a timeout fault needs a positive delay")
		}
	case FaultDecline, FaultCallbackFirst:
		if op != OpCreate && op != OpRefund {
			return fmt.Errorf("fault %q applies only to create and refund", f.Kind)
		}
	default:
		return fmt.Errorf("unknown fault kind %q", clipText(string(f.Kind)))
	}
	if f.Times < 0 {
		return fmt.Errorf("fault times must not be negative")
	}
	return nil
}

// Inject queues fault f for operation op. Faults of one op are consumed in
// the order injected, each by the next f.Times matching requests (after the
// request's signature was verified). It panics when op or f.Kind is
// unknown, a FaultTimeout has no positive Delay, or FaultDecline or
// FaultCallbackFirst is given for an op other than OpCreate and OpRefund: a
// mistake in the test that calls it. POST /control/faults validates the
// same rules and answers 400 instead.
func (p *Provider) Inject(op Op, f Fault) {
	if err := f.check(op); err != nil {
		panic("sandbox: Inject: " + err.Error())
	}
	p.inject(op, f)
}

func (p *Provider) inject(op Op, f Fault) {
	if f.Times == 0 {
		f.Times = 1
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults[op] = append(p.faults[op], f)
}

// takeFault consumes one use of the next fault queued for op.
func (p *Provider) takeFault(op Op) *Fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	q := p.faults[op]
	if len(q) == 0 {
		return nil
	}
	f := q[0]
	if q[0].Times--; q[0].Times == 0 {
		p.faults[op] = q[1:]
	}
	return &f
}

// is reports whether f is a fault of kind k (f may be nil).
func (f *Fault) is(k FaultKind) bool { return f != nil && f.Kind == k }

// wait sleeps d, ending early (false) when ctx ends or the provider closes.
func (p *Provider) wait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-p.ctx.Done():
		return false
	}
}
