package pay

import (
	"context"
	"slices"
)

// Principal is the authenticated caller of a route, as the backend's auth
// middleware established it from the API key. Domain handlers read it to
// decide ownership and permissions (a token vault returns account numbers
// only to a principal with the detokenize scope); they never see the key.
type Principal struct {
	// ID names the key's holder stably (e.g. "merchant"); domain engines
	// record it as the owner of what the caller creates.
	ID string
	// Access is the strongest access level the key has.
	Access Access
	// Scopes are extra permissions granted to the key, named by the domain
	// package that checks them (e.g. "token:detokenize").
	Scopes []string
}

// HasScope reports whether the principal was granted scope.
func (p Principal) HasScope(scope string) bool { return slices.Contains(p.Scopes, scope) }

type principalKey struct{}

// WithPrincipal returns a context carrying p, for auth middleware.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal the auth middleware put in ctx.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}
