package demoserver

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"h2ogpte-keys/model"
)

// DemoToken is the admin user's own global API key on the demo server. It is
// public on purpose: it opens nothing but an in-process demo. Calls made with
// it are not counted, and it is not listed among the stored keys, so no demo
// action can lock the admin out.
const DemoToken = "sk-demo-h2ogpte-keys-admin-token-0000000000000000"

const (
	apiPrefix = "/api/v1"
	// defaultExpiryLimitDays is global_api_key_expiry_days when Options leave it 0.
	defaultExpiryLimitDays = 90
	defaultPageSize        = 100
	maxBodyBytes           = 1 << 20
	// maxInactivityDays keeps created_at + interval inside time.Duration's range.
	maxInactivityDays = 36500
	defaultKeyName    = "API key"
	embeddingModel    = "BAAI/bge-large-en-v1.5"
)

// Options configure a demo server. The zero value is a server with sample
// data for seed 0, the wall clock and the default 90-day expiry limit.
type Options struct {
	// Now is the clock; nil means time.Now. Sample data is laid out relative
	// to its value when New runs.
	Now func() time.Time
	// Seed makes the sample data (ids, secrets, jitter) deterministic.
	Seed int64
	// ExpiryLimitDays is global_api_key_expiry_days: 0 means the default of
	// 90, -1 (any negative) means no limit (the setting reads "0").
	ExpiryLimitDays int
	// ExtraKeys seeds this many more keys over a few hundred generated users
	// (user0001...), for scale demos and benchmarks.
	ExtraKeys int
	// Latency delays every request, to make loading states visible and to
	// benchmark concurrency. A cancelled request stops waiting.
	Latency time.Duration
	// Empty leaves out the sample data: only the admin user exists.
	Empty bool
	// OmitEmpty leaves optional key fields that hold no value (expires_at,
	// last_used_at, inactivity_interval, collection_id, collection_name)
	// out of answers instead of sending null. The spec allows both.
	OmitEmpty bool
	// OldServer answers like a server from before usage tracking: keys
	// carry no last_used_at, inactivity_interval or total_calls at all.
	OldServer bool
	// RequireExpiry refuses (400) a key without expiry, and the removal of
	// an expiry, while global_api_key_expiry_days is set. Nothing published
	// says h2oGPTe does this, so it is off by default; it keeps that answer
	// testable.
	RequireExpiry bool
	// InactivityStatus, when 404 or 405, makes the inactivity interval
	// endpoint answer that status, as servers from before it existed do
	// (404 with a framework's bare "Not Found", 405 with Allow). 0 serves it.
	InactivityStatus int
	// MaxPageSize, when above 0, caps the limit of every list call: a page
	// holds at most that many items whatever limit was asked for, as servers
	// that bound their pages do. Nothing published says h2oGPTe does; it
	// keeps a client's answer to such a server testable.
	MaxPageSize int
}

// MaxExtraKeys is the most Options.ExtraKeys a server seeds: about 1.5 GB
// of sample data, far past any demo or benchmark.
const MaxExtraKeys = 2_000_000

// Validate reports options that New would have to clamp: an ExtraKeys below
// 0 or above MaxExtraKeys, or an InactivityStatus other than 0, 404 or 405.
func (o Options) Validate() error {
	if o.ExtraKeys < 0 || o.ExtraKeys > MaxExtraKeys {
		return fmt.Errorf("demo server: %d extra keys is out of range: want 0 to %d", o.ExtraKeys, MaxExtraKeys)
	}
	switch o.InactivityStatus {
	case 0, http.StatusNotFound, http.StatusMethodNotAllowed:
	default:
		return fmt.Errorf("demo server: inactivity endpoint status %d: want 0, 404 or 405", o.InactivityStatus)
	}
	return nil
}

type userRec struct {
	user  model.User
	admin bool
	// lower is the username lower-cased once, for loose filters.
	lower string
}

type keyRec struct {
	key   model.APIKey
	owner *userRec
	// hash is the SHA-256 of the secret: the server keeps no plain secret.
	hash [sha256.Size]byte
}

