package demoserver

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"h2ogpte-keys/model"
)

func TestUsers(t *testing.T) {
	s, _ := newTestServer(t, Options{Seed: 1})
	rec := do(t, s, "GET", "/api/v1/users", DemoToken, "")
	wantStatus(t, rec, http.StatusOK)
	users := decode[[]model.User](t, rec)
	if fmt.Sprint(users) != fmt.Sprint(s.Users()) {
		t.Errorf("listing %v differs from Users() %v", users, s.Users())
	}
	if len(users) != 1+len(sampleUsers) || users[0].Username != "admin" {
		t.Fatalf("users = %v", users)
	}
	if got := decode[[]model.User](t, do(t, s, "GET", "/api/v1/users?offset=2&limit=3", DemoToken, "")); fmt.Sprint(got) != fmt.Sprint(users[2:5]) {
		t.Errorf("page = %v, want %v", got, users[2:5])
	}
	wantStatus(t, do(t, s, "GET", "/api/v1/users?limit=x", DemoToken, ""), http.StatusBadRequest)

	for _, u := range users {
		if u.ID == u.Username || u.Email != u.Username+"@example.com" {
			t.Errorf("user %+v: want a UUID-like id and user@example.com", u)
		}
		rec := do(t, s, "GET", "/api/v1/users/"+u.ID, DemoToken, "")
		wantStatus(t, rec, http.StatusOK)
		if got := decode[model.User](t, rec); got != u {
			t.Errorf("GET /users/%s = %+v, want %+v", u.ID, got, u)
		}
	}
	for _, id := range []string{"alice", "nope", "current"} {
		wantStatus(t, do(t, s, "GET", "/api/v1/users/"+id, DemoToken, ""), http.StatusNotFound)
	}

	t.Run("AddUser", func(t *testing.T) {
		u := s.AddUser("zoe", "zoe@example.com", false)
		if again := s.AddUser("zoe", "other@example.com", true); again != u {
			t.Errorf("adding zoe again gave %+v, want the existing %+v", again, u)
		}
		if got := s.Users(); got[len(got)-1] != u {
			t.Errorf("last user = %+v, want %+v", got[len(got)-1], u)
		}
		wantStatus(t, do(t, s, "GET", "/api/v1/users/"+u.ID, DemoToken, ""), http.StatusOK)
	})
}

func TestCurrentRolesAndPermissions(t *testing.T) {
	s, _ := newTestServer(t, Options{Seed: 1})
	bobKey := createKey(t, s, fmt.Sprintf(`{"user_id":%q,"expires_in":"30 days"}`, userByName(t, s, "bob").ID)).SecretKey
	tests := []struct {
		token     string
		wantAdmin bool
	}{{DemoToken, true}, {bobKey, false}}
	for _, tt := range tests {
		roles := decode[[]roleInfo](t, do(t, s, "GET", "/api/v1/users/current/roles", tt.token, ""))
		if got := slices.ContainsFunc(roles, func(r roleInfo) bool { return r.Name == "Admin" }); got != tt.wantAdmin {
			t.Errorf("admin role = %v, want %v (%+v)", got, tt.wantAdmin, roles)
		}
		perms := decode[[]userPermission](t, do(t, s, "GET", "/api/v1/users/current/permissions", tt.token, ""))
		if got := slices.ContainsFunc(perms, func(p userPermission) bool { return p.Name == "manage_api_keys" }); got != tt.wantAdmin {
			t.Errorf("manage_api_keys = %v, want %v", got, tt.wantAdmin)
		}
		for _, p := range perms {
			if p.ID == "" || p.Name == "" {
				t.Errorf("permission %+v lacks a required field", p)
			}
		}
	}
}

