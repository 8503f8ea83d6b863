package keytable

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"h2ogpte-keys/model"
)

// wireKeys are varied keys, with a repeated id (a page overlap), times in
// several zones and the optional fields in every spelling.
func wireKeys(t *testing.T) []model.APIKey {
	t.Helper()
	keys := genKeys(20_000, 11)
	for i := range 40 {
		var k model.APIKey
		offsets := []string{"+05:30", "-03:00", "Z", "+13:45"}
		body := fmt.Sprintf(`{"id":"z%d","username":"zoe","name":"Zoned %d","created_at":"2026-01-1%dT10:20:30.%09d%s",
			"expires_at":"2027-01-02T03:04:05%s","last_used_at":"2026-11-30T23:59:59%s","total_calls":%d}`,
			i, i, i%10, i*7919, offsets[i%4], offsets[(i+1)%4], offsets[(i+2)%4], i)
		if err := json.Unmarshal([]byte(body), &k); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		paris = time.FixedZone("CET", 3600)
	}
	for _, loc := range []*time.Location{time.Local, paris, time.FixedZone("UTC+2", 7200)} {
		e := time.Date(2031, 6, 7, 8, 9, 10, 11, loc)
		keys = append(keys, model.APIKey{ID: "at " + loc.String(), Name: "Ünïcode ✓", Created: time.Date(2020, 1, 1, 0, 0, 0, 0, loc), Expires: &e,
			LastUsed: model.Some(time.Date(2026, 12, 31, 23, 59, 59, 999999999, loc))})
	}
	long := model.APIKey{ID: "long", Name: string(bytes.Repeat([]byte("n"), textBlock+10))}
	repeat := keys[7]
	repeat.Name = "renamed while listed"
	return append(keys, long, repeat)
}

// sameKey compares two keys field by field, times by instant, printing and
// zone name (a zone taken over is the same zone, not the same pointer).
func sameKey(a, b model.APIKey) error {
	at := func(x time.Time) string {
		name, off := x.Zone()
		return fmt.Sprintf("%s %s %d %s", x.Format(time.RFC3339Nano), name, off, x.Location())
	}
	for _, p := range [][2]time.Time{{a.Created, b.Created}, {a.LastUsed.V, b.LastUsed.V}} {
		if at(p[0]) != at(p[1]) || !p[0].Equal(p[1]) {
			return fmt.Errorf("time %s, want %s", at(p[0]), at(p[1]))
		}
	}
	if (a.Expires == nil) != (b.Expires == nil) || a.Expires != nil && at(*a.Expires) != at(*b.Expires) {
		return fmt.Errorf("expiry %v, want %v", a.Expires, b.Expires)
	}
	a.Created, b.Created, a.LastUsed.V, b.LastUsed.V, a.Expires, b.Expires = time.Time{}, time.Time{}, time.Time{}, time.Time{}, nil, nil
	if !reflect.DeepEqual(a, b) {
		return fmt.Errorf("%+v\nwant\n%+v", a, b)
	}
	return nil
}

func buildFrom(keys []model.APIKey, pages int) *Builder {
	b := NewBuilder(now, len(keys))
	step := (len(keys) + pages - 1) / pages
	for i := 0; i < len(keys); i += step {
		r := FormatRows(keys[i:min(i+step, len(keys))], now)
		b.Add(&r)
	}
	return b
}

// A table written by one process and read by another holds the same keys
// in the same rows, with the same widths, name order and index, and
// prepares to the same view under a sort and a filter.
func TestBuilderWireRoundTrip(t *testing.T) {
	keys := wireKeys(t)
	for _, ranked := range []bool{false, true} {
		t.Run(fmt.Sprintf("ranked=%v", ranked), func(t *testing.T) {
			src := buildFrom(keys, 7)
			if ranked {
				src.Rank()
			}
			var buf bytes.Buffer
			n, err := src.WriteTo(&buf)
			if err != nil || n != int64(buf.Len()) {
				t.Fatalf("WriteTo: %d bytes (%d written), %v", n, buf.Len(), err)
			}
			got, err := ReadBuilder(bytes.NewReader(buf.Bytes()), now)
			if err != nil {
				t.Fatal(err)
			}
			if got.n != src.n || got.Len() != src.Len() || got.Len() != len(keys)-1 {
				t.Fatalf("read %d keys added, %d rows; wrote %d, %d (%d keys, one repeated)", got.n, got.Len(), src.n, src.Len(), len(keys))
			}
			for i := range src.Len() {
				if err := sameKey(got.d.key(int32(i)), src.d.key(int32(i))); err != nil {
					t.Fatalf("row %d: %v", i, err)
				}
				id := src.d.id(int32(i))
				if j, ok := got.d.find(id); !ok || j != int32(i) {
					t.Fatalf("id %q found at %d %v, want %d", id, j, ok, i)
				}
			}
			if !reflect.DeepEqual(got.d.widths, src.d.widths) {
				t.Errorf("widths %v, want %v", got.d.widths, src.d.widths)
			}
			if got.d.ranksValid != ranked {
				t.Errorf("name order taken over: %v, want %v", got.d.ranksValid, ranked)
			}
			if ranked && (!slices.Equal(got.d.byName, src.d.byName) || !slices.Equal(got.d.nameRank, src.d.nameRank) || !slices.Equal(got.d.foldRank, src.d.foldRank)) {
				t.Error("the name order differs")
			}
			// Under a sort and a filter, both prepare to the same view.
			views := make([][]string, 2)
			for j, b := range []*Builder{src, got} {
				m := newTable(200, 50)
				m.SortBy(ColName, true)
				m.SetFilter("ci")
				m.SetRows(m.PrepareBuilt(b)())
				views[j] = shownIDs(m)
			}
			if len(views[0]) == 0 || !slices.Equal(views[0], views[1]) {
				t.Errorf("views differ: %d rows and %d", len(views[0]), len(views[1]))
			}
			// The taken-over table takes a change as its own.
			k := keys[3]
			k.Name = "changed after"
			got.d.add(&k)
			if err := sameKey(got.d.key(3), k); err != nil {
				t.Errorf("a change after: %v", err)
			}
		})
	}
}

// A stream cut short anywhere, or with bytes changed, is an error or a
// table whose every key reads back: never a panic, then or later.
func TestReadBuilderRefusesBrokenStreams(t *testing.T) {
	src := buildFrom(genKeys(300, 5), 2)
	src.Rank()
	var buf bytes.Buffer
	if _, err := src.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	whole := buf.Bytes()
	for cut := 0; cut < len(whole); cut += 1 + cut/50 {
		if _, err := ReadBuilder(bytes.NewReader(whole[:cut]), now); !errors.Is(err, ErrWire) {
			t.Fatalf("cut at %d of %d: %v, want ErrWire", cut, len(whole), err)
		}
	}
	if _, err := ReadBuilder(bytes.NewReader(append(slices.Clone(whole), 0)), now); !errors.Is(err, ErrWire) {
		t.Errorf("a byte after the end: %v", err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 400 {
		b := slices.Clone(whole)
		for range 1 + r.IntN(3) {
			b[r.IntN(len(b))] ^= byte(1 + r.IntN(255))
		}
		got, err := ReadBuilder(bytes.NewReader(b), now)
		if err != nil {
			continue
		}
		for i := range got.Len() {
			_ = got.d.key(int32(i))
		}
		m := newTable(200, 50)
		m.SortBy(ColName, false)
		m.SetRows(m.PrepareBuilt(got)())
		_ = m.View()
	}
}
