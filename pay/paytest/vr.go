package paytest

import (
	"context"
	"strings"

	"github.com/paykit-go/paykit/channel"
	"github.com/paykit-go/paykit/pay"
	"github.com/paykit-go/paykit/verify"
	"github.com/paykit-go/paykit/vrauth"
)

// setupVR builds the VR payment service on the backend's aggregator and
// clock. Its SMS codes and approval links go to Outbox, which tests and
// examples read in place of a phone. Call it after setupChannels; the
// aggregator's notifier fans out to the merchant webhooks and to the
// service, which settles headset purchases from payment events.
func (b *Backend) setupVR(c config) error {
	b.Outbox = &verify.Outbox{}
	var err error
	b.VR, err = vrauth.New(b.Channels, vrauth.WithClock(c.clock), vrauth.WithSender(b.Outbox),
		vrauth.WithPublicURL(strings.TrimSuffix(c.publicURL, "/")), vrauth.WithLogger(c.log))
	if err != nil {
		return err
	}
	b.notifiers = append(b.notifiers, b.VR)
	return nil
}

// fanout is the aggregator's notifier: every change goes to each of them.
type fanout struct{ b *Backend }

// Notify implements channel.Notifier.
func (f fanout) Notify(ctx context.Context, e pay.Event) {
	for _, n := range f.b.notifiers {
		n.Notify(ctx, e)
	}
}

var _ channel.Notifier = fanout{}
