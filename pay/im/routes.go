package im

import (
	"context"
	"crypto/ed25519"
	"log/slog"
	"net/http"
	"slices"

	"github.com/paykit-go/paykit/pay"
)

// Request and response bodies of the subsystem's HTTP contract.
type (
	// RegisterDeviceRequest registers an IM client (RegisterDevice).
	RegisterDeviceRequest struct {
		ID         string `json:"id"`
		CustomerID string `json:"customer_id"`
		// SigningKey is the device's Ed25519 public key (32 bytes; base64
		// in JSON).
		SigningKey []byte `json:"signing_key"`
		// SealKey is the device's HPKE public key, "<suite>.<base64url>".
		SealKey PublicKey `json:"seal_key"`
	}
	// PasswordRequest sets a customer's payment password (SetPassword).
	PasswordRequest struct {
		Password string `json:"password"`
	}
	// OK is the body of calls that only succeed or fail.
	OK struct {
		OK bool `json:"ok"`
	}
	// PublishedKeys is what GET /v1/im/key answers: the keys clients seal
	// requests to (primary first) and the key that verifies the
	// subsystem's prompts, whose envelopes name SenderID.
	PublishedKeys struct {
		Keys       []PublicKey       `json:"keys"`
		SigningKey ed25519.PublicKey `json:"signing_key"`
		SenderID   string            `json:"sender_id"`
	}
)

// String keeps the password out of logs.
func (PasswordRequest) String() string { return "im.PasswordRequest{[redacted]}" }

// GoString keeps it out of %#v.
func (r PasswordRequest) GoString() string { return r.String() }

// LogValue keeps it out of structured logs.
func (r PasswordRequest) LogValue() slog.Value { return slog.StringValue(r.String()) }

// SubsystemKey is what a client needs to talk to the subsystem: the key to
// seal requests to and the key its prompts are signed with.
type SubsystemKey struct {
	SealKey    PublicKey
	SigningKey ed25519.PublicKey
}

// For returns the published key of suite s (the first if there are
// several) with the signing key, or ErrKey when none is of that suite.
func (k PublishedKeys) For(s Suite) (SubsystemKey, error) {
	if len(k.SigningKey) != ed25519.PublicKeySize {
		return SubsystemKey{}, pay.Errorf(ErrKey, "signing_key", "the subsystem's signing key is not an Ed25519 key")
	}
	for _, p := range k.Keys {
		if p.Suite() == s {
			return SubsystemKey{SealKey: p, SigningKey: slices.Clone(k.SigningKey)}, nil
		}
	}
	return SubsystemKey{}, pay.Errorf(ErrKey, "suite", "the subsystem publishes no %s key", s)
}

// Published returns the subsystem's public keys as GET /v1/im/key answers
// them.
func (s *Subsystem) Published() PublishedKeys {
	return PublishedKeys{Keys: s.Keys(), SigningKey: s.SigningKey(), SenderID: SubsystemSender}
}

// Routes is the HTTP contract of the payment subsystem (the relay's is
// RelayRoutes):
//
//	POST /v1/im/devices                           device  RegisterDeviceRequest → Device
//	POST /v1/im/customers/{customer_id}/password  device  PasswordRequest → OK (set once)
//	GET  /v1/im/key                               device  → PublishedKeys
//
// Payment requests don't come over HTTP: they come sealed, through the
// relay. The password travels only in a request body.
func Routes(s *Subsystem) []pay.Route {
	type serve func(ctx context.Context, w http.ResponseWriter, r *http.Request) (any, error)
	route := func(method, path string, status int, f serve) pay.Route {
		return pay.Route{Method: method, Path: path, Access: pay.AccessDevice, Handle: func(w http.ResponseWriter, r *http.Request) error {
			return pay.Reply(w, status)(f(r.Context(), w, r))
		}}
	}
	return []pay.Route{
		route("POST", "/v1/im/devices", http.StatusCreated, func(ctx context.Context, w http.ResponseWriter, r *http.Request) (any, error) {
			var in RegisterDeviceRequest
			if err := pay.DecodeJSON(w, r, &in); err != nil {
				return nil, err
			}
			return s.RegisterDevice(ctx, Device{ID: in.ID, CustomerID: in.CustomerID, SigningKey: in.SigningKey, SealKey: in.SealKey})
		}),
		route("POST", "/v1/im/customers/{customer_id}/password", http.StatusOK, func(ctx context.Context, w http.ResponseWriter, r *http.Request) (any, error) {
			var in PasswordRequest
			if err := pay.DecodeJSON(w, r, &in); err != nil {
				return nil, err
			}
			if err := s.SetPassword(ctx, r.PathValue("customer_id"), in.Password); err != nil {
				return nil, err
			}
			return OK{OK: true}, nil
		}),
		route("GET", "/v1/im/key", http.StatusOK, func(context.Context, http.ResponseWriter, *http.Request) (any, error) {
			return s.Published(), nil
		}),
	}
}

// Handler serves Routes(s) and, when the subsystem's relay is a MemRelay
// (its default one, say), that relay's RelayRoutes: the whole of system B
// on one handler, without authentication (the reference backend adds it).
func Handler(s *Subsystem) http.Handler {
	routes := Routes(s)
	if r, ok := s.relay.(*MemRelay); ok {
		routes = append(routes, RelayRoutes(r)...)
	}
	return pay.NewMux(routes)
}
