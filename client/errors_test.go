package client

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"h2ogpte-keys/model"
)

func TestAPIErrors(t *testing.T) {
	sentinels := []error{ErrUnauthorized, ErrForbidden, ErrNotFound, ErrConflict, ErrTimeout, ErrNetwork}
	tests := []struct {
		name    string
		status  int
		body    string
		do      func(*Client) error
		is      error
		want    string
		wantAPI APIError
	}{
		{
			name: "400 over the expiry limit", status: 400,
			body: `{"code":400,"message":"expiry exceeds the global limit of 90 days"}`,
			do: func(c *Client) error {
				return c.SetExpiry(context.Background(), "k1", model.Expiry{In: model.Interval{N: 1, Unit: model.Year}})
			},
			want:    "set expiry of key k1: bad request (400): expiry exceeds the global limit of 90 days",
			wantAPI: APIError{Status: 400, Code: 400, Message: "expiry exceeds the global limit of 90 days", Op: "set expiry of key k1"},
		},
		{
			name: "401 rejected token", status: 401, body: `{"code":401,"message":"invalid API key"}`,
			do: func(c *Client) error { return c.CheckAdmin(context.Background()) }, is: ErrUnauthorized,
			want:    "check admin access: the token was rejected (401): invalid API key",
			wantAPI: APIError{Status: 401, Code: 401, Message: "invalid API key", Op: "check admin access"},
		},
		{
			name: "403 not an admin, newer server with error_type", status: 403,
			body: `{"code":403,"message":"admin only","error_type":"permission_denied"}`,
			do:   func(c *Client) error { _, err := c.ListAllKeys(context.Background()); return err }, is: ErrForbidden,
			want:    "list keys: this token is not an administrator's and cannot manage API keys (403): admin only",
			wantAPI: APIError{Status: 403, Code: 403, Message: "admin only", ErrorType: "permission_denied", Op: "list keys"},
		},
		{
			name: "404", status: 404, body: `{"code":404,"message":"key not found"}`,
			do: func(c *Client) error { return c.Delete(context.Background(), "123") }, is: ErrNotFound,
			want:    "delete key 123: not found (404): key not found",
			wantAPI: APIError{Status: 404, Code: 404, Message: "key not found", Op: "delete key 123"},
		},
		{
			name: "409 already inactive", status: 409, body: `{"code":409,"message":"key is already inactive"}`,
			do: func(c *Client) error { return c.Deactivate(context.Background(), "k1") }, is: ErrConflict,
			want:    "deactivate key k1: conflict (409): key is already inactive",
			wantAPI: APIError{Status: 409, Code: 409, Message: "key is already inactive", Op: "deactivate key k1"},
		},
		{
			name: "500 with control characters in the message", status: 500,
			body:    `{"code":500,"message":"boom \u001b[31mred\u001b[0m\nsecond line"}`,
			do:      func(c *Client) error { _, err := c.ListUsers(context.Background()); return err },
			want:    "list users: server error (500): boom [31mred[0m second line",
			wantAPI: APIError{Status: 500, Code: 500, Message: "boom [31mred[0m second line", Op: "list users"},
		},
		{
			name: "code as a string, FastAPI-style detail", status: 422, body: `{"code":"422","detail":"name is too long"}`,
			do: func(c *Client) error {
				_, err := c.CreateKey(context.Background(), model.NewKey{UserID: "u1", Name: "x"})
				return err
			},
			want:    `create key "x" for user u1: unprocessable entity (422): name is too long`,
			wantAPI: APIError{Status: 422, Code: 422, Message: "name is too long", Op: `create key "x" for user u1`},
		},
		{
			name: "nginx 502 page says nothing beyond the status", status: 502,
			body:    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.25.3</center>\r\n</body>\r\n</html>\r\n",
			do:      func(c *Client) error { _, err := c.ListUsers(context.Background()); return err },
			want:    "list users: bad gateway (502)",
			wantAPI: APIError{Status: 502, Op: "list users"},
		},
		{
			name: "HTML page with its own words", status: 502,
			body:    "<!DOCTYPE html><html><head><style>body{color:red}</style></head><body><h1>Upstream\x1b[2J unavailable</h1><p>Try again &amp; again.</p></body></html>",
			do:      func(c *Client) error { return c.Delete(context.Background(), "k1") },
			want:    "delete key k1: bad gateway (502): Upstream[2J unavailable Try again & again. (the request was sent: the change may have happened)",
			wantAPI: APIError{Status: 502, Message: "Upstream[2J unavailable Try again & again.", Op: "delete key k1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFake(t, func(w http.ResponseWriter, r *http.Request) {
				if strings.HasPrefix(tt.body, "{") {
					writeRaw(w, tt.status, tt.body)
					return
				}
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			})
			err := tt.do(newTestClient(t, srv.URL))
			if err == nil || err.Error() != tt.want {
				t.Fatalf("err = %v\nwant  %s", err, tt.want)
			}
			var ae *APIError
			if !errors.As(err, &ae) || *ae != tt.wantAPI {
				t.Errorf("APIError = %+v, want %+v", ae, tt.wantAPI)
			}
			for _, s := range sentinels {
				if got := errors.Is(err, s); got != (s == tt.is) {
					t.Errorf("errors.Is(err, %v) = %v", s, got)
				}
			}
		})
	}
}