// collection is the API's Collection with every field the spec requires.
type collection struct {
	ID             string    `json:"id"`
	Name           string    `json:"name"`
	Description    string    `json:"description"`
	EmbeddingModel string    `json:"embedding_model"`
	DocumentCount  int64     `json:"document_count"`
	DocumentSize   int64     `json:"document_size"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	UserCount      int       `json:"user_count"`
	IsPublic       bool      `json:"is_public"`
	Username       string    `json:"username"`
	SessionsCount  int       `json:"sessions_count"`
	Status         string    `json:"status"`
}

func (c collection) model() model.Collection {
	return model.Collection{
		ID: c.ID, Name: c.Name, Description: c.Description, Username: c.Username,
		DocumentCount: c.DocumentCount, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
	}
}

// Server is the demo h2oGPTe API. It is safe for concurrent use.
type Server struct {
	now     func() time.Time
	latency time.Duration
	maxPage int // Options.MaxPageSize

	mu sync.RWMutex
	// rng is seeded from Options.Seed so ids of everything created later are
	// reproducible too. Guarded by mu (write lock).
	rng *rand.Rand
	// usage picks the keys Use calls with: its own generator, so traffic
	// leaves rng's sequence (and the ids of what is created) as it was.
	// Guarded by mu (write lock).
	usage       *rand.Rand
	admin       *userRec
	users       []*userRec
	usersByID   map[string]*userRec
	usersByName map[string]*userRec
	colls       []*collection
	collsByID   map[string]*collection
	// keys is kept sorted by (created_at, id): listing pages are slices of
	// it, never a per-request sort.
	keys       []*keyRec
	keysByID   map[string]*keyRec
	keysByHash map[[sha256.Size]byte]*keyRec
	limitDays  int // 0 = no limit
	settings   []configItem

	spelling         spelling
	requireExpiry    bool
	inactivityStatus int

	// faultMu guards the fault list, the call log and the blocks.
	faultMu sync.Mutex
	faults  []fault
	calls   []Call
	blocks  map[blockKey]chan struct{}

	// bufs holds *[]byte buffers for encoding listings.
	bufs sync.Pool

	// filterMu guards filterCache, which readers holding mu's read lock
	// fill: the keys matching each recent listing filter.
	filterMu    sync.Mutex
	filterCache map[string][]*keyRec
}

// New builds a server with sample data laid out from opts.Seed and the clock.
// Options that Validate refuses are clamped (ExtraKeys into 0 to
// MaxExtraKeys, an unknown InactivityStatus to 0); Start reports them
// instead.
func New(opts Options) *Server {
	opts.ExtraKeys = min(max(opts.ExtraKeys, 0), MaxExtraKeys)
	if opts.InactivityStatus != http.StatusNotFound && opts.InactivityStatus != http.StatusMethodNotAllowed {
		opts.InactivityStatus = 0
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	s := &Server{
		now:         now,
		latency:     opts.Latency,
		maxPage:     opts.MaxPageSize,
		rng:         rand.New(rand.NewPCG(uint64(opts.Seed), 0x68326f677074)),
		usage:       rand.New(rand.NewPCG(uint64(opts.Seed), 0x7573616765)),
		usersByID:   map[string]*userRec{},
		usersByName: map[string]*userRec{},
		collsByID:   map[string]*collection{},
		keysByID:    make(map[string]*keyRec, max(opts.ExtraKeys, 0)+len(sampleKeys)),
		keysByHash:  make(map[[sha256.Size]byte]*keyRec, max(opts.ExtraKeys, 0)+len(sampleKeys)),
		settings:    defaultSettings(),

		spelling:         spelling{OmitEmpty: opts.OmitEmpty, OldServer: opts.OldServer},
		requireExpiry:    opts.RequireExpiry,
		inactivityStatus: opts.InactivityStatus,
	}
	switch {
	case opts.ExpiryLimitDays == 0:
		s.limitDays = defaultExpiryLimitDays
	case opts.ExpiryLimitDays > 0:
		s.limitDays = opts.ExpiryLimitDays
	}
	s.seed(now().UTC().Truncate(time.Second), opts)
	return s
}

// apiError is an answer other than success, written as an EndpointError.
type apiError struct {
	status int
	msg    string
}

func errorf(status int, format string, args ...any) *apiError {
	return &apiError{status: status, msg: fmt.Sprintf(format, args...)}
}

type caller struct {
	user *userRec
	key  *keyRec // nil for DemoToken
}

type handler func(s *Server, w http.ResponseWriter, r *http.Request, c caller, params []string)

type route struct {
	method string
	segs   []string // "" is a path parameter
	admin  bool
	h      handler
}

func mkRoute(method, pattern string, admin bool, h handler) route {
	segs := strings.Split(pattern, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, "{") {
			segs[i] = ""
		}
	}
	return route{method: method, segs: segs, admin: admin, h: h}
}

// routes lists literal paths before parameterised ones with the same shape,
// so /users/current/roles is never read as a user id.
var routes = []route{
	mkRoute(http.MethodGet, "admin/api_keys", true, (*Server).listKeys),
	mkRoute(http.MethodPost, "admin/api_keys", true, (*Server).createKey),
	mkRoute(http.MethodPost, "admin/api_keys/deactivate/{key_id}", true, (*Server).deactivateKey),
	mkRoute(http.MethodPatch, "admin/api_keys/expire/{key_id}", true, (*Server).updateExpiry),
	mkRoute(http.MethodPatch, "admin/api_keys/inactivity_interval/{key_id}", true, (*Server).updateInactivity),
	mkRoute(http.MethodDelete, "admin/api_keys/{key_id}", true, (*Server).deleteKey),
	mkRoute(http.MethodGet, "users", false, (*Server).listUsers),
	mkRoute(http.MethodGet, "users/current/permissions", false, (*Server).currentPermissions),
	mkRoute(http.MethodGet, "users/current/roles", false, (*Server).currentRoles),
	mkRoute(http.MethodGet, "users/{user_id}", false, (*Server).getUser),
	mkRoute(http.MethodGet, "collections", false, (*Server).listOwnCollections),
	mkRoute(http.MethodGet, "collections/all", true, (*Server).listAllCollections),
	mkRoute(http.MethodGet, "configurations", false, (*Server).listConfigurations),
	mkRoute(http.MethodPut, "configurations/{key_name}", true, (*Server).setConfiguration),
}

// match finds the route for a request. With no route for the method it
// returns the methods the path does allow (for 405), or none (for 404).
func match(method, escapedPath string) (*route, []string, []string) {
	rest, ok := strings.CutPrefix(escapedPath, apiPrefix+"/")
	if !ok {
		return nil, nil, nil
	}
	raw := strings.Split(rest, "/")
	segs := make([]string, len(raw))
	for i, s := range raw {
		u, err := url.PathUnescape(s)
		if err != nil {
			return nil, nil, nil
		}
		segs[i] = u
	}
	var allow []string
	for i := range routes {
		rt := &routes[i]
		params, ok := rt.match(segs)
		if !ok {
			continue
		}
		if rt.method == method {
			return rt, params, nil
		}
		if !slices.Contains(allow, rt.method) {
			allow = append(allow, rt.method)
		}
	}
	return nil, nil, allow
}

func (rt *route) match(segs []string) ([]string, bool) {
	if len(segs) != len(rt.segs) {
		return nil, false
	}
	var params []string
	for i, want := range rt.segs {
		switch {
		case want == "" && segs[i] != "":
			params = append(params, segs[i])
		case want == "" || want != segs[i]:
			return nil, false
		}
	}
	return params, true
}

// ServeHTTP answers /api/v1/... as h2oGPTe does: route, then authenticate,
// then check admin rights, then run the endpoint.
func (s *Server) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	s.recordCall(req)
	if s.latency > 0 && !sleepCtx(req.Context(), s.latency) {
		return // the client is gone; nobody reads an answer
	}
	if f, ok := s.takeFault(req.Method, req.URL.Path); ok {
		s.applyFault(w, req, f)
		return
	}
	s.serve(w, req)
}

// serve routes, authenticates, checks admin rights and runs the endpoint.
func (s *Server) serve(w http.ResponseWriter, req *http.Request) {
	rt, params, allow := match(req.Method, req.URL.EscapedPath())
	if rt == nil {
		if len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("method %s not allowed on %s", req.Method, req.URL.Path))
			return
		}
		writeError(w, http.StatusNotFound, fmt.Sprintf("not found: %s", req.URL.Path))
		return
	}
	c, aerr := s.authenticate(req)
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	if rt.admin && !c.user.admin {
		writeAPIError(w, forbidden(c))
		return
	}
	rt.h(s, w, req, c, params)
}

func forbidden(c caller) *apiError {
	return errorf(http.StatusForbidden, "forbidden: admin only: user %s is not an administrator", c.user.user.Username)
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// AddUser adds a user (for tests) and returns it. A username that exists
// already returns the existing user unchanged: usernames are unique.
func (s *Server) AddUser(username, email string, admin bool) model.User {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.usersByName[username]; u != nil {
		return u.user
	}
	return s.addUserLocked(username, email, admin).user
}

func (s *Server) addUserLocked(username, email string, admin bool) *userRec {
	u := &userRec{
		user:  model.User{ID: s.newID(), Username: username, Email: email},
		admin: admin,
		lower: strings.ToLower(username),
	}
	s.users = append(s.users, u)
	s.usersByID[u.user.ID] = u
	s.usersByName[username] = u
	return u
}

// AddCollection adds an empty private collection owned by the user named
// owner (for tests). The owner is not checked, so a test can model a
// collection whose owner is gone.
func (s *Server) AddCollection(owner, name string) model.Collection {
	now := s.now().UTC().Truncate(time.Microsecond)
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.addCollLocked(collection{
		Name: name, Username: owner, CreatedAt: now, UpdatedAt: now,
		UserCount: 1,
	})
	return c.model()
}

func (s *Server) addCollLocked(c collection) *collection {
	c.ID = s.newID()
	if c.EmbeddingModel == "" {
		c.EmbeddingModel = embeddingModel
	}
	if c.Status == "" {
		c.Status = "active"
	}
	s.colls = append(s.colls, &c)
	s.collsByID[c.ID] = &c
	return &c
}

// SetExpiryLimitDays sets global_api_key_expiry_days; 0 (or less) means no
// limit.
func (s *Server) SetExpiryLimitDays(days int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limitDays = max(days, 0)
}

// Users returns a snapshot of the users, in listing order.
func (s *Server) Users() []model.User {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]model.User, len(s.users))
	for i, u := range s.users {
		out[i] = u.user
	}
	return out
}

// newID returns a UUID-like id from the seeded generator. Callers hold mu.
func (s *Server) newID() string {
	return uuidFrom(s.rng.Uint64(), s.rng.Uint64())
}

func keyOrder(a, b *keyRec) int {
	if c := a.key.Created.Compare(b.key.Created); c != 0 {
		return c
	}
	return cmp.Compare(a.key.ID, b.key.ID)
}

// insertKeyLocked adds k in listing order. New keys are the newest, so this
// is an append in practice.
func (s *Server) insertKeyLocked(k *keyRec) {
	i, _ := slices.BinarySearchFunc(s.keys, k, keyOrder)
	s.keys = slices.Insert(s.keys, i, k)
	s.forgetFiltersLocked()
	s.keysByID[k.key.ID] = k
	s.keysByHash[k.hash] = k
}

func (s *Server) removeKeyLocked(k *keyRec) {
	if i, found := slices.BinarySearchFunc(s.keys, k, keyOrder); found && s.keys[i] == k {
		s.keys = slices.Delete(s.keys, i, i+1)
	}
	s.forgetFiltersLocked()
	delete(s.keysByID, k.key.ID)
	delete(s.keysByHash, k.hash)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "encode response: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	// With its length, as servers that answer with a buffered body do (no
	// chunked encoding).
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// endpointError is the spec's EndpointError.
type endpointError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func writeError(w http.ResponseWriter, status int, msg string) {
	b, _ := json.Marshal(endpointError{Code: status, Message: msg})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeAPIError(w http.ResponseWriter, e *apiError) { writeError(w, e.status, e.msg) }

// AddKey stores k with the fields a test chooses (created and last-used
// times, total calls, active or not, expiry, a collection, any name) and
// returns it as stored. Its owner is k.Username, added as a user first when
// the server has none of that name. An empty ID gets a new one; an ID the
// server holds already is replaced. A zero Created is the clock's now. A
// CollectionID the server holds makes a collection key named after that
// collection unless k.CollectionName is set; any other CollectionID is kept
// as given, so a test can model a collection that is gone. Its secret is
// random and nobody is told it. A usage field (LastUsed, InactivityDays,
// TotalCalls) that is not Reported is left out of listings, as a server from
// before that field leaves it out, so one server can hold keys of both kinds.
func (s *Server) AddKey(k model.APIKey) model.APIKey {
	secret, err := newSecret()
	if err != nil {
		// crypto/rand does not fail on the platforms Go supports; a fixed
		// string keeps a test going and is no one's token.
		secret = "added-key"
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	s.mu.Lock()
	defer s.mu.Unlock()
	owner := s.usersByName[k.Username]
	if owner == nil {
		owner = s.addUserLocked(k.Username, k.Username+"@example.com", false)
	}
	if k.ID == "" {
		k.ID = s.newID()
	}
	if old := s.keysByID[k.ID]; old != nil {
		s.removeKeyLocked(old)
	}
	if k.Created.IsZero() {
		k.Created = now
	}
	if k.CollectionID != "" {
		k.IsGlobal = false
		if c := s.collsByID[k.CollectionID]; c != nil && k.CollectionName == "" {
			k.CollectionName = c.Name
		}
	}
	if k.Hint == "" {
		k.Hint = secret[len(secret)-4:]
	}
	rec := &keyRec{key: k, owner: owner, hash: sha256.Sum256([]byte(secret + "\x00" + k.ID))}
	s.insertKeyLocked(rec)
	return k
}

// Key returns the stored key with id, and whether there is one.
func (s *Server) Key(id string) (model.APIKey, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if k := s.keysByID[id]; k != nil {
		return k.key, true
	}
	return model.APIKey{}, false
}
