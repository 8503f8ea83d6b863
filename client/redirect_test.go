package client

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"h2ogpte-keys/model"
)

// TestRedirectsAreNotFollowed: a 3xx is an error naming where the server
// points, sent once and never retried, and nothing (least of all the token)
// reaches the place it points to. Following it would turn the create POST
// into a GET and read a list as the create's answer.
func TestRedirectsAreNotFollowed(t *testing.T) {
	ctx := context.Background()
	ops := []struct {
		name   string
		path   string
		method string
		do     func(*Client) error
	}{
		{"read", "/api/v1/users", http.MethodGet,
			func(c *Client) error { _, err := c.ListUsers(ctx); return err }},
		{"create", "/api/v1/admin/api_keys", http.MethodPost,
			func(c *Client) error { _, err := c.CreateKey(ctx, model.NewKey{UserID: "u", Name: "n"}); return err }},
		{"delete", "/api/v1/admin/api_keys/k1", http.MethodDelete,
			func(c *Client) error { return c.Delete(ctx, "k1") }},
	}
	for _, op := range ops {
		for _, status := range []int{301, 302, 307, 308} {
			t.Run(op.name+"/"+http.StatusText(status), func(t *testing.T) {
				elsewhere := newFake(t, func(w http.ResponseWriter, r *http.Request) {
					if r.Method == http.MethodPost {
						writeJSON(w, 201, map[string]any{"secret_key": "sk-x", "api_key": keyJSON(1, "alice")})
						return
					}
					writeJSON(w, 200, []any{})
				})
				srv := newFake(t, func(w http.ResponseWriter, r *http.Request) {
					http.Redirect(w, r, elsewhere.URL+r.URL.Path+"?next=1", status)
				})
				err := op.do(newTestClient(t, srv.URL))
				if err == nil || errors.Is(err, ErrNetwork) || errors.Is(err, ErrTimeout) {
					t.Fatalf("err = %v, want a redirect error", err)
				}
				want := "the server redirects to " + elsewhere.URL + op.path + ": use " + elsewhere.URL + " as the address"
				if !strings.Contains(err.Error(), want) {
					t.Errorf("err = %q, want it to contain %q", err, want)
				}
				if strings.Contains(err.Error(), "may have been created") || strings.Contains(err.Error(), "next=1") {
					t.Errorf("err = %q", err)
				}
				if reqs := srv.requests(); len(reqs) != 1 || reqs[0].Method != op.method {
					t.Errorf("server saw %d requests (%v), want exactly one %s", len(reqs), reqs, op.method)
				}
				if n := len(elsewhere.requests()); n != 0 {
					t.Errorf("the redirect target got %d requests (with the token), want none", n)
				}
			})
		}
	}
}

func TestRedirectMessage(t *testing.T) {
	tests := []struct {
		name     string
		address  string
		location string
		want     string
	}{
		{"to https", "http://gpte.example.com", "https://gpte.example.com/api/v1/users",
			"the server redirects to https://gpte.example.com/api/v1/users: use https://gpte.example.com as the address"},
		{"under a prefix", "https://example.com", "/h2ogpte/api/v1/users",
			"the server redirects to https://example.com/h2ogpte/api/v1/users: use https://example.com/h2ogpte as the address"},
		{"credentials and query left out", "https://a.example.com", "https://u:pw@b.example.com/api/v1/users?code=xyz#f",
			"the server redirects to https://b.example.com/api/v1/users: use https://b.example.com as the address"},
		{"same endpoint without /api/v1", "https://gpte.example.com", "https://other.example.com/v2/users",
			"the server redirects to https://other.example.com/v2/users instead of answering: is https://gpte.example.com the h2oGPTe API address?"},
		{"a login page", "https://gpte.example.com", "https://sso.example.com/login?state=abc",
			"the server redirects to https://sso.example.com/login instead of answering: is https://gpte.example.com the h2oGPTe API address?"},
		{"no location", "https://gpte.example.com", "",
			"the server answered with a redirect (302) without saying where to: is https://gpte.example.com the h2oGPTe API?"},
		{"not a web address", "https://gpte.example.com", "javascript:alert(1)",
			`the server redirects (302) to "javascript:alert(1)": is https://gpte.example.com the h2oGPTe API?`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestClient(t, tt.address)
			if got := c.redirectMessage("/users", 302, tt.location); got != tt.want {
				t.Errorf("redirectMessage(%q)\n got %q\nwant %q", tt.location, got, tt.want)
			}
		})
	}
}
