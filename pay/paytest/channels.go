package paytest

import (
	"net/http"
	"strings"
	"time"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/channel/sandbox"
	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/pay/account"
)

// SandboxChannels are the channels the reference backend registers, in
// failover order: two independent simulated providers, so aggregation,
// switches and failover can be tried offline. Each provider is served by
// the backend itself under /sandbox/<name>/ (its API, its control
// endpoints for playing the payer, and its payment pages), and posts its
// signed callbacks to /v1/callbacks/<name>.
var SandboxChannels = []string{"sandbox-a", "sandbox-b"}

// setupChannels builds the sandbox providers, their adapters, the webhook
// sender and the aggregator, all sharing the backend's ledger and clock.
func (b *Backend) setupChannels(c config) error {
	var err error
	b.Webhooks, err = pay.NewWebhookSender(
		pay.WithSenderClock(c.clock),
		pay.WithSenderLogger(c.log),
		pay.WithSenderRetryPolicy(pay.RetryPolicy{MaxAttempts: 5, BaseDelay: 50 * time.Millisecond, MaxDelay: time.Second}),
	)
	if err != nil {
		return err
	}
	b.notifiers = append(b.notifiers, b.Webhooks)
	base := strings.TrimSuffix(c.publicURL, "/")
	b.Channels, err = channel.New(
		channel.WithLedger(b.Ledger),
		channel.WithClock(c.clock),
		channel.WithLogger(c.log),
		channel.WithNotifier(fanout{b}),
		channel.WithMerchantAccount(account.MerchantLedgerAccount),
		channel.WithCallbackURL(func(ch string) string { return base + "/v1/callbacks/" + ch }),
	)
	if err != nil {
		return err
	}
	b.Sandboxes = map[string]*sandbox.Provider{}
	for _, name := range SandboxChannels {
		p, err := sandbox.NewProvider(sandbox.WithProviderClock(c.clock), sandbox.WithCallbackRetries(5, 50*time.Millisecond))
		if err != nil {
			return err
		}
		ch, err := sandbox.New(base+"/sandbox/"+name, p.Secret(),
			sandbox.WithName(name), sandbox.WithClock(c.clock),
			sandbox.WithRetryPolicy(pay.RetryPolicy{MaxAttempts: 3, BaseDelay: 20 * time.Millisecond, MaxDelay: 200 * time.Millisecond}),
			sandbox.WithHTTPClient(&http.Client{Timeout: 5 * time.Second}),
		)
		if err != nil {
			return err
		}
		if err := b.Channels.Register(ch); err != nil {
			return err
		}
		b.Sandboxes[name] = p
	}
	return nil
}

// mountSandboxes serves each sandbox provider under /sandbox/<name>/.
func (b *Backend) mountSandboxes(mux *http.ServeMux) {
	for name, p := range b.Sandboxes {
		prefix := "/sandbox/" + name
		mux.Handle(prefix+"/", http.StripPrefix(prefix, p))
	}
}

// Close stops the backend's background work: webhook deliveries and the
// sandbox providers' callbacks.
func (b *Backend) Close() {
	for _, p := range b.Sandboxes {
		p.Close()
	}
	b.Webhooks.Close()
}
