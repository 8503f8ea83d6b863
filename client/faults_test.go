package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"h2ogpte-keys/demoserver"
	"h2ogpte-keys/model"
)

// TestBodilessRequestsOnTheWire: every request without a body goes out
// with Content-Length: 0 (or none), never a chunked body, and every PATCH
// with a JSON body of known length.
func TestBodilessRequestsOnTheWire(t *testing.T) {
	type wire struct {
		method, path string
		te           []string
		cl           int64
		body         string
	}
	got := make(chan wire, 10)
	srv := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		f := wire{method: r.Method, path: r.URL.Path, te: r.TransferEncoding, cl: r.ContentLength}
		got <- f
		w.WriteHeader(http.StatusNoContent)
	})
	c := newTestClient(t, srv.URL)
	ctx := context.Background()
	calls := []struct {
		name   string
		do     func() error
		bodied bool
	}{
		{"deactivate", func() error { return c.Deactivate(ctx, "k1") }, false},
		{"delete", func() error { return c.Delete(ctx, "k1") }, false},
		{"remove expiry", func() error { return c.SetExpiry(ctx, "k1", model.Expiry{Never: true}) }, true},
		{"remove inactivity", func() error { return c.SetInactivity(ctx, "k1", 0) }, true},
	}
	for _, tt := range calls {
		if err := tt.do(); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		w := <-got
		if len(w.te) != 0 {
			t.Errorf("%s (%s %s): Transfer-Encoding %v", tt.name, w.method, w.path, w.te)
		}
		if !tt.bodied && w.cl != 0 {
			t.Errorf("%s: Content-Length %d, want 0", tt.name, w.cl)
		}
		if tt.bodied && w.cl != 2 { // "{}"
			t.Errorf("%s: Content-Length %d, want 2", tt.name, w.cl)
		}
	}
	for _, r := range srv.requests() {
		if (r.Method == http.MethodPost || r.Method == http.MethodDelete) && r.Body != "" {
			t.Errorf("%s %s sent body %q", r.Method, r.Path, r.Body)
		}
	}
}

// TestBodilessRawHeader reads the raw request bytes off a TCP socket, so
// not even net/http's server can hide a chunked framing.
func TestBodilessRawHeader(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	heads := make(chan string, 4)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				buf := make([]byte, 8192)
				var head strings.Builder
				for !strings.Contains(head.String(), "\r\n\r\n") {
					_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
					n, err := conn.Read(buf)
					if err != nil {
						return
					}
					head.Write(buf[:n])
				}
				heads <- head.String()
				_, _ = conn.Write([]byte("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"))
			}()
		}
	}()
	c := newTestClient(t, "http://"+ln.Addr().String())
	for name, do := range map[string]func() error{
		"deactivate": func() error { return c.Deactivate(context.Background(), "k1") },
		"delete":     func() error { return c.Delete(context.Background(), "k1") },
	} {
		if err := do(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		head := strings.ToLower(<-heads)
		if strings.Contains(head, "transfer-encoding") {
			t.Errorf("%s: chunked framing in %q", name, head)
		}
		// net/http leaves Content-Length: 0 out for DELETE: no header and
		// no chunking is a request without a body too.
		if name != "delete" && !strings.Contains(head, "\r\ncontent-length: 0\r\n") {
			t.Errorf("%s: no Content-Length: 0 in %q", name, head)
		}
		if strings.Contains(head, "content-type") {
			t.Errorf("%s: a Content-Type without a body in %q", name, head)
		}
		if strings.HasSuffix(head, "\r\n\r\n0\r\n\r\n") {
			t.Errorf("%s: an empty chunk followed the header", name)
		}
	}
}

