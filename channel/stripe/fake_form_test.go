package stripe

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// ---- bracket-notation form parsing ----

// nested parses Stripe's bracket notation: a[b][c]=v becomes
// {"a":{"b":{"c":"v"}}} and a[]=x&a[]=y becomes {"a":["x","y"]}.
func nested(form url.Values) (map[string]any, error) {
	out := map[string]any{}
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		parts, err := splitKey(k)
		if err != nil {
			return nil, err
		}
		for _, v := range form[k] {
			if err := setPath(out, parts, v); err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
		}
	}
	return out, nil
}

func splitKey(k string) ([]string, error) {
	i := strings.IndexByte(k, '[')
	if i < 0 {
		return []string{k}, nil
	}
	parts := []string{k[:i]}
	rest := k[i:]
	for rest != "" {
		if rest[0] != '[' {
			return nil, fmt.Errorf("bad key %q", k)
		}
		j := strings.IndexByte(rest, ']')
		if j < 0 {
			return nil, fmt.Errorf("bad key %q", k)
		}
		parts = append(parts, rest[1:j])
		rest = rest[j+1:]
	}
	return parts, nil
}

func setPath(m map[string]any, parts []string, v string) error {
	head := parts[0]
	if len(parts) == 1 {
		if _, dup := m[head]; dup {
			return fmt.Errorf("repeated")
		}
		m[head] = v
		return nil
	}
	if len(parts) == 2 && parts[1] == "" {
		list, _ := m[head].([]string)
		m[head] = append(list, v)
		return nil
	}
	sub, ok := m[head].(map[string]any)
	if !ok {
		if _, exists := m[head]; exists {
			return fmt.Errorf("mixed types")
		}
		sub = map[string]any{}
		m[head] = sub
	}
	return setPath(sub, parts[1:], v)
}

func str(m map[string]any, path ...string) string {
	var cur any = m
	for _, p := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = mm[p]
	}
	s, _ := cur.(string)
	return s
}

func strMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	out := map[string]any{}
	for k, x := range m {
		out[k] = x
	}
	return out
}

// params parses r's form and refuses unknown top-level parameters.
func (f *fakeStripe) params(w http.ResponseWriter, r *http.Request, allowed ...string) (map[string]any, bool) {
	p, err := nested(r.Form)
	if err != nil {
		writeErr(w, 400, "invalid_request_error", "parameter_invalid", "Invalid parameters: "+err.Error(), "")
		return nil, false
	}
	for k := range p {
		ok := false
		for _, a := range allowed {
			ok = ok || a == k
		}
		if !ok {
			writeErr(w, 400, "invalid_request_error", "parameter_unknown", "Received unknown parameter: "+k, k)
			return nil, false
		}
	}
	return p, true
}

func expands(p map[string]any, what string) bool {
	list, _ := p["expand"].([]string)
	for _, e := range list {
		if e == what {
			return true
		}
	}
	return false
}

func str2(m map[string]any, path ...string) any {
	var cur any = m
	for _, p := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[p]
	}
	return cur
}
