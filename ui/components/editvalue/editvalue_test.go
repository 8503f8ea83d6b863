package editvalue_test

import (
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/golden"

	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/common"
	"h2ogpte-keys/ui/common/commontest"
	"h2ogpte-keys/ui/components/editvalue"
)

func TestMain(m *testing.M) { commontest.Main(m) }

var now = commontest.Now

func testKey() model.APIKey {
	exp := time.Date(2026, 12, 16, 15, 0, 0, 0, time.UTC)
	return model.APIKey{
		ID: "key-1", Username: "alice", Name: "ci-pipeline", Hint: "abcd",
		Created: now.AddDate(0, -1, 0), Expires: &exp, IsActive: true,
		InactivityDays: model.Some(60), TotalCalls: model.Some[int64](0), // a current server's key
	}
}

// endOfDay marks a date's expected expiry: what model.ParseExpiry makes
// of it, within the last minute of that day.
const endOfDay = "end of day"

func TestExpiry(t *testing.T) {
	k := testKey()
	tests := []struct {
		name      string
		limit     int
		input     string
		wantIn    string // ExpiresIn of the accepted expiry; "" when refused
		wantNever bool
		wantAt    time.Time
		wantErr   string // part of the error shown when refused
	}{
		{"duration", 90, "30d", "30 days", false, now.AddDate(0, 0, 30), ""},
		{"never under a limit is sent: the expiry stays optional", 90, "never", "", true, time.Time{}, ""},
		{"never without a limit", 0, "never", "", true, time.Time{}, ""},
		{"date is the end of that day", 90, "2026-12-31", endOfDay, false, time.Date(2026, 12, 31, 23, 59, 0, 0, time.UTC), ""},
		{"exactly the limit", 90, "90d", "90 days", false, now.AddDate(0, 0, 90), ""},
		{"past the limit", 90, "100d", "", false, time.Time{}, "latest allowed is 2027-02-24 15:00"},
		{"date past the limit", 90, "2027-06-01", "", false, time.Time{}, "latest allowed is 2027-02-24 15:00"},
		{"no limit allows far dates", 0, "2027-06-01", endOfDay, false, time.Date(2027, 6, 1, 23, 59, 0, 0, time.UTC), ""},
		{"garbage", 90, "soon", "", false, time.Time{}, "want a whole number and a unit"},
		{"negative", 90, "-3d", "", false, time.Time{}, "must not be negative"},
		{"past date", 90, "2026-01-01", "", false, time.Time{}, "in the past"},
		{"empty", 90, "", "", false, time.Time{}, "expiry is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := editvalue.NewExpiry(commontest.Common(), k, tt.limit)
			got := commontest.Press(m, tt.input, "enter")
			if tt.wantErr != "" {
				if got != nil {
					t.Fatalf("refused value gave %#v", got)
				}
				if m.Value() != tt.input {
					t.Errorf("input became %q, want %q kept", m.Value(), tt.input)
				}
				if err := m.Err(); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("Err() = %v, want it to contain %q", err, tt.wantErr)
				}
				if view := commontest.Flat(m.View()); !strings.Contains(view, tt.wantErr) {
					t.Errorf("view does not show %q:\n%s", tt.wantErr, m.View())
				}
				return
			}
			chosen, ok := got.(editvalue.Chosen)
			if !ok {
				t.Fatalf("got %#v, want Chosen", got)
			}
			if len(chosen.Keys) != 1 || chosen.Keys[0].ID != k.ID {
				t.Errorf("keys %v, want just %q", chosen.Keys, k.ID)
			}
			e := chosen.Expiry
			if tt.wantIn == endOfDay {
				// A date is model.ParseExpiry's: the dialog sends exactly
				// that, which lands in the last minute of the day.
				want, err := model.ParseExpiry(tt.input, now)
				if err != nil || e != want || e.At.Before(tt.wantAt) || !e.At.Before(tt.wantAt.Add(time.Minute)) {
					t.Errorf("expiry = %+v, want %+v (%v), in the minute from %v", e, want, err, tt.wantAt)
				}
				return
			}
			if e.Never != tt.wantNever || e.ExpiresIn() != tt.wantIn || !e.At.Equal(tt.wantAt) {
				t.Errorf("expiry = {Never:%v In:%q At:%v}, want {Never:%v In:%q At:%v}",
					e.Never, e.ExpiresIn(), e.At, tt.wantNever, tt.wantIn, tt.wantAt)
			}
		})
	}
}

func TestInactivity(t *testing.T) {
	tests := []struct {
		input    string
		wantDays int
		wantErr  string
	}{
		{"60", 60, ""},
		{"60d", 60, ""},
		{"60 days", 60, ""},
		{"none", 0, ""},
		{"-3", 0, "must not be negative"},
		{"0", 0, "at least 1 day"},
		{"abc", 0, "not a whole number"},
		{"", 0, "is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.input, func(t *testing.T) {
			m := editvalue.NewInactivity(commontest.Common(), testKey())
			got := commontest.Press(m, tt.input, "enter")
			if tt.wantErr != "" {
				if got != nil {
					t.Fatalf("refused value gave %#v", got)
				}
				if view := commontest.Flat(m.View()); !strings.Contains(view, tt.wantErr) {
					t.Errorf("view does not show %q:\n%s", tt.wantErr, m.View())
				}
				return
			}
			chosen, ok := got.(editvalue.Chosen)
			if !ok {
				t.Fatalf("got %#v, want Chosen", got)
			}
			if chosen.Days != tt.wantDays || len(chosen.Keys) != 1 || chosen.Keys[0].ID != "key-1" {
				t.Errorf("got %+v days for %v, want %d", chosen.Days, chosen.Keys, tt.wantDays)
			}
		})
	}
}

