package paytest

import (
	"context"
	"crypto/sha256"
	"net/http"
	"strings"

	"github.com/paykit-go/paykit/pay"
)

// Role is what an API key may do.
type Role int

// Roles, weakest first: a device (headset, POS, top-up machine) calls device
// routes; a merchant backend also calls merchant routes; an operator (admin)
// calls everything.
const (
	RoleDevice Role = iota
	RoleMerchant
	RoleAdmin
)

// String names the role.
func (r Role) String() string { return [...]string{"device", "merchant", "admin"}[r] }

func (r Role) allows(a pay.Access) bool {
	switch a {
	case pay.AccessDevice:
		return true
	case pay.AccessMerchant:
		return r >= RoleMerchant
	default:
		return r == RoleAdmin
	}
}

// access is the strongest access level the role has.
func (r Role) access() pay.Access {
	return [...]pay.Access{pay.AccessDevice, pay.AccessMerchant, pay.AccessAdmin}[r]
}

// grant is what one API key may do: its role and extra scopes.
type grant struct {
	role   Role
	scopes []string
}

// keyring maps SHA-256 digests of API keys to grants, so looking a key up
// doesn't compare secrets byte by byte and the raw keys aren't kept.
type keyring map[[32]byte]grant

type principalKey struct{}

// principal is the authenticated caller: its key digest scopes idempotency.
type principal struct {
	digest [32]byte
	role   Role
}

func principalFrom(ctx context.Context) (principal, bool) {
	p, ok := ctx.Value(principalKey{}).(principal)
	return p, ok
}

// authenticate checks the bearer key and the route's access level.
func (k keyring) authenticate(access pay.Access, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || key == "" {
			pay.WriteError(w, r, pay.Errorf(pay.ErrUnauthorized, "", "missing API key: send Authorization: Bearer <key>"))
			return
		}
		d := sha256.Sum256([]byte(key))
		g, ok := k[d]
		role := g.role
		if !ok {
			pay.WriteError(w, r, pay.Errorf(pay.ErrUnauthorized, "", "invalid API key"))
			return
		}
		if !role.allows(access) {
			pay.WriteError(w, r, pay.Errorf(pay.ErrForbidden, "", "a %s key may not call this %s route", role, access))
			return
		}
		ctx := context.WithValue(r.Context(), principalKey{}, principal{digest: d, role: role})
		ctx = pay.WithPrincipal(ctx, pay.Principal{ID: role.String(), Access: role.access(), Scopes: g.scopes})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}
