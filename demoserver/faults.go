package demoserver

import (
	"bytes"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"h2ogpte-keys/model"
)

// FaultKind is what an injected fault does to a matching request.
type FaultKind int

const (
	// FaultStatus answers Status with an EndpointError before anything
	// else happens: no authentication, no side effect.
	FaultStatus FaultKind = iota
	// FaultActThenStatus runs the request (a change happens), then throws
	// the answer away and answers Status instead (504 when Status is 0), as
	// a gateway that timed out while the server worked.
	FaultActThenStatus
	// FaultActThenDrop runs the request, then closes the connection
	// without answering.
	FaultActThenDrop
	// FaultActThenDelay runs the request, then holds the answer for Delay
	// (or until the client gives up), as a server slower than the client's
	// timeout.
	FaultActThenDelay
	// FaultEndlessPages answers every list page with a full page (the
	// limit asked for) of items with ids never sent before.
	FaultEndlessPages
	// FaultIgnoreOffset serves every list page as if offset were 0.
	FaultIgnoreOffset
)

// Fault is an injected fault. It applies to requests whose method matches
// (Method "" or "*" matches any) and whose path, without query, equals Path;
// a Path ending in "*" matches every path that starts with what comes before
// the star ("/api/v1/admin/api_keys/*" is every single-key call).
type Fault struct {
	Method string
	Path   string
	Kind   FaultKind
	// Status is the answer for FaultStatus and FaultActThenStatus.
	Status int
	// Message is that answer's EndpointError message, as a server would
	// give its reason; "" says the status text and that it was injected.
	Message string
	// Delay is how long FaultActThenDelay holds the answer.
	Delay time.Duration
	// Times is how many matching requests the fault affects; 0 or less
	// means every one until ClearFaults.
	Times int
}

type fault struct {
	Fault
	left int // < 0: unlimited
}

func (f *fault) matches(method, path string) bool {
	if f.Method != "" && f.Method != "*" && f.Method != method {
		return false
	}
	if prefix, ok := strings.CutSuffix(f.Path, "*"); ok {
		return strings.HasPrefix(path, prefix)
	}
	return f.Path == path
}

// Inject adds a fault. A fault for the same method and path replaces the
// earlier one; the first matching fault in injection order applies.
func (s *Server) Inject(f Fault) {
	f.Method = strings.ToUpper(f.Method)
	left := f.Times
	if left <= 0 {
		left = -1
	}
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	s.faults = slices.DeleteFunc(s.faults, func(x fault) bool { return x.Method == f.Method && x.Path == f.Path })
	s.faults = append(s.faults, fault{Fault: f, left: left})
}

// InjectFault makes the next `times` requests whose method matches (""
// matches any) and whose path, without query, equals path (for example
// "/api/v1/admin/api_keys/<id>") answer status with an EndpointError body,
// before authentication and without side effects. times <= 0 clears the
// fault for that method and path. A later call for the same method and path
// replaces the earlier one. It is Inject with FaultStatus.
func (s *Server) InjectFault(method, path string, status int, times int) {
	if times <= 0 {
		method = strings.ToUpper(method)
		s.faultMu.Lock()
		defer s.faultMu.Unlock()
		s.faults = slices.DeleteFunc(s.faults, func(f fault) bool { return f.Method == method && f.Path == path })
		return
	}
	s.Inject(Fault{Method: method, Path: path, Kind: FaultStatus, Status: status, Times: times})
}

// ClearFaults removes every injected fault.
func (s *Server) ClearFaults() {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	s.faults = nil
}

func (s *Server) takeFault(method, path string) (Fault, bool) {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	for i := range s.faults {
		f := &s.faults[i]
		if !f.matches(method, path) {
			continue
		}
		out := f.Fault
		if f.left > 0 {
			if f.left--; f.left == 0 {
				s.faults = slices.Delete(s.faults, i, i+1)
			}
		}
		return out, true
	}
	return Fault{}, false
}

// Call is one request as the server received it.
type Call struct {
	Method string
	// Path is the decoded path, without query.
	Path  string
	Query url.Values
}

// maxCalls bounds the call log, so a long-running demo does not grow
// without end; tests look at far fewer.
const maxCalls = 10_000

func (s *Server) recordCall(req *http.Request) {
	c := Call{Method: req.Method, Path: req.URL.Path, Query: req.URL.Query()}
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	if len(s.calls) >= maxCalls {
		s.calls = slices.Delete(s.calls, 0, len(s.calls)-maxCalls/2)
	}
	s.calls = append(s.calls, c)
}

// Calls returns the requests received so far (at most the last 10,000),
// oldest first.
func (s *Server) Calls() []Call {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	return slices.Clone(s.calls)
}

// ResetCalls empties the call log.
func (s *Server) ResetCalls() {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	s.calls = nil
}

// Block holds every key-list request for username (its filter equals
// username; "" holds unfiltered listings) until release is called or the
// request is cancelled. release may be called more than once.
func (s *Server) Block(username string) (release func()) {
	return s.hold(blockKey{keys: true, filter: username})
}