func TestCollectionsAll(t *testing.T) {
	s, _ := newTestServer(t, Options{Seed: 1})
	list := func(query string) []collection {
		t.Helper()
		rec := do(t, s, "GET", "/api/v1/collections/all"+query, DemoToken, "")
		wantStatus(t, rec, http.StatusOK)
		return decode[[]collection](t, rec)
	}
	all := list("")
	if len(all) != len(sampleColls) {
		t.Fatalf("%d collections, want %d", len(all), len(sampleColls))
	}
	if !slices.IsSortedFunc(all, func(a, b collection) int { return b.UpdatedAt.Compare(a.UpdatedAt) }) {
		t.Error("default order is not updated_at descending")
	}
	// Every field the spec requires is in the JSON.
	body := do(t, s, "GET", "/api/v1/collections/all?limit=1", DemoToken, "").Body.String()
	for _, f := range []string{"id", "name", "description", "embedding_model", "document_count", "document_size",
		"created_at", "updated_at", "user_count", "is_public", "username", "sessions_count", "status"} {
		if !strings.Contains(body, `"`+f+`":`) {
			t.Errorf("collection JSON lacks %s: %s", f, body)
		}
	}

	names := func(cs []collection) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.Name)
		}
		return out
	}
	t.Run("sorting", func(t *testing.T) {
		byName := list("?sort_column=name&ascending=true")
		if !slices.IsSortedFunc(names(byName), func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) }) {
			t.Errorf("not sorted by name: %v", names(byName))
		}
		desc := list("?sort_column=name&ascending=false")
		slices.Reverse(desc)
		if !slices.Equal(names(desc), names(byName)) {
			t.Error("descending is not ascending reversed")
		}
		byUser := list("?sort_column=username&ascending=true")
		if !slices.IsSortedFunc(byUser, func(a, b collection) int { return strings.Compare(a.Username, b.Username) }) {
			t.Error("not sorted by username")
		}
		asc := list("?sort_column=updated_at&ascending=true")
		if !slices.IsSortedFunc(asc, func(a, b collection) int { return a.UpdatedAt.Compare(b.UpdatedAt) }) {
			t.Error("not sorted by updated_at ascending")
		}
		if got := list("?sort_column=name&ascending=true&offset=2&limit=3"); !slices.Equal(names(got), names(byName)[2:5]) {
			t.Errorf("page = %v, want %v", names(got), names(byName)[2:5])
		}
	})
	t.Run("loose filter", func(t *testing.T) {
		owners := func(cs []collection) []string {
			var out []string
			for _, c := range cs {
				if !slices.Contains(out, c.Username) {
					out = append(out, c.Username)
				}
			}
			slices.Sort(out)
			return out
		}
		if got := owners(list("?filter=alice")); !slices.Equal(got, []string{"alice", "malice"}) {
			t.Errorf("filter=alice owners = %v", got)
		}
		if got := names(list("?filter=HANDBOOK")); !slices.Equal(got, []string{"Engineering handbook"}) {
			t.Errorf("filter by name = %v", got)
		}
		id := all[3].ID
		if got := list("?filter=" + id[len(id)-12:]); len(got) != 1 || got[0].ID != id {
			t.Errorf("filter by id = %v", names(got))
		}
	})
	for _, q := range []string{"?sort_column=bogus", "?ascending=maybe", "?limit=-2"} {
		t.Run(q, func(t *testing.T) {
			wantStatus(t, do(t, s, "GET", "/api/v1/collections/all"+q, DemoToken, ""), http.StatusBadRequest)
		})
	}
	t.Run("AddCollection", func(t *testing.T) {
		c := s.AddCollection("frank", "Frank's things")
		got := list("?filter=frank")
		if len(got) != 1 || got[0].ID != c.ID || got[0].Username != "frank" || got[0].Name != c.Name {
			t.Errorf("after AddCollection: %+v", got)
		}
	})
}