// TestUnknownOutcomes: a change whose answer is lost after the server acted
// reports an unknown outcome, keeps its own identity, is sent once, and the
// read-back shows what happened.
func TestUnknownOutcomes(t *testing.T) {
	faults := []struct {
		name     string
		fault    demoserver.Fault
		identity error
	}{
		{"504", demoserver.Fault{Kind: demoserver.FaultActThenStatus}, nil},
		{"502", demoserver.Fault{Kind: demoserver.FaultActThenStatus, Status: http.StatusBadGateway}, nil},
		{"503", demoserver.Fault{Kind: demoserver.FaultActThenStatus, Status: http.StatusServiceUnavailable}, nil},
		{"500", demoserver.Fault{Kind: demoserver.FaultActThenStatus, Status: http.StatusInternalServerError}, nil},
		{"dropped connection", demoserver.Fault{Kind: demoserver.FaultActThenDrop}, ErrNetwork},
		{"slow past the timeout", demoserver.Fault{Kind: demoserver.FaultActThenDelay, Delay: time.Minute}, ErrTimeout},
	}
	ops := []struct {
		name   string
		method string
		do     func(c *Client, id string) error
		done   func(k model.APIKey, found bool) bool
	}{
		{"delete", "DELETE", func(c *Client, id string) error { return c.Delete(context.Background(), id) },
			func(_ model.APIKey, found bool) bool { return !found }},
		{"deactivate", "POST", func(c *Client, id string) error { return c.Deactivate(context.Background(), id) },
			func(k model.APIKey, found bool) bool { return found && !k.IsActive }},
		{"expire", "PATCH", func(c *Client, id string) error {
			return c.SetExpiry(context.Background(), id, model.Expiry{Never: true})
		}, func(k model.APIKey, found bool) bool { return found && k.Expires == nil }},
		{"inactivity", "PATCH", func(c *Client, id string) error { return c.SetInactivity(context.Background(), id, 9) },
			func(k model.APIKey, found bool) bool { d, ok := k.InactivityDays.Get(); return found && ok && d == 9 }},
	}
	for _, f := range faults {
		for _, op := range ops {
			t.Run(f.name+"/"+op.name, func(t *testing.T) {
				d := newDemo(t, demoserver.Options{})
				ck := d.create(t, "alice", "k", "7d", 0)
				fault := f.fault
				fault.Method, fault.Path, fault.Times = op.method, "/api/v1/admin/api_keys/*", 1
				d.srv.Inject(fault)
				// Only the change whose answer is slow has a short timeout:
				// the create and the read back, on a loaded machine, must not
				// time out themselves.
				c := d.admin
				if f.fault.Kind == demoserver.FaultActThenDelay {
					c = d.client(t, demoserver.DemoToken, func(c *Config) { c.Timeout = 300 * time.Millisecond })
				}
				err := op.do(c, ck.Key.ID)
				if !errors.Is(err, model.ErrOutcomeUnknown) {
					t.Fatalf("err = %v, want ErrOutcomeUnknown", err)
				}
				if f.identity != nil && !errors.Is(err, f.identity) {
					t.Errorf("err = %v, lost its identity %v", err, f.identity)
				}
				var ae *APIError
				if f.identity == nil && (!errors.As(err, &ae) || ae.Status < 500) {
					t.Errorf("err = %v, want an *APIError with the server's status", err)
				}
				if n := d.requests(op.method, "/api/v1/admin/api_keys/"+pathTail(op.name)+ck.Key.ID); n != 1 {
					t.Errorf("%d requests, want exactly 1 (changes are never retried)", n)
				}
				k, found, err := d.admin.FindKey(context.Background(), "alice", ck.Key.ID)
				if err != nil {
					t.Fatal(err)
				}
				if !op.done(k, found) {
					t.Errorf("read back: %+v found=%v: the server's change is not visible", k, found)
				}
			})
		}
	}
	for _, status := range []int{http.StatusGatewayTimeout, http.StatusInternalServerError} {
		t.Run(fmt.Sprintf("create/%d", status), func(t *testing.T) {
			d := newDemo(t, demoserver.Options{})
			d.srv.Inject(demoserver.Fault{Method: "POST", Path: "/api/v1/admin/api_keys", Kind: demoserver.FaultActThenStatus, Status: status, Times: 1})
			_, err := d.admin.CreateKey(context.Background(), model.NewKey{UserID: d.user(t, "alice").ID, Name: "lost"})
			if !errors.Is(err, model.ErrOutcomeUnknown) || !strings.Contains(err.Error(), "the key may have been created") {
				t.Fatalf("err = %v", err)
			}
			if strings.Contains(err.Error(), "sk-") {
				t.Errorf("error quotes a secret: %v", err)
			}
		})
	}
	// A read's 500 is not an unknown outcome: reads change nothing.
	t.Run("read", func(t *testing.T) {
		d := newDemo(t, demoserver.Options{})
		d.srv.InjectFault("GET", "/api/v1/users", http.StatusInternalServerError, 100)
		_, err := d.admin.ListUsers(context.Background())
		if err == nil || errors.Is(err, model.ErrOutcomeUnknown) {
			t.Errorf("a read's 500: err = %v, want a plain error", err)
		}
	})
}

func pathTail(op string) string {
	switch op {
	case "deactivate":
		return "deactivate/"
	case "expire":
		return "expire/"
	case "inactivity":
		return "inactivity_interval/"
	}
	return ""
}

