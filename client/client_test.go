package client

import (
	"context"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"h2ogpte-keys/model"
)

func TestBaseURL(t *testing.T) {
	tests := []struct {
		in, want, server string
		wantErr          bool
	}{
		{in: "https://gpte.example.com", want: "https://gpte.example.com/api/v1", server: "https://gpte.example.com"},
		{in: "https://gpte.example.com/", want: "https://gpte.example.com/api/v1", server: "https://gpte.example.com"},
		{in: "  https://gpte.example.com//  ", want: "https://gpte.example.com/api/v1", server: "https://gpte.example.com"},
		{in: "https://gpte.example.com/api/v1", want: "https://gpte.example.com/api/v1", server: "https://gpte.example.com"},
		{in: "https://gpte.example.com/api/v1/", want: "https://gpte.example.com/api/v1", server: "https://gpte.example.com"},
		{in: "https://example.com/h2ogpte", want: "https://example.com/h2ogpte/api/v1", server: "https://example.com"},
		{in: "http://127.0.0.1:8080", want: "http://127.0.0.1:8080/api/v1", server: "http://127.0.0.1:8080"},
		{in: "", wantErr: true},
		{in: "gpte.example.com", wantErr: true},
		{in: "gpte.example.com:443", wantErr: true},
		{in: "ftp://gpte.example.com", wantErr: true},
		{in: "https://", wantErr: true},
		{in: "https://gpte.example.com/?x=1", wantErr: true},
		{in: "https://user:pw@gpte.example.com", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			c, err := New(Config{Address: tt.in, Token: model.NewSecret("t")})
			if tt.wantErr {
				if err == nil {
					t.Fatalf("New(%q) = %s, want an error", tt.in, c.BaseURL())
				}
				if !strings.Contains(err.Error(), "HOST") {
					t.Errorf("error %q does not say what is wanted", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("New(%q): %v", tt.in, err)
			}
			if c.BaseURL() != tt.want || c.server != tt.server {
				t.Errorf("New(%q): base %q server %q, want %q %q", tt.in, c.BaseURL(), c.server, tt.want, tt.server)
			}
		})
	}
}

func TestNewRejects(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.pem")
	if err := os.WriteFile(junk, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no token", Config{Address: "https://h"}, "no API token"},
		{"missing CA file", Config{Address: "https://h", Token: model.NewSecret("t"), CACertFile: filepath.Join(dir, "nope.pem")}, "read CA file"},
		{"CA file without PEM", Config{Address: "https://h", Token: model.NewSecret("t"), CACertFile: junk}, "no PEM certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	c := newTestClient(t, "https://h")
	if c.timeout.String() != "30s" || c.pageSize != 100 || c.largePage != 1000 || c.concurrency != 8 || c.maxRetries != 3 {
		t.Errorf("defaults: timeout %s page %d large page %d concurrency %d retries %d", c.timeout, c.pageSize, c.largePage, c.concurrency, c.maxRetries)
	}
	c = newTestClient(t, "https://h", func(cfg *Config) { cfg.Concurrency = 1000; cfg.MaxRetries = -1 })
	if c.concurrency != maxConcurrency || c.maxRetries != 0 {
		t.Errorf("concurrency %d retries %d, want %d and 0", c.concurrency, c.maxRetries, maxConcurrency)
	}
	c = newTestClient(t, "https://h", func(cfg *Config) {
		cfg.Concurrency = -2
		cfg.PageSize = -5
		cfg.LargePageSize = -5
		cfg.Timeout = -time.Second
	})
	if c.concurrency != 8 || c.pageSize != 100 || c.largePage != 1000 || c.timeout != 30*time.Second {
		t.Errorf("negative settings: concurrency %d page %d large page %d timeout %s, want the defaults", c.concurrency, c.pageSize, c.largePage, c.timeout)
	}
	c = newTestClient(t, "https://h", func(cfg *Config) { cfg.PageSize = 100; cfg.LargePageSize = 10 })
	if c.largePage != 100 {
		t.Errorf("a large page below the page size: %d, want 100", c.largePage)
	}
}

// Both spellings of the address reach the same /api/v1 paths.
func TestAddressReachesAPI(t *testing.T) {
	srv := newFake(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, []any{}) })
	for _, addr := range []string{srv.URL, srv.URL + "/", srv.URL + "/api/v1", srv.URL + "/api/v1/"} {
		if _, err := newTestClient(t, addr).ListUsers(context.Background()); err != nil {
			t.Fatalf("%s: %v", addr, err)
		}
	}
	for _, r := range srv.requests() {
		if r.Path != "/api/v1/users" {
			t.Errorf("request went to %s, want /api/v1/users", r.Path)
		}
	}
}

func TestHeaders(t *testing.T) {
	srv := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			writeJSON(w, 201, map[string]any{"secret_key": "sk-x", "api_key": keyJSON(1, "alice")})
			return
		}
		writeJSON(w, 200, []any{})
	})
	tests := []struct {
		name, ua, wantUA string
	}{
		{"default user agent", "", "h2ogpte-keys/dev"},
		{"own user agent", "h2ogpte-keys/1.2.3", "h2ogpte-keys/1.2.3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(srv.requests())
			c := newTestClient(t, srv.URL, func(cfg *Config) { cfg.UserAgent = tt.ua })
			if _, err := c.ListUsers(context.Background()); err != nil {
				t.Fatal(err)
			}
			if _, err := c.CreateKey(context.Background(), model.NewKey{UserID: "u1", Name: "n"}); err != nil {
				t.Fatal(err)
			}
			reqs := srv.requests()[before:]
			if len(reqs) != 2 {
				t.Fatalf("%d requests, want 2", len(reqs))
			}
			for _, r := range reqs {
				if got := r.Header.Get("Authorization"); got != "Bearer "+testToken {
					t.Errorf("%s: Authorization %q", r.Method, got)
				}
				if got := r.Header.Get("User-Agent"); got != tt.wantUA {
					t.Errorf("%s: User-Agent %q, want %q", r.Method, got, tt.wantUA)
				}
				if got := r.Header.Get("Accept"); got != "application/json" {
					t.Errorf("%s: Accept %q", r.Method, got)
				}
			}
			if ct := reqs[1].Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("POST Content-Type %q, want application/json", ct)
			}
		})
	}
}

func TestTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, []any{map[string]any{"id": "u1", "username": "alice", "email": "a@example.com"}})
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // handshake failures are the point here
	srv.StartTLS()
	t.Cleanup(srv.Close)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(caFile, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		mod     func(*Config)
		wantErr bool
	}{
		{"CA file trusts the server", func(c *Config) { c.CACertFile = caFile }, false},
		{"unknown CA is refused", func(c *Config) {}, true},
		{"verification skipped on request", func(c *Config) { c.InsecureSkipTLSVerify = true }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			users, err := newTestClient(t, srv.URL, tt.mod).ListUsers(context.Background())
			if !tt.wantErr {
				if err != nil || len(users) != 1 {
					t.Fatalf("ListUsers = %v, %v", users, err)
				}
				return
			}
			if !errors.Is(err, ErrTLS) || !errors.Is(err, ErrNetwork) || errors.Is(err, ErrTimeout) {
				t.Fatalf("err = %v, want ErrTLS and ErrNetwork", err)
			}
			want := "list users: cannot make a secure connection to " + srv.URL + ": x509: certificate signed by unknown authority"
			if !strings.HasPrefix(err.Error(), want) {
				t.Errorf("err = %q, want prefix %q", err, want)
			}
		})
	}
}
