package im

import (
	"net/http"
	"strconv"
	"time"

	"github.com/paykit-go/paykit/pay"
)

// Bodies of the relay's HTTP contract.
type (
	// RelayPostRequest posts an opaque body for the recipient To (a key
	// ID) to a conversation.
	RelayPostRequest struct {
		To   string `json:"to"`
		Body string `json:"body"`
	}
	// Posted is what the relay answers to an accepted post.
	Posted struct {
		Seq int64     `json:"seq"`
		To  string    `json:"to"`
		At  time.Time `json:"at"`
	}
)

// RelayRoutes is the HTTP face of an IM server that only forwards:
//
//	POST /v1/im/conversations/{conversation_id}/messages             device  RelayPostRequest → Posted
//	GET  /v1/im/conversations/{conversation_id}/messages?to=&after=  device  → List[RelayedMessage]
//
// A post to the payment subsystem is pushed to it before it is stored; if
// the subsystem refuses it (it can't be opened, was sealed to another key,
// is not an envelope) the post fails with that error and nothing is
// stored. GET returns the messages addressed to to (a device's key ID)
// after the sequence number after, at most MaxFetch; page with the last
// Seq.
func RelayRoutes(r *MemRelay) []pay.Route {
	path := "/v1/im/conversations/{conversation_id}/messages"
	return []pay.Route{
		{Method: "POST", Path: path, Access: pay.AccessDevice, Handle: func(w http.ResponseWriter, req *http.Request) error {
			var in RelayPostRequest
			if err := pay.DecodeJSON(w, req, &in); err != nil {
				return err
			}
			m, err := r.Deliver(req.Context(), req.PathValue("conversation_id"), in.To, in.Body)
			if err != nil {
				return err
			}
			pay.WriteJSON(w, http.StatusCreated, Posted{Seq: m.Seq, To: m.To, At: m.At})
			return nil
		}},
		{Method: "GET", Path: path, Access: pay.AccessDevice, Handle: func(w http.ResponseWriter, req *http.Request) error {
			q := req.URL.Query()
			var after int64
			if s := q.Get("after"); s != "" {
				n, err := strconv.ParseInt(s, 10, 64)
				if err != nil || n < 0 {
					return pay.Errorf(pay.ErrInvalidRequest, "after", "after must be a sequence number (0 or more)")
				}
				after = n
			}
			return pay.ReplyList(w)(r.Fetch(req.Context(), req.PathValue("conversation_id"), q.Get("to"), after))
		}},
	}
}
