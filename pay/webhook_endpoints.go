package pay

import (
	"context"
	"net/http"
	"net/url"
)

// CreateWebhookEndpointRequest is the body of POST /v1/webhook_endpoints.
type CreateWebhookEndpointRequest struct {
	URL string `json:"url"`
}

// WebhookRoutes is the HTTP contract for managing a WebhookSender's
// endpoints: merchants register a URL and receive its signing secret once.
func WebhookRoutes(s *WebhookSender) []Route {
	return []Route{
		{Method: "POST", Path: "/v1/webhook_endpoints", Access: AccessMerchant, Handle: func(w http.ResponseWriter, r *http.Request) error {
			var in CreateWebhookEndpointRequest
			if err := DecodeJSON(w, r, &in); err != nil {
				return err
			}
			return Reply(w, http.StatusCreated)(s.AddEndpoint(in.URL))
		}},
		{Method: "GET", Path: "/v1/webhook_endpoints", Access: AccessMerchant, Handle: func(w http.ResponseWriter, r *http.Request) error {
			return ReplyList(w)(s.Endpoints(), nil)
		}},
		{Method: "DELETE", Path: "/v1/webhook_endpoints/{id}", Access: AccessMerchant, Handle: func(w http.ResponseWriter, r *http.Request) error {
			if err := s.RemoveEndpoint(r.PathValue("id")); err != nil {
				return err
			}
			w.WriteHeader(http.StatusNoContent)
			return nil
		}},
	}
}

// WebhookEndpoints calls the webhook-endpoint routes.
type WebhookEndpoints struct{ c *Client }

// NewWebhookEndpoints returns a WebhookEndpoints speaking through c (a
// merchant key).
func NewWebhookEndpoints(c *Client) *WebhookEndpoints { return &WebhookEndpoints{c: c} }

// Create registers rawURL and returns the endpoint with its signing secret.
func (w *WebhookEndpoints) Create(ctx context.Context, rawURL string, opts ...CallOption) (WebhookEndpoint, error) {
	var out WebhookEndpoint
	return out, w.c.Post(ctx, "/v1/webhook_endpoints", CreateWebhookEndpointRequest{URL: rawURL}, &out, opts...)
}

// List returns the registered endpoints, without secrets.
func (w *WebhookEndpoints) List(ctx context.Context) ([]WebhookEndpoint, error) {
	var out List[WebhookEndpoint]
	return out.Data, w.c.Get(ctx, "/v1/webhook_endpoints", &out)
}

// Delete unregisters an endpoint.
func (w *WebhookEndpoints) Delete(ctx context.Context, id string) error {
	return w.c.Delete(ctx, "/v1/webhook_endpoints/"+url.PathEscape(id), nil)
}
