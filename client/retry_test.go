package client

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"h2ogpte-keys/model"
)

// flaky answers the first len(fails) requests with those statuses and then
// succeeds.
func flaky(fails []int, retryAfter string) http.HandlerFunc {
	var n atomic.Int32
	return func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		if i < len(fails) {
			if retryAfter != "" {
				w.Header().Set("Retry-After", retryAfter)
			}
			writeEndpointError(w, fails[i], "try later")
			return
		}
		if r.Method == http.MethodGet {
			writeJSON(w, 200, []any{})
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

func TestReadRetries(t *testing.T) {
	tests := []struct {
		name         string
		fails        []int
		retryAfter   string
		wantErr      bool
		wantRequests int
	}{
		{"503 then 200", []int{503}, "", false, 2},
		{"429 with Retry-After: 0", []int{429}, "0", false, 2},
		{"502, 504, 503 then 200", []int{502, 504, 503}, "", false, 4},
		{"retries run out", []int{503, 503, 503, 503, 503}, "", true, 4},
		{"500 then 200", []int{500}, "", false, 2},
		{"501 is not retried", []int{501}, "", true, 1},
		{"404 is not retried", []int{404}, "", true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFake(t, flaky(tt.fails, tt.retryAfter))
			_, err := newTestClient(t, srv.URL).ListUsers(context.Background())
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			if n := len(srv.requests()); n != tt.wantRequests {
				t.Errorf("%d requests, want %d", n, tt.wantRequests)
			}
		})
	}
}

// Writes are sent once, whatever comes back: the server may have acted.
func TestWritesAreNotRetried(t *testing.T) {
	ctx := context.Background()
	writes := map[string]func(*Client) error{
		"create":     func(c *Client) error { _, err := c.CreateKey(ctx, model.NewKey{UserID: "u", Name: "n"}); return err },
		"deactivate": func(c *Client) error { return c.Deactivate(ctx, "k") },
		"expiry": func(c *Client) error {
			return c.SetExpiry(ctx, "k", model.Expiry{In: model.Interval{N: 1, Unit: model.Day}})
		},
		"inactivity": func(c *Client) error { return c.SetInactivity(ctx, "k", 5) },
		"delete":     func(c *Client) error { return c.Delete(ctx, "k") },
	}
	for name, do := range writes {
		for _, status := range []int{429, 500, 502, 503, 504} {
			t.Run(name, func(t *testing.T) {
				srv := newFake(t, flaky([]int{status}, "0"))
				var ae *APIError
				if err := do(newTestClient(t, srv.URL)); !errors.As(err, &ae) || ae.Status != status {
					t.Fatalf("err = %v, want the %d", err, status)
				}
				if n := len(srv.requests()); n != 1 {
					t.Errorf("%d requests, want exactly 1", n)
				}
			})
		}
	}
}

func TestRetryWaitHonoursCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	srv := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600")
		writeEndpointError(w, 503, "down")
		cancel()
	})
	c := newTestClient(t, srv.URL)
	c.maxRetryAfter = time.Hour // the wait would be an hour unless the cancel cuts it short
	_, err := c.ListUsers(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if n := len(srv.requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{"2", 2 * time.Second, true},
		{" 7 ", 7 * time.Second, true},
		{"3600", 10 * time.Second, true},
		{"99999999999999999", 10 * time.Second, true},
		{"-1", 0, false},
		{"soon", 0, false},
		{now.Add(4 * time.Second).Format(http.TimeFormat), 4 * time.Second, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
		{now.Add(time.Hour).Format(http.TimeFormat), 10 * time.Second, true},
	}
	for _, tt := range tests {
		got, ok := parseRetryAfter(tt.in, now, 10*time.Second)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseRetryAfter(%q) = %v %v, want %v %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestBackoffBounds(t *testing.T) {
	c := newTestClient(t, "https://h")
	c.backoffBase, c.backoffMax = 100*time.Millisecond, time.Second
	for attempt := range 40 {
		want := min(100*time.Millisecond<<min(attempt, 20), time.Second)
		for range 20 {
			if d := c.backoff(attempt); d < want/2 || d > want {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", attempt, d, want/2, want)
			}
		}
	}
}

// hangUp drops the connection without an answer for the first n requests.
func hangUp(t *testing.T, n int32) http.HandlerFunc {
	var count atomic.Int32
	return func(w http.ResponseWriter, r *http.Request) {
		if count.Add(1) <= n {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			_ = conn.Close()
			return
		}
		if r.Method == http.MethodGet {
			writeJSON(w, 200, []any{})
			return
		}
		writeJSON(w, 201, map[string]any{"secret_key": "sk-x", "api_key": keyJSON(1, "alice")})
	}
}

func TestDroppedConnection(t *testing.T) {
	t.Run("read is retried", func(t *testing.T) {
		srv := newFake(t, hangUp(t, 1))
		if _, err := newTestClient(t, srv.URL).ListUsers(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n := len(srv.requests()); n != 2 {
			t.Errorf("%d requests, want 2", n)
		}
	})
	t.Run("create is not", func(t *testing.T) {
		srv := newFake(t, hangUp(t, 1))
		_, err := newTestClient(t, srv.URL).CreateKey(context.Background(), model.NewKey{UserID: "u", Name: "n"})
		if !errors.Is(err, ErrNetwork) {
			t.Fatalf("err = %v, want ErrNetwork", err)
		}
		if want := `create key "n" for user u: cannot reach ` + srv.URL + ": the server closed the connection (the request was sent: the key may have been created; read the user's keys back before trying again)"; err.Error() != want {
			t.Errorf("err = %q, want %q", err, want)
		}
		if n := len(srv.requests()); n != 1 {
			t.Errorf("%d requests, want exactly 1", n)
		}
	})
}

// An answer past the size limit is said as such, once: reading it again
// would only fetch it again, and it is no network failure.
func TestAnswerTooLarge(t *testing.T) {
	big := "[" + strings.Repeat(`{"id":"u","username":"x"},`, 50_000) + `{}]` // about 1.3 MB
	srv := newFake(t, func(w http.ResponseWriter, r *http.Request) { writeRaw(w, 200, big) })
	c := newTestClient(t, srv.URL)
	if c.maxBody != 64<<20 {
		t.Errorf("default limit %d bytes, want 64 MB", c.maxBody)
	}
	c.maxBody = 1 << 20
	_, err := c.ListUsers(context.Background())
	if !errors.Is(err, ErrTooLarge) || errors.Is(err, ErrNetwork) || errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTooLarge only", err)
	}
	if want := "list users: the server's answer is larger than 1 MB"; err.Error() != want {
		t.Errorf("err = %q, want %q", err, want)
	}
	if n := len(srv.requests()); n != 1 {
		t.Errorf("%d requests, want 1: a too-large answer is not read again", n)
	}
}
