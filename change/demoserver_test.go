package change_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"h2ogpte-keys/change"
	"h2ogpte-keys/client"
	"h2ogpte-keys/demoserver"
	"h2ogpte-keys/model"
)

// newDemo starts a seeded demo server and a real client for it.
func newDemo(t *testing.T) (*demoserver.Server, *client.Client) {
	t.Helper()
	srv := demoserver.New(demoserver.Options{Seed: 1})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	c, err := client.New(client.Config{Address: ts.URL, Token: model.NewSecret(demoserver.DemoToken), Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

func activeKeys(t *testing.T, c *client.Client, n int) []model.APIKey {
	t.Helper()
	all, err := c.ListAllKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var keys []model.APIKey
	for _, k := range all {
		if k.IsActive && len(keys) < n {
			keys = append(keys, k)
		}
	}
	if len(keys) < n {
		t.Fatalf("the demo server has %d active keys, want %d", len(keys), n)
	}
	return keys
}

// A change that happens on the server and whose answer is then lost (504
// from a gateway, a dropped connection) is read back and reported done;
// one the server refused before acting is not done.
func TestLostAnswersAgainstDemoServer(t *testing.T) {
	in := model.Interval{N: 30, Unit: model.Day}
	cases := []struct {
		name   string
		change change.Change
		method string
		path   string
		kind   demoserver.FaultKind
		want   model.Outcome
		status int // 0: 504
	}{
		{"delete, act then 504", change.Delete(), http.MethodDelete, "/api/v1/admin/api_keys/*", demoserver.FaultActThenStatus, model.Done, 0},
		{"delete, act then drop", change.Delete(), http.MethodDelete, "/api/v1/admin/api_keys/*", demoserver.FaultActThenDrop, model.Done, 0},
		{"deactivate, act then 504", change.Deactivate(), http.MethodPost, "/api/v1/admin/api_keys/deactivate/*", demoserver.FaultActThenStatus, model.Done, 0},
		{"deactivate, 504 without acting", change.Deactivate(), http.MethodPost, "/api/v1/admin/api_keys/deactivate/*", demoserver.FaultStatus, model.NotDone, 0},
		{"expiry, act then 504", change.SetExpiry(model.Expiry{In: in, At: in.AddTo(time.Now())}), http.MethodPatch, "/api/v1/admin/api_keys/expire/*", demoserver.FaultActThenStatus, model.Done, 0},
		{"inactivity, act then 504", change.SetInactivity(45), http.MethodPatch, "/api/v1/admin/api_keys/inactivity_interval/*", demoserver.FaultActThenStatus, model.Done, 0},
		{"delete, act then 500", change.Delete(), http.MethodDelete, "/api/v1/admin/api_keys/*", demoserver.FaultActThenStatus, model.Done, http.StatusInternalServerError},
		{"deactivate, act then 500", change.Deactivate(), http.MethodPost, "/api/v1/admin/api_keys/deactivate/*", demoserver.FaultActThenStatus, model.Done, http.StatusInternalServerError},
		{"deactivate, 500 without acting", change.Deactivate(), http.MethodPost, "/api/v1/admin/api_keys/deactivate/*", demoserver.FaultStatus, model.NotDone, http.StatusInternalServerError},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, c := newDemo(t)
			keys := activeKeys(t, c, 2)
			status := tc.status
			if status == 0 {
				status = http.StatusGatewayTimeout
			}
			srv.Inject(demoserver.Fault{Method: tc.method, Path: tc.path, Kind: tc.kind, Status: status, Times: 1})
			rep, err := change.NewRunner(c, change.Options{Concurrency: 1}).Run(context.Background(), tc.change, keys)
			if err != nil {
				t.Fatal(err)
			}
			first := rep.Results[0]
			if first.Outcome != tc.want {
				t.Fatalf("faulted key: %v (read back %v, err %v), want %v", first.Outcome, first.ReadBack, first.Err, tc.want)
			}
			if rep.Results[1].Outcome != model.Done {
				t.Errorf("the key after the fault: %v (%v)", rep.Results[1].Outcome, rep.Results[1].Err)
			}
		})
	}
}

func TestCreateLostAnswerAgainstDemoServer(t *testing.T) {
	srv, c := newDemo(t)
	users, err := c.ListUsers(context.Background())
	if err != nil || len(users) == 0 {
		t.Fatalf("users: %v %v", users, err)
	}
	u := users[0]
	srv.Inject(demoserver.Fault{Method: http.MethodPost, Path: "/api/v1/admin/api_keys", Kind: demoserver.FaultActThenStatus, Status: http.StatusBadGateway, Times: 1})
	nk := model.NewKey{UserID: u.ID, Name: "lost-answer-key"}
	if limit, _ := c.GlobalExpiryLimit(context.Background()); limit > 0 {
		in := model.Interval{N: 1, Unit: model.Day}
		nk.Expiry = &model.Expiry{In: in, At: in.AddTo(time.Now())}
	}
	rep, err := change.NewRunner(c, change.Options{}).Create(context.Background(), u.Username, nk)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Outcome() != model.Done || !rep.SecretLost() || rep.Key().ID == "" || rep.Key().Name != "lost-answer-key" {
		t.Fatalf("outcome %v, secret lost %v, key %+v, err %v", rep.Outcome(), rep.SecretLost(), rep.Key(), rep.Err())
	}
	if !rep.Created.Secret.Empty() {
		t.Error("a secret appeared for a create whose answer was lost")
	}
}
