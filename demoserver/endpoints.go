package demoserver

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"h2ogpte-keys/model"
)

// listUsers serves GET /users in creation order, the admin first.
func (s *Server) listUsers(w http.ResponseWriter, req *http.Request, _ caller, _ []string) {
	offset, limit, e := s.page(req.URL.Query())
	if e != nil {
		writeAPIError(w, e)
		return
	}
	if !s.waitBlock(req, blockKey{}) {
		return // the client is gone
	}
	s.mu.RLock()
	lo, hi := window(len(s.users), offset, limit)
	out := make([]model.User, 0, hi-lo)
	for _, u := range s.users[lo:hi] {
		out = append(out, u.user)
	}
	s.mu.RUnlock()
	writeJSON(w, http.StatusOK, out)
}

// getUser serves GET /users/{user_id}.
func (s *Server) getUser(w http.ResponseWriter, _ *http.Request, _ caller, params []string) {
	s.mu.RLock()
	u := s.usersByID[params[0]]
	s.mu.RUnlock()
	if u == nil {
		writeAPIError(w, errorf(http.StatusNotFound, "user not found: no user has id %q", params[0]))
		return
	}
	writeJSON(w, http.StatusOK, u.user)
}

// roleInfo is the spec's RoleInfo.
type roleInfo struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Priority    int    `json:"priority"`
}

// userPermission is the spec's UserPermission.
type userPermission struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	Description  string   `json:"description,omitempty"`
	Category     string   `json:"category,omitempty"`
	Dependencies []string `json:"dependencies"`
}

var (
	roleAdmin = roleInfo{ID: "6f1c1f0e-2b7a-4c39-9d0e-000000000001", Name: "Admin",
		Description: "Manages users, global settings and every user's API keys", Priority: 100}
	roleUser = roleInfo{ID: "6f1c1f0e-2b7a-4c39-9d0e-000000000002", Name: "User",
		Description: "Works with their own collections and API keys", Priority: 10}

	userPermissions = []userPermission{
		{ID: "5a0e0c55-0001-4000-8000-000000000001", Name: "chat", Description: "Chat with collections", Category: "Chat", Dependencies: []string{}},
		{ID: "5a0e0c55-0001-4000-8000-000000000002", Name: "create_collection", Description: "Create collections", Category: "Collections", Dependencies: []string{}},
		{ID: "5a0e0c55-0001-4000-8000-000000000003", Name: "manage_own_api_keys", Description: "Create and revoke one's own API keys", Category: "API keys", Dependencies: []string{}},
	}
	adminPermissions = append(slices.Clone(userPermissions),
		userPermission{ID: "5a0e0c55-0001-4000-8000-000000000004", Name: "manage_users", Description: "View and manage all users", Category: "Administration", Dependencies: []string{}},
		userPermission{ID: "5a0e0c55-0001-4000-8000-000000000005", Name: "manage_api_keys", Description: "Create, expire, deactivate and delete any user's API keys", Category: "Administration", Dependencies: []string{"manage_users"}},
		userPermission{ID: "5a0e0c55-0001-4000-8000-000000000006", Name: "manage_global_configurations", Description: "Change global settings", Category: "Administration", Dependencies: []string{}},
	)
)

// currentRoles serves GET /users/current/roles.
func (s *Server) currentRoles(w http.ResponseWriter, _ *http.Request, c caller, _ []string) {
	roles := []roleInfo{roleUser}
	if c.user.admin {
		roles = []roleInfo{roleAdmin, roleUser}
	}
	writeJSON(w, http.StatusOK, roles)
}

// currentPermissions serves GET /users/current/permissions.
func (s *Server) currentPermissions(w http.ResponseWriter, _ *http.Request, c caller, _ []string) {
	perms := userPermissions
	if c.user.admin {
		perms = adminPermissions
	}
	writeJSON(w, http.StatusOK, perms)
}