func TestConfigurations(t *testing.T) {
	type item struct {
		KeyName      string `json:"key_name"`
		StringValue  string `json:"string_value"`
		ValueType    string `json:"value_type"`
		CanOverwrite bool   `json:"can_overwrite"`
		IsPublic     bool   `json:"is_public"`
	}
	limitItem := func(t *testing.T, s *Server, token string) (item, bool) {
		t.Helper()
		rec := do(t, s, "GET", "/api/v1/configurations?as_admin=true", token, "")
		wantStatus(t, rec, http.StatusOK)
		items := decode[[]item](t, rec)
		if len(items) < 3 {
			t.Errorf("only %d configuration items", len(items))
		}
		i := slices.IndexFunc(items, func(it item) bool { return it.KeyName == "global_api_key_expiry_days" })
		if i < 0 {
			return item{}, false
		}
		return items[i], true
	}
	for _, tt := range []struct {
		limit int
		want  string
	}{{0, "90"}, {30, "30"}, {-1, "0"}} {
		s, _ := newTestServer(t, Options{Seed: 1, ExpiryLimitDays: tt.limit})
		got, ok := limitItem(t, s, DemoToken)
		want := item{KeyName: "global_api_key_expiry_days", StringValue: tt.want, ValueType: "int"}
		if !ok || got != want {
			t.Errorf("ExpiryLimitDays %d: item = %+v, want %+v", tt.limit, got, want)
		}
	}

	s, _ := newTestServer(t, Options{Seed: 1})
	alice := userByName(t, s, "alice")
	aliceKey := createKey(t, s, fmt.Sprintf(`{"user_id":%q,"expires_in":"30 days"}`, alice.ID)).SecretKey

	t.Run("public items only without as_admin", func(t *testing.T) {
		for _, token := range []string{DemoToken, aliceKey} {
			for _, q := range []string{"", "?as_admin=false"} {
				items := decode[[]configItem](t, do(t, s, "GET", "/api/v1/configurations"+q, token, ""))
				if len(items) == 0 {
					t.Error("no public items")
				}
				for _, it := range items {
					if !it.IsPublic {
						t.Errorf("non-admin listing has private %s", it.KeyName)
					}
				}
			}
		}
		wantStatus(t, do(t, s, "GET", "/api/v1/configurations?as_admin=yes%20please", DemoToken, ""), http.StatusBadRequest)
	})

	t.Run("SetExpiryLimitDays", func(t *testing.T) {
		s.SetExpiryLimitDays(14)
		if got, _ := limitItem(t, s, DemoToken); got.StringValue != "14" {
			t.Errorf("string_value = %q, want 14", got.StringValue)
		}
		s.SetExpiryLimitDays(0)
		if got, _ := limitItem(t, s, DemoToken); got.StringValue != "0" {
			t.Errorf("string_value = %q, want 0", got.StringValue)
		}
	})

	t.Run("PUT", func(t *testing.T) {
		path := "/api/v1/configurations/global_api_key_expiry_days"
		rec := do(t, s, "PUT", path, DemoToken, `{"string_value":"10","can_overwrite":false,"is_public":false,"value_type":"int"}`)
		wantStatus(t, rec, http.StatusOK)
		if items := decode[[]configItem](t, rec); !slices.ContainsFunc(items, func(it configItem) bool {
			return it.KeyName == expiryLimitKey && it.StringValue == "10"
		}) {
			t.Errorf("PUT answer %s lacks the new value", rec.Body.String())
		}
		body := fmt.Sprintf(`{"user_id":%q,"expires_in":"11 days"}`, alice.ID)
		wantStatus(t, do(t, s, "POST", "/api/v1/admin/api_keys", DemoToken, body), http.StatusBadRequest)

		for _, bad := range []struct {
			path, body string
			status     int
		}{
			{path, `{"string_value":"ten","can_overwrite":false,"is_public":false}`, http.StatusBadRequest},
			{path, `{"string_value":"-1","can_overwrite":false,"is_public":false}`, http.StatusBadRequest},
			{path, `{"string_value":"10"}`, http.StatusBadRequest},
			{path, `{"string_value":"10","can_overwrite":false,"is_public":false,"value_type":"str"}`, http.StatusBadRequest},
			{path, `not json`, http.StatusBadRequest},
			{"/api/v1/configurations/allow_user_api_keys", `{"string_value":"sometimes","can_overwrite":false,"is_public":true}`, http.StatusBadRequest},
			{"/api/v1/configurations/no_such_setting", `{"string_value":"1","can_overwrite":false,"is_public":false}`, http.StatusNotFound},
		} {
			wantStatus(t, do(t, s, "PUT", bad.path, DemoToken, bad.body), bad.status)
		}
		if got, _ := limitItem(t, s, DemoToken); got.StringValue != "10" {
			t.Errorf("rejected PUTs changed the limit to %q", got.StringValue)
		}
	})
}