// TestKnownFailuresAreNotUnknown: refusals and failures before sending are
// plain errors; reads never carry ErrOutcomeUnknown.
func TestKnownFailuresAreNotUnknown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens: the dial is refused
	c := newTestClient(t, "http://"+addr, func(c *Config) { c.MaxRetries = -1 })
	if err := c.Delete(context.Background(), "k1"); !errors.Is(err, ErrNetwork) || errors.Is(err, model.ErrOutcomeUnknown) {
		t.Errorf("refused dial: %v", err)
	}

	d := newDemo(t, demoserver.Options{})
	if err := d.admin.Delete(context.Background(), "no-such-key"); !errors.Is(err, ErrNotFound) || errors.Is(err, model.ErrOutcomeUnknown) {
		t.Errorf("404: %v", err)
	}
	// A 4xx is the server's refusal. (A 500 is not: the server may have
	// failed after acting, so a change's 500 is an unknown outcome, read
	// back by the change pipeline; see TestUnknownOutcomes.)
	d.srv.InjectFault("DELETE", "/api/v1/admin/api_keys/k2", http.StatusConflict, 1)
	if err := d.admin.Delete(context.Background(), "k2"); err == nil || errors.Is(err, model.ErrOutcomeUnknown) {
		t.Errorf("409 is a refusal, got %v", err)
	}
	d.srv.InjectFault("GET", "/api/v1/users", http.StatusGatewayTimeout, 100)
	if _, err := d.admin.ListUsers(context.Background()); err == nil || errors.Is(err, model.ErrOutcomeUnknown) {
		t.Errorf("read: %v", err)
	}
}

func TestInactivityUnsupported(t *testing.T) {
	for _, status := range []int{http.StatusNotFound, http.StatusMethodNotAllowed} {
		d := newDemo(t, demoserver.Options{InactivityStatus: status})
		ck := d.create(t, "alice", "k", "7d", 0)
		err := d.admin.SetInactivity(context.Background(), ck.Key.ID, 30)
		if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "this server does not support inactivity intervals") {
			t.Errorf("%d: err = %v, want ErrUnsupported", status, err)
		}
	}
	// A server that has the endpoint says which key it could not find.
	d := newDemo(t, demoserver.Options{})
	err := d.admin.SetInactivity(context.Background(), "no-such-key", 30)
	if !errors.Is(err, ErrNotFound) || errors.Is(err, ErrUnsupported) {
		t.Errorf("missing key: err = %v, want ErrNotFound only", err)
	}
}

// TestPagingThatDoesNotEnd: listings against endless pages and an ignored
// offset end with ErrPaging in a bounded number of requests.
func TestPagingThatDoesNotEnd(t *testing.T) {
	lists := []struct {
		name, path string
		do         func(c *Client) error
	}{
		{"all keys", "/api/v1/admin/api_keys", func(c *Client) error { _, err := c.ListAllKeys(context.Background()); return err }},
		{"alice's keys", "/api/v1/admin/api_keys", func(c *Client) error { _, err := c.ListKeys(context.Background(), "alice"); return err }},
		{"users", "/api/v1/users", func(c *Client) error { _, err := c.ListUsers(context.Background()); return err }},
		{"find user", "/api/v1/users", func(c *Client) error { _, err := c.FindUser(context.Background(), "nobody"); return err }},
		{"collections", "/api/v1/collections/all", func(c *Client) error {
			_, err := c.ListCollections(context.Background(), "alice")
			return err
		}},
	}
	for _, kind := range []demoserver.FaultKind{demoserver.FaultEndlessPages, demoserver.FaultIgnoreOffset} {
		for _, l := range lists {
			t.Run(l.name, func(t *testing.T) {
				d := newDemo(t, demoserver.Options{ExtraKeys: 2000}, func(c *Config) { c.PageSize, c.LargePageSize = 10, 10; c.MaxItems = 1000 })
				for range 12 { // more than a page, so an ignored offset shows
					d.srv.AddCollection("alice", "more")
				}
				d.srv.Inject(demoserver.Fault{Method: "GET", Path: l.path, Kind: kind})
				err := l.do(d.admin)
				if !errors.Is(err, ErrPaging) {
					t.Fatalf("err = %v, want ErrPaging", err)
				}
				n := d.requests("GET", l.path)
				// 1,000 items at 10 a page, plus one window of parallel reads.
				if n > 1000/10+1+maxConcurrency {
					t.Errorf("%d requests", n)
				}
				if kind == demoserver.FaultIgnoreOffset && (n > 2+maxConcurrency || !strings.Contains(err.Error(), "ignore offset")) {
					t.Errorf("ignored offset: %d requests, %v", n, err)
				}
				if kind == demoserver.FaultEndlessPages && !strings.Contains(err.Error(), "more than 1000") {
					t.Errorf("endless: %v", err)
				}
			})
		}
	}
}