// TestLiveValidation checks the line under the input while typing, before
// any enter.
func TestLiveValidation(t *testing.T) {
	tests := []struct {
		name  string
		limit int
		input string
		want  string
		isErr bool
	}{
		{"preview", 90, "30d", "expires 2026-12-26 15:00 (in 30d)", false},
		{"past limit", 90, "100d", "past the server's limit of 90 days", true},
		{"half typed", 90, "30", "missing unit", true},
		{"never", 0, "never", "the key will never expire", false},
		{"never under a limit", 90, "never", "the key will never expire", false},
		{"nothing typed yet", 90, "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := editvalue.NewExpiry(commontest.Common(), testKey(), tt.limit)
			if tt.input != "" {
				commontest.Send(m, tt.input)
			}
			if (m.Err() != nil) != tt.isErr {
				t.Errorf("Err() = %v, want error %v", m.Err(), tt.isErr)
			}
			if view := commontest.Flat(m.View()); tt.want != "" && !strings.Contains(view, tt.want) {
				t.Errorf("view lacks %q:\n%s", tt.want, m.View())
			}
		})
	}
}

func TestEscCancels(t *testing.T) {
	for _, m := range []*editvalue.Model{
		editvalue.NewExpiry(commontest.Common(), testKey(), 90),
		editvalue.NewInactivity(commontest.Common(), testKey()),
	} {
		if got := commontest.Press(m, "30d", "esc"); got != (common.Cancelled{}) {
			t.Errorf("esc did not cancel")
		}
	}
}

func TestCurrentValues(t *testing.T) {
	noExpiry := testKey()
	noExpiry.Expires = nil
	noExpiry.InactivityDays = model.Null[int]()
	tests := []struct {
		name string
		m    *editvalue.Model
		want []string
	}{
		{"expiry with limit", editvalue.NewExpiry(commontest.Common(), testKey(), 90),
			[]string{"ci-pipeline", "sk-…abcd", "Current expiry: 2026-12-16 15:00 (in 20d)", "Server limit: 90 days (latest 2027-02-24 15:00)"}},
		{"no expiry, no limit", editvalue.NewExpiry(commontest.Common(), noExpiry, 0),
			[]string{"Current expiry: never", "Server limit: none"}},
		{"inactivity", editvalue.NewInactivity(commontest.Common(), testKey()),
			[]string{"Current interval: 60 days"}},
		{"no inactivity", editvalue.NewInactivity(commontest.Common(), noExpiry),
			[]string{"Current interval: none"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			view := tt.m.View()
			for _, w := range tt.want {
				if !strings.Contains(view, w) {
					t.Errorf("view lacks %q:\n%s", w, view)
				}
			}
			if w := lipgloss.Width(view); w > 80 {
				t.Errorf("view is %d wide", w)
			}
		})
	}
}

func TestView(t *testing.T) {
	m := editvalue.NewExpiry(commontest.Common(), testKey(), 90)
	commontest.Send(m, "100d")
	golden.RequireEqual(t, []byte(m.View()))
}

func TestBulk(t *testing.T) {
	a, b := testKey(), testKey()
	b.ID, b.Name = "key-2", "laptop"
	keys := []model.APIKey{a, b}
	tests := []struct {
		name  string
		m     *editvalue.Model
		input string
		want  tea.Msg
	}{
		{"expiry", editvalue.NewBulkExpiry(commontest.Common(), keys, 90), "30d",
			editvalue.Chosen{Keys: keys, Expiry: model.Expiry{At: now.AddDate(0, 0, 30)}}},
		{"expiry past the limit refused", editvalue.NewBulkExpiry(commontest.Common(), keys, 90), "200d", nil},
		{"never under a limit", editvalue.NewBulkExpiry(commontest.Common(), keys, 90), "never",
			editvalue.Chosen{Keys: keys, Expiry: model.Expiry{Never: true}}},
		{"never without a limit", editvalue.NewBulkExpiry(commontest.Common(), keys, 0), "never",
			editvalue.Chosen{Keys: keys, Expiry: model.Expiry{Never: true}}},
		{"inactivity", editvalue.NewBulkInactivity(commontest.Common(), keys), "45", editvalue.Chosen{Keys: keys, Days: 45}},
		{"inactivity none", editvalue.NewBulkInactivity(commontest.Common(), keys), "none", editvalue.Chosen{Keys: keys, Days: 0}},
		{"inactivity nonsense", editvalue.NewBulkInactivity(commontest.Common(), keys), "soon", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := commontest.Words(tt.m.View())
			if !strings.Contains(v, "of 2 keys") || strings.Contains(v, "ci-pipeline") {
				t.Errorf("bulk dialog should name the count, not one key:\n%s", tt.m.View())
			}
			got := commontest.Press(tt.m, tt.input, "enter")
			if tt.want == nil {
				if got != nil || tt.m.Err() == nil {
					t.Errorf("accepted %q: %#v", tt.input, got)
				}
				return
			}
			w := tt.want.(editvalue.Chosen)
			g, ok := got.(editvalue.Chosen)
			if !ok || g.Expiry.Never != w.Expiry.Never || !g.Expiry.At.Equal(w.Expiry.At) || g.Days != w.Days ||
				len(g.Keys) != 2 || g.Keys[1].ID != "key-2" {
				t.Errorf("got %#v, want %#v", got, w)
			}
		})
	}
}