// listOwnCollections serves GET /collections: the caller's own collections,
// most recently updated first. The admin spec leaves it out; it is here so a
// user's key has something ordinary to call.
func (s *Server) listOwnCollections(w http.ResponseWriter, req *http.Request, c caller, _ []string) {
	offset, limit, e := s.page(req.URL.Query())
	if e != nil {
		writeAPIError(w, e)
		return
	}
	s.mu.RLock()
	var mine []collection
	for _, rec := range s.colls {
		if rec.Username == c.user.user.Username {
			mine = append(mine, *rec)
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(mine, collOrder("updated_at", false))
	lo, hi := window(len(mine), offset, limit)
	writeJSON(w, http.StatusOK, append([]collection{}, mine[lo:hi]...))
}

// collSorts are the spec's sort_column values. The demo keeps no expiry,
// inactivity or archive dates for collections, so those sort by id alone.
var collSorts = map[string]func(a, b collection) int{
	"name":                func(a, b collection) int { return cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) },
	"document_count":      func(a, b collection) int { return cmp.Compare(a.DocumentCount, b.DocumentCount) },
	"document_size":       func(a, b collection) int { return cmp.Compare(a.DocumentSize, b.DocumentSize) },
	"updated_at":          func(a, b collection) int { return a.UpdatedAt.Compare(b.UpdatedAt) },
	"sessions_count":      func(a, b collection) int { return cmp.Compare(a.SessionsCount, b.SessionsCount) },
	"username":            func(a, b collection) int { return cmp.Compare(a.Username, b.Username) },
	"status":              func(a, b collection) int { return cmp.Compare(a.Status, b.Status) },
	"expiry_date":         func(a, b collection) int { return 0 },
	"inactivity_interval": func(a, b collection) int { return 0 },
	"archived_at":         func(a, b collection) int { return 0 },
}

// collOrder sorts by column, ties broken by id, so pages never overlap.
func collOrder(column string, ascending bool) func(a, b collection) int {
	by := collSorts[column]
	return func(a, b collection) int {
		c := by(a, b)
		if c == 0 {
			c = cmp.Compare(a.ID, b.ID)
		}
		if !ascending {
			c = -c
		}
		return c
	}
}

// listAllCollections serves GET /collections/all (admin). filter matches
// name, id or owner loosely, like the real server.
func (s *Server) listAllCollections(w http.ResponseWriter, req *http.Request, _ caller, _ []string) {
	q := req.URL.Query()
	offset, limit, e := s.page(q)
	column := cmp.Or(q.Get("sort_column"), "updated_at")
	ascending, e2 := boolParam(q, "ascending", false)
	if e = firstErr(e, e2); e == nil && collSorts[column] == nil {
		e = errorf(http.StatusBadRequest, "sort_column %q is not one of name, document_count, document_size, updated_at, sessions_count, username, expiry_date, status, inactivity_interval, archived_at", column)
	}
	if e != nil {
		writeAPIError(w, e)
		return
	}
	filter := strings.ToLower(q.Get("filter"))
	s.mu.RLock()
	all := make([]collection, 0, len(s.colls))
	for _, rec := range s.colls {
		c := *rec
		if filter == "" || strings.Contains(strings.ToLower(c.Name), filter) ||
			strings.Contains(strings.ToLower(c.ID), filter) || strings.Contains(strings.ToLower(c.Username), filter) {
			all = append(all, c)
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(all, collOrder(column, ascending))
	lo, hi := window(len(all), offset, limit)
	writeJSON(w, http.StatusOK, all[lo:hi])
}

// configItem is the spec's GlobalConfigurationItem.
type configItem struct {
	KeyName      string `json:"key_name"`
	StringValue  string `json:"string_value"`
	ValueType    string `json:"value_type"`
	CanOverwrite bool   `json:"can_overwrite"`
	IsPublic     bool   `json:"is_public"`
	IsReadOnly   bool   `json:"is_read_only"`
	Description  string `json:"description,omitempty"`
	Category     string `json:"category,omitempty"`
}

const expiryLimitKey = "global_api_key_expiry_days"

// defaultSettings are sorted by key_name. The expiry limit's string_value is
// filled in from Server.limitDays when listed.
func defaultSettings() []configItem {
	return []configItem{
		{KeyName: "allow_user_api_keys", StringValue: "true", ValueType: "bool", IsPublic: true,
			Description: "Whether users may create API keys for themselves", Category: "API keys"},
		{KeyName: "default_embedding_model", StringValue: embeddingModel, ValueType: "str", CanOverwrite: true, IsPublic: true,
			Description: "Embedding model for new collections", Category: "Collections"},
		{KeyName: expiryLimitKey, ValueType: "int",
			Description: "Longest time, in days, an API key may be valid for (0 means no limit)", Category: "API keys"},
		{KeyName: "max_collections_per_user", StringValue: "100", ValueType: "int",
			Description: "How many collections a user may own", Category: "Collections"},
	}
}

// configsLocked returns the settings as listed; callers hold mu.
func (s *Server) configsLocked(asAdmin bool) []configItem {
	out := make([]configItem, 0, len(s.settings))
	for _, it := range s.settings {
		if it.KeyName == expiryLimitKey {
			it.StringValue = strconv.Itoa(s.limitDays)
		}
		if asAdmin || it.IsPublic {
			out = append(out, it)
		}
	}
	return out
}

// listConfigurations serves GET /configurations: public items for anyone,
// all of them with as_admin=true for an admin.
func (s *Server) listConfigurations(w http.ResponseWriter, req *http.Request, c caller, _ []string) {
	asAdmin, e := boolParam(req.URL.Query(), "as_admin", false)
	if e == nil && asAdmin && !c.user.admin {
		e = forbidden(c)
	}
	if e != nil {
		writeAPIError(w, e)
		return
	}
	s.mu.RLock()
	out := s.configsLocked(asAdmin)
	s.mu.RUnlock()
	writeJSON(w, http.StatusOK, out)
}

// setConfiguration serves PUT /configurations/{key_name} (admin): it changes
// a known setting and answers with all of them. Setting
// global_api_key_expiry_days changes the limit that creates and expiry
// updates are checked against.
func (s *Server) setConfiguration(w http.ResponseWriter, req *http.Request, _ caller, params []string) {
	m, e := readObject(w, req, false)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	value, hasValue, e1 := optString(m, "string_value")
	canOverwrite, hasOverwrite, e2 := optBool(m, "can_overwrite")
	isPublic, hasPublic, e3 := optBool(m, "is_public")
	valueType, hasType, e4 := optString(m, "value_type")
	if e = firstErr(e1, e2, e3, e4); e == nil && (!hasValue || !hasOverwrite || !hasPublic) {
		e = errorf(http.StatusBadRequest, "string_value, can_overwrite and is_public are required")
	}
	if e != nil {
		writeAPIError(w, e)
		return
	}
	s.mu.Lock()
	i := slices.IndexFunc(s.settings, func(it configItem) bool { return it.KeyName == params[0] })
	if i < 0 {
		s.mu.Unlock()
		writeAPIError(w, errorf(http.StatusNotFound, "configuration not found: no setting is named %q", params[0]))
		return
	}
	it := &s.settings[i]
	if hasType && valueType != it.ValueType {
		s.mu.Unlock()
		writeAPIError(w, errorf(http.StatusBadRequest, "value_type of %s is %s, not %s", it.KeyName, it.ValueType, valueType))
		return
	}
	if e := checkValue(it, value); e != nil {
		s.mu.Unlock()
		writeAPIError(w, e)
		return
	}
	if it.KeyName == expiryLimitKey {
		s.limitDays, _ = strconv.Atoi(value)
	} else {
		it.StringValue = value
	}
	it.CanOverwrite, it.IsPublic = canOverwrite, isPublic
	out := s.configsLocked(true)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func checkValue(it *configItem, v string) *apiError {
	switch it.ValueType {
	case "int":
		if n, err := strconv.Atoi(v); err != nil || n < 0 {
			return errorf(http.StatusBadRequest, "%s must be a non-negative whole number, got %q", it.KeyName, v)
		}
	case "bool":
		if _, err := strconv.ParseBool(v); err != nil {
			return errorf(http.StatusBadRequest, "%s must be true or false, got %q", it.KeyName, v)
		}
	}
	return nil
}