// TestAbsentFieldsReadAsNull: a server that leaves empty fields out and one
// that sends null give the client the same keys.
func TestAbsentFieldsReadAsNull(t *testing.T) {
	read := func(opts demoserver.Options) []model.APIKey {
		d := newDemo(t, opts)
		keys, err := d.admin.ListAllKeys(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return keys
	}
	null, omit := read(demoserver.Options{}), read(demoserver.Options{OmitEmpty: true})
	if len(null) != len(omit) || len(null) == 0 {
		t.Fatalf("%d keys vs %d", len(null), len(omit))
	}
	never := 0
	for i := range null {
		if null[i] != omit[i] && !equalKeys(null[i], omit[i]) {
			t.Errorf("key %s differs:\n null %+v\n omit %+v", null[i].ID, null[i], omit[i])
		}
		if _, used := omit[i].LastUsed.Get(); !used && omit[i].LastUsed.Reported {
			never++
		}
	}
	if never == 0 {
		t.Error("no never-used key read as reported-and-unset from the omitting server")
	}
	for _, k := range read(demoserver.Options{OldServer: true, OmitEmpty: true}) {
		if !model.UsageUnknown(k) {
			t.Fatalf("old server key %s has usage reported", k.ID)
		}
	}
}

func equalKeys(a, b model.APIKey) bool {
	ae, be := a.Expires, b.Expires
	a.Expires, b.Expires = nil, nil
	if (ae == nil) != (be == nil) || (ae != nil && !ae.Equal(*be)) {
		return false
	}
	return a == b
}

// A create answered 201 whose body cannot be read (or carries no secret)
// did create the key: the change pipeline must read it back, so the error
// matches model.ErrOutcomeUnknown rather than reading as not done. The
// secret must not appear in the message.
func TestCreateUnreadableAnswerIsUnknown(t *testing.T) {
	for name, body := range map[string]string{
		"broken JSON":  `{"secret_key":"sk-leakleakleak","api_key":{`,
		"no secret":    `{"api_key":{"id":"k1","username":"alice"}}`,
		"wrong shape":  `["sk-leakleakleak"]`,
		"empty answer": ``,
	} {
		t.Run(name, func(t *testing.T) {
			f := newFake(t, func(w http.ResponseWriter, r *http.Request) { writeRaw(w, http.StatusCreated, body) })
			c := newTestClient(t, f.URL)
			_, err := c.CreateKey(context.Background(), model.NewKey{UserID: "u1", Owner: "alice", Name: "k"})
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, model.ErrOutcomeUnknown) {
				t.Errorf("%v: does not match model.ErrOutcomeUnknown", err)
			}
			if strings.Contains(err.Error(), "leak") {
				t.Errorf("message quotes the answer: %v", err)
			}
			if n := len(f.requests()); n != 1 {
				t.Errorf("%d requests, want 1 (a create is never repeated)", n)
			}
		})
	}
}

// The same against the real HTTP path with pages large enough for the
// guard to sample (sampleFrom): a server that ignores offset is stopped at
// its second page, an endless one at the cap, and a listing that ends is
// read whole.
func TestSampledPagingThatDoesNotEnd(t *testing.T) {
	const size = sampleFrom
	for name, kind := range map[string]demoserver.FaultKind{"endless": demoserver.FaultEndlessPages, "ignored offset": demoserver.FaultIgnoreOffset} {
		t.Run(name, func(t *testing.T) {
			d := newDemo(t, demoserver.Options{ExtraKeys: 3 * size}, func(c *Config) { c.PageSize, c.LargePageSize = size, size; c.MaxItems = 20 * size })
			d.srv.Inject(demoserver.Fault{Method: "GET", Path: "/api/v1/admin/api_keys", Kind: kind})
			_, err := d.admin.ListAllKeys(context.Background())
			if !errors.Is(err, ErrPaging) {
				t.Fatalf("err = %v, want ErrPaging", err)
			}
			n := d.requests("GET", "/api/v1/admin/api_keys")
			// The second page repeats the first, every id dropped: stopped
			// there, not a page or two later.
			if kind == demoserver.FaultIgnoreOffset && (n > 2+maxConcurrency || !strings.Contains(err.Error(), "ignore offset") ||
				!strings.Contains(err.Error(), "after 2 pages")) {
				t.Errorf("ignored offset: %d requests, %v", n, err)
			}
			if kind == demoserver.FaultEndlessPages && (n > 20+1+maxConcurrency || !strings.Contains(err.Error(), fmt.Sprintf("more than %d", 20*size))) {
				t.Errorf("endless: %d requests, %v", n, err)
			}
		})
	}
	d := newDemo(t, demoserver.Options{ExtraKeys: 3 * size}, func(c *Config) { c.PageSize, c.LargePageSize = size, size })
	keys, err := d.admin.ListAllKeys(context.Background())
	if err != nil || len(keys) < 3*size {
		t.Fatalf("%d keys, %v", len(keys), err)
	}
}