// Whatever a non-JSON body holds, the message stays one short clean line.
func TestErrorSnippetIsShort(t *testing.T) {
	bodies := []string{
		strings.Repeat("Service temporarily down for maintenance. ", 100),
		"<html><body>" + strings.Repeat("<div>x\x07\x1b]0;title\x07</div>", 500) + "</body></html>",
		"\xff\xfe binary \x00\x01 garbage",
	}
	for i, body := range bodies {
		e := newAPIError("", 503, []byte(body))
		msg := e.Error()
		if n := utf8.RuneCountInString(msg); n > 130 {
			t.Errorf("body %d: message is %d runes: %q", i, n, msg)
		}
		if msg != model.CleanText(msg) || strings.Contains(msg, "\n") || !utf8.ValidString(msg) {
			t.Errorf("body %d: message not clean: %q", i, msg)
		}
		if !strings.HasPrefix(msg, "service unavailable (503)") {
			t.Errorf("body %d: message %q", i, msg)
		}
	}
}

func TestConnectionRefused(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.URL
	srv.Close()
	_, err := newTestClient(t, addr).ListUsers(context.Background())
	if !errors.Is(err, ErrNetwork) || errors.Is(err, ErrTimeout) || errors.Is(err, ErrTLS) {
		t.Fatalf("err = %v, want ErrNetwork", err)
	}
	if want := "list users: cannot reach " + addr + ": connection refused"; err.Error() != want {
		t.Errorf("err = %q, want %q", err, want)
	}
}

func TestTimeout(t *testing.T) {
	tests := []struct {
		name string
		do   func(*Client) error
	}{
		{"read", func(c *Client) error { _, err := c.ListUsers(context.Background()); return err }},
		{"create", func(c *Client) error {
			_, err := c.CreateKey(context.Background(), model.NewKey{UserID: "u1", Name: "x"})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFake(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
			err := tt.do(newTestClient(t, srv.URL, func(c *Config) { c.Timeout = 50 * time.Millisecond }))
			if !errors.Is(err, ErrTimeout) || errors.Is(err, ErrNetwork) {
				t.Fatalf("err = %v, want ErrTimeout", err)
			}
			if !strings.Contains(err.Error(), "request to "+srv.URL+" timed out after 50ms") {
				t.Errorf("err = %q", err)
			}
			if n := len(srv.requests()); n != 1 {
				t.Errorf("%d requests, want 1: a hung server is not asked again", n)
			}
		})
	}
}

func TestCallerCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	srv := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		cancel()
		<-r.Context().Done()
	})
	_, err := newTestClient(t, srv.URL).ListUsers(ctx)
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrTimeout) || errors.Is(err, ErrNetwork) {
		t.Fatalf("err = %v, want context.Canceled only", err)
	}
}

// A create's messages name the owner by username when the caller knows it:
// admins know people by name, not by id.
func TestCreateErrorNamesOwnerByName(t *testing.T) {
	srv := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		writeRaw(w, 422, `{"code":422,"message":"name is too long"}`)
	})
	_, err := newTestClient(t, srv.URL).CreateKey(context.Background(), model.NewKey{UserID: "3f2a9c1e-uuid", Owner: "alice", Name: "x"})
	if err == nil || !strings.HasPrefix(err.Error(), `create key "x" for user alice:`) || strings.Contains(err.Error(), "3f2a9c1e") {
		t.Errorf("err = %v, want the owner named alice and no id", err)
	}
}