// BlockUsers holds every user-list request, as Block holds key listings,
// until release is called or the request is cancelled.
func (s *Server) BlockUsers() (release func()) {
	return s.hold(blockKey{})
}

// blockKey names what a block holds: the key listings for one filter, or
// (keys false) the user listings.
type blockKey struct {
	keys   bool
	filter string
}

func (s *Server) hold(b blockKey) (release func()) {
	ch := make(chan struct{})
	s.faultMu.Lock()
	if s.blocks == nil {
		s.blocks = map[blockKey]chan struct{}{}
	}
	s.blocks[b] = ch
	s.faultMu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			s.faultMu.Lock()
			if s.blocks[b] == ch {
				delete(s.blocks, b)
			}
			s.faultMu.Unlock()
			close(ch)
		})
	}
}

// waitBlock waits while a block holds req; false means the request was
// cancelled meanwhile.
func (s *Server) waitBlock(req *http.Request, b blockKey) bool {
	s.faultMu.Lock()
	ch := s.blocks[b]
	s.faultMu.Unlock()
	if ch == nil {
		return true
	}
	select {
	case <-ch:
		return true
	case <-req.Context().Done():
		return false
	}
}

// applyFault serves req under f.
func (s *Server) applyFault(w http.ResponseWriter, req *http.Request, f Fault) {
	switch f.Kind {
	case FaultStatus:
		msg := f.Message
		if msg == "" {
			msg = http.StatusText(f.Status) + " (injected fault)"
		}
		writeError(w, f.Status, msg)
	case FaultActThenStatus, FaultActThenDrop, FaultActThenDelay:
		buf := newBufferedWriter()
		s.serve(buf, req)
		switch f.Kind {
		case FaultActThenStatus:
			status := f.Status
			if status == 0 {
				status = http.StatusGatewayTimeout
			}
			msg := f.Message
			if msg == "" {
				msg = http.StatusText(status) + " (injected fault, after the server acted)"
			}
			writeError(w, status, msg)
		case FaultActThenDrop:
			dropConnection(w)
		default:
			if !sleepCtx(req.Context(), f.Delay) {
				return
			}
			buf.copyTo(w)
		}
	case FaultIgnoreOffset:
		r2 := req.Clone(req.Context())
		q := r2.URL.Query()
		q.Del("offset")
		r2.URL.RawQuery = q.Encode()
		s.serve(w, r2)
	case FaultEndlessPages:
		s.endlessPage(w, req)
	}
}

// dropConnection closes the client's connection without an answer. Where
// the writer cannot be hijacked (HTTP/2, a recorder), aborting the handler
// makes net/http reset the stream instead.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// endlessPage answers a list call with a full page of never-seen items
// (keys owned by the filtered user, so exact-owner filtering keeps them).
func (s *Server) endlessPage(w http.ResponseWriter, req *http.Request) {
	q := req.URL.Query()
	_, limit, e := s.page(q)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	limit = min(limit, 1000)
	now := s.now().UTC().Truncate(time.Second)
	next := func() string {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.newID()
	}
	path := strings.TrimPrefix(req.URL.Path, apiPrefix+"/")
	switch path {
	case "admin/api_keys":
		owner := q.Get("filter")
		if owner == "" {
			owner = "endless"
		}
		keys := make([]model.APIKey, limit)
		for i := range keys {
			keys[i] = model.APIKey{ID: next(), Username: owner, Name: "endless-" + strconv.Itoa(i), Hint: "0000",
				Created: now, TotalCalls: model.Some[int64](0), IsActive: true, IsGlobal: true}
		}
		writeJSON(w, http.StatusOK, s.spelling.wireAll(keys))
	case "users":
		users := make([]model.User, limit)
		for i := range users {
			id := next()
			users[i] = model.User{ID: id, Username: "endless-" + id[:8], Email: id[:8] + "@example.com"}
		}
		writeJSON(w, http.StatusOK, users)
	case "collections/all", "collections":
		owner := q.Get("filter")
		colls := make([]collection, limit)
		for i := range colls {
			colls[i] = collection{ID: next(), Name: "endless", Username: owner, EmbeddingModel: embeddingModel,
				CreatedAt: now, UpdatedAt: now, Status: "active"}
		}
		writeJSON(w, http.StatusOK, colls)
	default:
		s.serve(w, req)
	}
}

// bufferedWriter keeps an answer so a fault can decide what to do with it
// after the server has acted.
type bufferedWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newBufferedWriter() *bufferedWriter { return &bufferedWriter{header: http.Header{}} }

func (b *bufferedWriter) Header() http.Header { return b.header }

func (b *bufferedWriter) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

func (b *bufferedWriter) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func (b *bufferedWriter) copyTo(w http.ResponseWriter) {
	for k, v := range b.header {
		w.Header()[k] = v
	}
	w.WriteHeader(max(b.status, http.StatusOK))
	_, _ = w.Write(b.body.Bytes())
}
