package qr

import (
	"bytes"
	"encoding/json"
	"time"
)

// Durations travel in JSON as whole seconds ("validity_seconds",
// "max_unsettled_seconds"), which is what a payment engineer types into a
// request, not Go's nanoseconds. In Go they stay time.Duration.

type issueRequestJSON struct {
	Holder          string `json:"holder"`
	Token           string `json:"token"`
	Balance         any    `json:"balance"`
	Uses            int    `json:"uses,omitempty"`
	ValiditySeconds int64  `json:"validity_seconds"`
}

// MarshalJSON writes Validity as validity_seconds.
func (r IssueRequest) MarshalJSON() ([]byte, error) {
	return json.Marshal(issueRequestJSON{Holder: r.Holder, Token: r.Token, Balance: r.Balance, Uses: r.Uses, ValiditySeconds: int64(r.Validity / time.Second)})
}

// UnmarshalJSON reads validity_seconds into Validity. Seconds beyond what a
// Duration holds are clamped, and Issue then refuses them as too long.
func (r *IssueRequest) UnmarshalJSON(b []byte) error {
	var in struct {
		issueRequestJSON
		Balance json.RawMessage `json:"balance"`
	}
	if err := strict(b, &in); err != nil {
		return err
	}
	out := IssueRequest{Holder: in.Holder, Token: in.Token, Uses: in.Uses, Validity: seconds(in.ValiditySeconds)}
	if len(in.Balance) > 0 {
		if err := json.Unmarshal(in.Balance, &out.Balance); err != nil {
			return err
		}
	}
	*r = out
	return nil
}

type offlineLimitsJSON struct {
	Currency            string `json:"currency"`
	PerTransaction      int64  `json:"per_transaction"`
	PerCardAmount       int64  `json:"per_card_amount"`
	PerCardCount        int    `json:"per_card_count"`
	PerTerminalAmount   int64  `json:"per_terminal_amount"`
	PerTerminalCount    int    `json:"per_terminal_count"`
	MaxUnsettledSeconds int64  `json:"max_unsettled_seconds"`
}

// MarshalJSON writes MaxUnsettled as max_unsettled_seconds.
func (l OfflineLimits) MarshalJSON() ([]byte, error) {
	return json.Marshal(offlineLimitsJSON{l.Currency, l.PerTransaction, l.PerCardAmount, l.PerCardCount, l.PerTerminalAmount, l.PerTerminalCount, int64(l.MaxUnsettled / time.Second)})
}

// UnmarshalJSON reads max_unsettled_seconds into MaxUnsettled.
func (l *OfflineLimits) UnmarshalJSON(b []byte) error {
	var in offlineLimitsJSON
	if err := strict(b, &in); err != nil {
		return err
	}
	*l = OfflineLimits{in.Currency, in.PerTransaction, in.PerCardAmount, in.PerCardCount, in.PerTerminalAmount, in.PerTerminalCount, seconds(in.MaxUnsettledSeconds)}
	return nil
}

// strict decodes b into v refusing unknown fields, as pay.DecodeJSON does
// for every request body.
func strict(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	return d.Decode(v)
}

// seconds converts whole seconds to a Duration, clamping to its range.
func seconds(s int64) time.Duration {
	const most = int64(1<<63-1) / int64(time.Second)
	switch {
	case s > most:
		return time.Duration(1<<63 - 1)
	case s < -most:
		return time.Duration(-1 << 63)
	}
	return time.Duration(s) * time.Second
}
