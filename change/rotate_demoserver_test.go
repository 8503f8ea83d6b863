package change_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"h2ogpte-keys/change"
	"h2ogpte-keys/client"
	"h2ogpte-keys/demoserver"
	"h2ogpte-keys/model"
)

// bodies records the JSON body of every create request on its way to the
// demo server, so a test can check it against the spec's
// APIKeyCreateRequest.
type bodies struct {
	next http.Handler
	mu   sync.Mutex
	got  []map[string]any
}

func (b *bodies) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method == http.MethodPost && req.URL.Path == "/api/v1/admin/api_keys" {
		raw, _ := io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(raw))
		var m map[string]any
		_ = json.Unmarshal(raw, &m)
		b.mu.Lock()
		b.got = append(b.got, m)
		b.mu.Unlock()
	}
	b.next.ServeHTTP(w, req)
}

func (b *bodies) all() []map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]map[string]any(nil), b.got...)
}

// TestRotateAgainstDemoServer rotates a collection key with an expiry and
// an inactivity interval through the real client, with faults injected at
// each step, and checks the request sent and what the server holds after.
func TestRotateAgainstDemoServer(t *testing.T) {
	const keysPath = "/api/v1/admin/api_keys"
	cases := []struct {
		name      string
		then      change.Retire
		fault     *demoserver.Fault
		create    model.Outcome
		lost      bool
		retire    model.Outcome
		oldListed bool
		oldActive bool
		newListed bool
	}{
		{name: "keep", then: change.RetireKeep, create: model.Done, oldListed: true, oldActive: true, newListed: true},
		{name: "deactivate", then: change.RetireDeactivate, create: model.Done, retire: model.Done, oldListed: true, newListed: true},
		{name: "delete", then: change.RetireDelete, create: model.Done, retire: model.Done, newListed: true},
		{name: "create refused", then: change.RetireDelete,
			fault:  &demoserver.Fault{Method: http.MethodPost, Path: keysPath, Kind: demoserver.FaultStatus, Status: http.StatusInternalServerError, Times: 1},
			create: model.NotDone, retire: model.NotDone, oldListed: true, oldActive: true},
		{name: "create answer lost", then: change.RetireDeactivate,
			fault:  &demoserver.Fault{Method: http.MethodPost, Path: keysPath, Kind: demoserver.FaultActThenStatus, Status: http.StatusGatewayTimeout, Times: 1},
			create: model.Done, lost: true, retire: model.NotDone, oldListed: true, oldActive: true, newListed: true},
		{name: "deactivate refused", then: change.RetireDeactivate,
			fault:  &demoserver.Fault{Method: http.MethodPost, Path: keysPath + "/deactivate/*", Kind: demoserver.FaultStatus, Status: http.StatusInternalServerError, Times: 1},
			create: model.Done, retire: model.NotDone, oldListed: true, oldActive: true, newListed: true},
		{name: "delete answer lost", then: change.RetireDelete,
			fault:  &demoserver.Fault{Method: http.MethodDelete, Path: keysPath + "/*", Kind: demoserver.FaultActThenDrop, Times: 1},
			create: model.Done, retire: model.Done, newListed: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			srv := demoserver.New(demoserver.Options{Seed: 1})
			rec := &bodies{next: srv}
			ts := httptest.NewServer(rec)
			t.Cleanup(ts.Close)
			c, err := client.New(client.Config{Address: ts.URL, Token: model.NewSecret(demoserver.DemoToken), Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			owner := srv.Users()[1]
			coll := srv.AddCollection(owner.Username, "rotation target")
			thirty := model.Interval{N: 30, Unit: model.Day}
			made, err := c.CreateKey(ctx, model.NewKey{UserID: owner.ID, Name: "deploy-bot", CollectionID: coll.ID,
				InactivityDays: 45, Expiry: &model.Expiry{In: thirty, At: thirty.AddTo(time.Now())}})
			if err != nil {
				t.Fatal(err)
			}
			limit, err := c.GlobalExpiryLimit(ctx)
			if err != nil {
				t.Fatal(err)
			}
			plan, err := change.PlanRotation(made.Key, limit, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if tc.fault != nil {
				srv.Inject(*tc.fault)
			}
			rep, err := change.NewRunner(c, change.Options{}).Rotate(ctx, plan, tc.then)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Create().Outcome != tc.create || rep.SecretLost() != tc.lost {
				t.Fatalf("create %v (lost %v, err %v), want %v (%v)", rep.Create().Outcome, rep.SecretLost(), rep.Create().Err, tc.create, tc.lost)
			}
			if res, ok := rep.Retirement(); ok && res.Outcome != tc.retire {
				t.Errorf("retire %v (err %v), want %v", res.Outcome, res.Err, tc.retire)
			}

			sent := rec.all()
			if len(sent) != 2 {
				t.Fatalf("%d create requests, want the setup's and exactly one more", len(sent))
			}
			body := sent[1]
			if body["user_id"] != owner.ID || body["collection_id"] != coll.ID || body["inactivity_interval"] != float64(45) ||
				body["name"] != "deploy-bot" {
				t.Errorf("create body %v", body)
			}
			in, err := model.ParseInterval(body["expires_in"].(string))
			if err != nil || in != thirty || limit <= 0 || in.AddTo(time.Now()).After(time.Now().AddDate(0, 0, limit)) {
				t.Errorf("expires_in %v (limit %d): %v", body["expires_in"], limit, err)
			}

			old, oldListed, err := c.FindKey(ctx, owner.Username, made.Key.ID)
			if err != nil {
				t.Fatal(err)
			}
			if oldListed != tc.oldListed || (oldListed && old.IsActive != tc.oldActive) || rep.OldStillActive() != tc.oldActive {
				t.Errorf("old key listed %v active %v (report: still active %v), want %v %v", oldListed, old.IsActive, rep.OldStillActive(), tc.oldListed, tc.oldActive)
			}
			if tc.newListed {
				nk, found, err := c.FindKey(ctx, owner.Username, rep.NewKey().ID)
				if err != nil || !found || nk.CollectionID != coll.ID || !nk.IsActive {
					t.Errorf("new key %+v found %v: %v", nk, found, err)
				}
				if got, _ := nk.InactivityDays.Get(); got != 45 {
					t.Errorf("new key inactivity %d, want 45", got)
				}
			}
			wantSecret := tc.create == model.Done && !tc.lost
			if rep.Secret().Empty() == wantSecret {
				t.Errorf("secret held %v, want %v", !rep.Secret().Empty(), wantSecret)
			}
			if rep.Complete() != (wantSecret && (tc.then == change.RetireKeep || tc.retire == model.Done)) {
				t.Errorf("complete %v", rep.Complete())
			}
		})
	}
}
