package channel

import (
	"context"
	"maps"
	"time"
	"unicode/utf8"

	"github.com/paykit-go/paykit/pay"
)

// AgreementParams asks the aggregator to start signing a standing debit
// agreement (proxy debit) between a user and a channel.
type AgreementParams struct {
	// Channel must implement AgreementChannel and be available to the user.
	Channel string `json:"channel"`
	// UserID is the user who signs. Required.
	UserID string `json:"user_id"`
	// DisplayName is shown to the user while signing.
	DisplayName string `json:"display_name,omitempty"`
	// ReturnURL is where the signing page sends the user afterwards.
	ReturnURL string `json:"return_url,omitempty"`
}

// AgreementRecord is the aggregator's record of a standing debit agreement.
// ScenarioAgreement payments name it by ID.
type AgreementRecord struct {
	ID          string          `json:"id"`
	Channel     string          `json:"channel"`
	UserID      string          `json:"user_id"`
	DisplayName string          `json:"display_name,omitempty"`
	Status      AgreementStatus `json:"status"`
	// ProviderID is the provider's contract or agreement number.
	ProviderID string `json:"provider_id,omitempty"`
	// Action is how the user signs while the agreement is pending.
	Action    Action    `json:"action"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func (r AgreementRecord) clone() AgreementRecord {
	r.Action.AppParams = maps.Clone(r.Action.AppParams)
	return r
}

// SignAgreement starts signing an agreement: the returned record is pending
// with the Action that takes the user to the provider's signing page; the
// provider's agreement.signed callback completes it.
func (a *Aggregator) SignAgreement(ctx context.Context, req AgreementParams) (AgreementRecord, error) {
	if err := checkUserID(req.UserID, true); err != nil {
		return AgreementRecord{}, err
	}
	if len(req.DisplayName) > 64 || !utf8.ValidString(req.DisplayName) {
		return AgreementRecord{}, pay.Errorf(pay.ErrInvalidRequest, "display_name", "display_name must be valid UTF-8 of at most 64 bytes")
	}
	ch, err := a.Channel(req.Channel)
	if err != nil {
		return AgreementRecord{}, err
	}
	ac, ok := ch.(AgreementChannel)
	if !ok || !ch.Capabilities().Agreements {
		return AgreementRecord{}, Errorf(ErrUnsupported, "channel", "channel %q does not sign agreements", req.Channel)
	}
	if err := a.choosable(ctx, req.UserID, req.Channel, ScenarioAgreement, ""); err != nil {
		return AgreementRecord{}, err
	}
	now := a.clock.Now().UTC()
	rec := AgreementRecord{ID: pay.NewID(PrefixAgree), Channel: req.Channel, UserID: req.UserID, DisplayName: req.DisplayName,
		Status: AgreementPending, CreatedAt: now, UpdatedAt: now}
	if err := a.store.InsertAgreement(ctx, rec); err != nil {
		return AgreementRecord{}, err
	}
	got, err := ac.SignAgreement(ctx, AgreementRequest{
		AgreementID: rec.ID, UserID: req.UserID, DisplayName: req.DisplayName,
		NotifyURL: a.callbackURL(req.Channel), ReturnURL: req.ReturnURL,
	})
	if err != nil {
		_, _ = a.store.UpdateAgreement(ctx, rec.ID, "", func(r *AgreementRecord) error {
			r.Status, r.UpdatedAt = AgreementTerminated, a.clock.Now().UTC()
			return nil
		})
		return AgreementRecord{}, err
	}
	return a.setAgreement(ctx, rec.ID, "", got.Status, got.ProviderID, &got.Action)
}

// AgreementByID returns an agreement record.
func (a *Aggregator) AgreementByID(ctx context.Context, id string) (AgreementRecord, error) {
	return a.store.Agreement(ctx, id)
}

// TerminateAgreement ends an agreement at its channel; later agreement
// payments under it are refused.
func (a *Aggregator) TerminateAgreement(ctx context.Context, id, reason string) (AgreementRecord, error) {
	rec, err := a.store.Agreement(ctx, id)
	if err != nil || rec.Status == AgreementTerminated {
		return rec, err
	}
	ch, err := a.Channel(rec.Channel)
	if err != nil {
		return AgreementRecord{}, err
	}
	if rec.ProviderID != "" || rec.Status == AgreementSigned {
		if err := ch.(AgreementChannel).TerminateAgreement(ctx, id, reason); err != nil {
			return AgreementRecord{}, err
		}
	}
	return a.setAgreement(ctx, id, "", AgreementTerminated, "", nil)
}

// setAgreement moves an agreement: pending → signed → terminated, and
// pending → terminated; terminated is final.
func (a *Aggregator) setAgreement(ctx context.Context, id, eventKey string, to AgreementStatus, providerID string, action *Action) (AgreementRecord, error) {
	changed := false
	rec, err := a.store.UpdateAgreement(ctx, id, eventKey, func(r *AgreementRecord) error {
		if r.ProviderID == "" {
			r.ProviderID = providerID
		}
		if action != nil {
			r.Action = *action
		}
		if r.Status != to && r.Status != AgreementTerminated && to != AgreementPending {
			r.Status, changed = to, true
		}
		r.UpdatedAt = a.clock.Now().UTC()
		return nil
	})
	if err == nil && changed {
		typ := WebhookAgreementSigned
		if to == AgreementTerminated {
			typ = WebhookAgreementTerminated
		}
		a.notify(ctx, typ, rec)
	}
	return rec, err
}

func (a *Aggregator) applyAgreementEvent(ctx context.Context, key string, ev Event) error {
	rec, err := a.store.Agreement(ctx, ev.AgreementID)
	if err != nil {
		return err
	}
	if rec.Channel != ev.Channel {
		return Errorf(ErrUnknownCharge, "agreement_id", "agreement %s was not signed through %q", ev.AgreementID, ev.Channel)
	}
	to := AgreementSigned
	if ev.Type == EventAgreementTerminated {
		to = AgreementTerminated
	}
	_, err = a.setAgreement(ctx, ev.AgreementID, key, to, ev.ProviderAgreementID, nil)
	return err
}

// usableAgreement checks an agreement payment's agreement: signed, the
// payer's, and on the chosen channel.
func (a *Aggregator) usableAgreement(ctx context.Context, req PaymentRequest) (AgreementRecord, error) {
	rec, err := a.store.Agreement(ctx, req.AgreementID)
	if err != nil {
		return AgreementRecord{}, pay.Errorf(pay.ErrInvalidRequest, "agreement_id", "no agreement %q", req.AgreementID)
	}
	switch {
	case rec.UserID != req.UserID:
		return AgreementRecord{}, pay.Errorf(pay.ErrForbidden, "agreement_id", "agreement %s belongs to another user", rec.ID)
	case rec.Channel != req.Channel:
		return AgreementRecord{}, pay.Errorf(pay.ErrInvalidRequest, "agreement_id", "agreement %s is with channel %q, not %q", rec.ID, rec.Channel, req.Channel)
	case rec.Status != AgreementSigned:
		return AgreementRecord{}, Errorf(ErrDeclined, "agreement_id", "agreement %s is %s, not signed", rec.ID, rec.Status)
	}
	return rec, nil
}
