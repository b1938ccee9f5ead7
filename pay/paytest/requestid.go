package paytest

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/paykit-go/paykit/pay"
)

// withRequestID gives every request an ID (response header Request-Id and
// in every error body) and turns panics into a logged 500.
func withRequestID(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := pay.NewID(pay.PrefixRequest)
		w.Header().Set(pay.RequestIDHeader, id)
		r = r.WithContext(pay.WithRequestID(r.Context(), id))
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.Error("handler panic", "request_id", id, "method", r.Method, "path", logPath(r.URL.Path), "panic", v)
				pay.WriteError(w, r, pay.ErrInternal)
			}
		}()
		next.ServeHTTP(w, r)
		log.Debug("request", "request_id", id, "method", r.Method, "path", logPath(r.URL.Path))
	})
}

// secretPaths are path prefixes whose last segment is a bearer secret (an
// approval or activation link token): logs show the route, not the token.
var secretPaths = []string{"/vr/approve/", "/vr/activate/"}

// logPath is a request path as logs may show it.
func logPath(p string) string {
	for _, prefix := range secretPaths {
		if strings.HasPrefix(p, prefix) {
			return prefix + "{token}"
		}
	}
	return pay.Clip(p, 200)
}
