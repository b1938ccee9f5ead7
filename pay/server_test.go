package pay

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

type decodeTarget struct {
	Name   string `json:"name"`
	Amount Money  `json:"amount"`
}

func decode(body string) (decodeTarget, error) {
	var v decodeTarget
	r := httptest.NewRequest("POST", "/", strings.NewReader(body))
	err := DecodeJSON(httptest.NewRecorder(), r, &v)
	return v, err
}

func TestDecodeJSON(t *testing.T) {
	if v, err := decode(`{"name":"a","amount":{"amount":5,"currency":"CNY"}}`); err != nil || v.Amount != (Money{5, "CNY"}) {
		t.Fatalf("good body = %+v, %v", v, err)
	}
	for _, tc := range []struct {
		body  string
		kind  *Error
		param string
	}{
		{``, ErrInvalidRequest, ""},
		{`{"name":`, ErrInvalidRequest, ""},
		{`{"nick":"a"}`, ErrInvalidRequest, "nick"},
		{`{"name":5}`, ErrInvalidRequest, "name"},
		{`{"amount":{"amount":"5"}}`, ErrInvalidRequest, "amount.amount"},
		{`{"name":"a"} {"name":"b"}`, ErrInvalidRequest, ""},
		{`{"name":"` + strings.Repeat("a", MaxBodyBytes) + `"}`, ErrPayloadTooLarge, ""},
	} {
		_, err := decode(tc.body)
		var pe *Error
		if !errors.Is(err, tc.kind) || !errors.As(err, &pe) || pe.Param != tc.param {
			t.Errorf("decode(%.40q) = %v; want %s on %q", tc.body, err, tc.kind.Code, tc.param)
		}
	}
}

func TestWriteErrorHidesInternals(t *testing.T) {
	rec := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/", nil)
	r = r.WithContext(WithRequestID(r.Context(), "req_1"))
	WriteError(rec, r, errors.New("db password=hunter2 rejected"))
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "hunter2") || !strings.Contains(rec.Body.String(), `"request_id":"req_1"`) {
		t.Fatalf("WriteError = %d %s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	WriteError(rec, r, Errorf(ErrNotFound, "wallet_id", "no such wallet").Wrap(errors.New("internal detail")))
	var body struct{ Error map[string]any }
	_ = json.Unmarshal(rec.Body.Bytes(), &body)
	if rec.Code != 404 || body.Error["code"] != "not_found" || body.Error["param"] != "wallet_id" || bytes.Contains(rec.Body.Bytes(), []byte("internal detail")) {
		t.Fatalf("WriteError = %d %s", rec.Code, rec.Body)
	}
}

func TestNewMuxAndPathID(t *testing.T) {
	mux := NewMux([]Route{{Method: "GET", Path: "/v1/things/{id}", Handle: func(w http.ResponseWriter, r *http.Request) error {
		id, err := PathID(r, "id", "thg")
		if err != nil {
			return err
		}
		WriteJSON(w, 200, map[string]string{"id": id})
		return nil
	}}})
	for path, want := range map[string]int{"/v1/things/thg_abc123": 200, "/v1/things/bad": 404, "/v1/other": 404} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != want {
			t.Errorf("GET %s = %d; want %d", path, rec.Code, want)
		}
	}
}

// FuzzDecodeJSON: any body yields a value or a clean 400/413 *Error.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{}`, `{"name":"a"}`, `{"amount":{"amount":1,"currency":"CNY"}}`, `{"x":1}`, `[`, `null`, `{"name":"a"}x`, "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		_, err := decode(body)
		if err == nil {
			return
		}
		var pe *Error
		if !errors.As(err, &pe) || (pe.Status() != 400 && pe.Status() != 413) {
			t.Fatalf("decode(%q) = %v; want a 400/413 *Error", body, err)
		}
	})
}
