package pay

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
)

// MaxBodyBytes is the largest request body a paykit handler reads (1 MiB).
// Larger bodies are answered 413 payload_too_large.
const MaxBodyBytes = 1 << 20

// RequestIDHeader carries the backend's request ID on every response.
const RequestIDHeader = "Request-Id"

// Access says which API keys may call a route. The reference backend's auth
// middleware enforces it; a domain Handler served alone ignores it.
type Access int

const (
	// AccessDevice routes may be called by device keys (headsets, POS,
	// top-up machines) and by merchant keys.
	AccessDevice Access = iota
	// AccessMerchant routes may be called only by merchant backend keys.
	AccessMerchant
	// AccessAdmin routes may be called only by operator keys.
	AccessAdmin
	// AccessPublic routes take no API key: third parties call them and the
	// route authenticates the caller itself (a payment provider's callback
	// verifies the provider's signature).
	AccessPublic
)

// String names the access level as the backend's docs do.
func (a Access) String() string {
	switch a {
	case AccessDevice:
		return "device"
	case AccessMerchant:
		return "merchant"
	case AccessAdmin:
		return "admin"
	case AccessPublic:
		return "public"
	}
	return "unknown"
}

// Route is one endpoint of a domain package's HTTP contract: its method and
// path pattern (net/http ServeMux syntax), who may call it, and the function
// serving it. Domain packages list their routes next to their request and
// response structs so the whole contract reads in one folder.
type Route struct {
	Method string
	Path   string
	Access Access
	Handle func(w http.ResponseWriter, r *http.Request) error
}

// Pattern returns "METHOD /path" for http.ServeMux.
func (rt Route) Pattern() string { return rt.Method + " " + rt.Path }

// ServeHTTP runs the route and answers a returned error as JSON.
func (rt Route) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := rt.Handle(w, r); err != nil {
		WriteError(w, r, err)
	}
}

// NewMux serves routes on one ServeMux with no authentication; the
// reference backend adds auth, idempotency and request IDs around it.
func NewMux(routes []Route) *http.ServeMux {
	mux := http.NewServeMux()
	for _, rt := range routes {
		mux.Handle(rt.Pattern(), rt)
	}
	mux.HandleFunc("/", NoRoute)
	return mux
}

// NoRoute answers a request no route matched with a JSON 404.
func NoRoute(w http.ResponseWriter, r *http.Request) {
	WriteError(w, r, Errorf(ErrNotFound, "", "no route %s %s", r.Method, clip(r.URL.Path)))
}

type requestIDKey struct{}

// WithRequestID returns ctx carrying the backend request ID id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestIDFrom returns the request ID carried by ctx, or "".
func RequestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// DecodeJSON reads r's body (at most MaxBodyBytes) into v strictly: unknown
// fields, trailing data and malformed JSON are 400 invalid_request naming the
// field where it can; a body over the limit is 413.
func DecodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	body := http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return jsonError(err)
		}
		return Errorf(ErrInvalidRequest, "", "request body must hold exactly one JSON value")
	}
	return nil
}

func jsonError(err error) *Error {
	var (
		mbe  *http.MaxBytesError
		syn  *json.SyntaxError
		typ  *json.UnmarshalTypeError
		kind = ErrInvalidRequest
	)
	switch {
	case errors.As(err, &mbe):
		return Errorf(ErrPayloadTooLarge, "", "request body exceeds %d bytes", MaxBodyBytes)
	case errors.Is(err, io.EOF):
		return Errorf(kind, "", "request body is empty; a JSON object is required")
	case errors.As(err, &syn):
		return Errorf(kind, "", "malformed JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		return Errorf(kind, clip(typ.Field), "field %q must be %s", clip(typ.Field), typ.Type)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		field = clip(field)
		return Errorf(kind, field, "unknown field %q", field)
	}
	return Errorf(kind, "", "malformed JSON body")
}

// WriteJSON answers v as JSON with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// errorBody is the wire form of every error response.
type errorBody struct {
	Error *Error `json:"error"`
}

// WriteError answers err as {"error":{…}} with its HTTP status. Errors that
// are not *Error become a generic 500 so internals never leak to callers.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	var pe *Error
	if !errors.As(err, &pe) {
		pe = ErrInternal
	}
	out := *pe
	out.Err = nil
	if out.RequestID == "" && r != nil {
		out.RequestID = RequestIDFrom(r.Context())
	}
	WriteJSON(w, out.Status(), errorBody{Error: &out})
}

// PathID returns the path value name of r, checking it is a well-formed ID
// with the given prefix; a malformed ID is a 404 like an unknown one.
func PathID(r *http.Request, name, prefix string) (string, error) {
	id := r.PathValue(name)
	if !ValidID(id, prefix) {
		return "", Errorf(ErrNotFound, name, "no such %s", name)
	}
	return id, nil
}

// List is the envelope of every list response: {"data": [...]}.
type List[T any] struct {
	Data []T `json:"data"`
}

// Reply adapts an engine call's (value, error) result for a Route's Handle:
// it writes the value as JSON with status, or returns the error for the
// route to answer. Use: return pay.Reply(w, 200)(engine.Get(ctx, id)).
func Reply(w http.ResponseWriter, status int) func(any, error) error {
	return func(v any, err error) error {
		if err != nil {
			return err
		}
		WriteJSON(w, status, v)
		return nil
	}
}

// ReplyList is Reply for list results, written as a List envelope.
func ReplyList(w http.ResponseWriter) func(any, error) error {
	return func(v any, err error) error {
		if err != nil {
			return err
		}
		WriteJSON(w, http.StatusOK, struct {
			Data any `json:"data"`
		}{v})
		return nil
	}
}
