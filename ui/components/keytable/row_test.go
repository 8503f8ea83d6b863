package keytable

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"h2ogpte-keys/model"
)

// A key comes back from the table's packed row exactly as it went in: every
// field, every spelling of an optional one, times with their zones.
func TestRowKeepsKeysExactly(t *testing.T) {
	zone := time.FixedZone("UTC+2", 2*60*60)
	exp := time.Date(2030, 1, 2, 3, 4, 5, 6, zone)
	keys := append(genKeys(500, 3),
		model.APIKey{},
		model.APIKey{ID: "a", Username: "u", Name: "n", Hint: "h", Created: time.Date(2025, 1, 1, 0, 0, 0, 7, zone), Expires: &exp,
			LastUsed: model.Opt[time.Time]{Reported: true}, InactivityDays: model.Opt[int]{Reported: true, Set: true, V: 1 << 40},
			TotalCalls: model.Opt[int64]{Reported: true, Set: true, V: -1}, IsActive: true, IsGlobal: true,
			CollectionName: "c", CollectionID: "cid"},
		model.APIKey{ID: "b", LastUsed: model.Some(exp), TotalCalls: model.Opt[int64]{Reported: true}},
		model.APIKey{ID: "c", InactivityDays: model.Opt[int]{Set: true, V: 3}, TotalCalls: model.Opt[int64]{Set: true, V: 9}},
	)
	var s store
	for i := range keys {
		s.push(&keys[i])
	}
	for i := range keys {
		if got := s.key(int32(i)); !reflect.DeepEqual(got, keys[i]) {
			t.Fatalf("key %d came back as\n%+v\nwant\n%+v", i, got, keys[i])
		}
		// The partial keys carry what their readers need.
		if u := s.row(int32(i)).usage(); model.UsageUnknown(u) != model.UsageUnknown(keys[i]) {
			t.Errorf("key %d: usage unknown %v from the row, %v from the key", i, model.UsageUnknown(u), model.UsageUnknown(keys[i]))
		}
		d := tableData{all: s}
		if n := d.named(int32(i)); n.Name != keys[i].Name || n.ID != keys[i].ID {
			t.Errorf("key %d: named %q %q", i, n.Name, n.ID)
		}
	}
	n := 0
	for k := range s.each {
		if !reflect.DeepEqual(*k, keys[n]) {
			t.Fatalf("each: key %d differs", n)
		}
		n++
	}
	if n != len(keys) {
		t.Fatalf("each yielded %d keys, want %d", n, len(keys))
	}
	// Keys of one owner and collection share one number.
	if len(s.ownerList) >= len(keys)/2 {
		t.Errorf("%d owners for %d keys: not shared", len(s.ownerList), len(keys))
	}
	for i, o := range s.ownerList {
		if n, ok := s.owners[o]; !ok || int(n) != i {
			t.Fatalf("owner %d %+v is not its own number in the map", i, o)
		}
	}
	// Replacing a key keeps it exact too.
	s.set(3, &keys[len(keys)-3])
	if got := s.key(3); !reflect.DeepEqual(got, keys[len(keys)-3]) {
		t.Errorf("set: key came back as %+v", got)
	}
}

// A row holds no pointer, so the collector neither scans the table's
// blocks of rows nor runs a write barrier for a row copied: this fails
// when a field with one (a string, a time.Time, a pointer) is added.
func TestRowHasNoPointers(t *testing.T) {
	var walk func(reflect.Type, string)
	walk = func(ty reflect.Type, path string) {
		switch ty.Kind() {
		case reflect.Struct:
			for i := range ty.NumField() {
				walk(ty.Field(i).Type, path+"."+ty.Field(i).Name)
			}
		case reflect.Array:
			walk(ty.Elem(), path+"[]")
		case reflect.Pointer, reflect.String, reflect.Slice, reflect.Map, reflect.Interface,
			reflect.Func, reflect.Chan, reflect.UnsafePointer:
			t.Errorf("row%s is a %s: the collector must scan every row", path, ty.Kind())
		}
	}
	walk(reflect.TypeFor[row](), "")
	if size := reflect.TypeFor[row]().Size(); size > 96 {
		t.Errorf("a row takes %d bytes, more than 96", size)
	}
}

// Times keep their zones through a row: times decoded from the API (UTC,
// the local zone, a fixed offset with no name: a new location each) and
// from Go code (a named zone), each exactly (reflect.DeepEqual) and
// printing the same. The unnamed offsets are numbered by offset, not one
// number a time.
func TestRowKeepsTimeZones(t *testing.T) {
	const n = 300
	keys := make([]model.APIKey, 0, n+3)
	for i := range n {
		var k model.APIKey
		// Offsets of whole hours, of odd minutes, and none ("Z").
		offsets := []string{"+05:30", "-03:00", "Z", "+00:00", "+13:45"}
		body := fmt.Sprintf(`{"id":"k%d","created_at":"2026-0%d-1%dT10:20:30.%09d%s","expires_at":"2027-01-02T03:04:05%s",
			"last_used_at":"2026-11-30T23:59:59%s","total_calls":1}`,
			i, 1+i%9, i%10, i*7919, offsets[i%5], offsets[(i+1)%5], offsets[(i+2)%5])
		if err := json.Unmarshal([]byte(body), &k); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		paris = time.FixedZone("CET", 3600) // no tz database here: a named zone still
	}
	for _, loc := range []*time.Location{time.Local, paris, time.FixedZone("UTC+2", 7200)} {
		e := time.Date(2031, 6, 7, 8, 9, 10, 11, loc)
		keys = append(keys, model.APIKey{ID: loc.String(), Created: time.Date(1, 1, 1, 0, 0, 0, 0, loc), Expires: &e,
			LastUsed: model.Some(time.Date(9999, 12, 31, 23, 59, 59, 999999999, loc))})
	}
	var s store
	for i := range keys {
		s.push(&keys[i])
	}
	before := len(*zones.list.Load())
	for i := range keys {
		got := s.key(int32(i))
		if !reflect.DeepEqual(got, keys[i]) {
			t.Fatalf("key %d came back as\n%+v\nwant\n%+v", i, got, keys[i])
		}
		for j, pair := range [][2]time.Time{{got.Created, keys[i].Created}, {*got.Expires, *keys[i].Expires}, {got.LastUsed.V, keys[i].LastUsed.V}} {
			if a, b := pair[0].Format(time.RFC3339Nano), pair[1].Format(time.RFC3339Nano); a != b {
				t.Errorf("key %d time %d prints %s, want %s", i, j, a, b)
			}
		}
	}
	// Pushing the same times again numbers no new zone.
	for i := range keys {
		s.push(&keys[i])
	}
	if after := len(*zones.list.Load()); after != before {
		t.Errorf("the same times again numbered %d zones more", after-before)
	}
	if before > 64 {
		t.Errorf("%d zones numbered for %d keys of five offsets and three named zones", before, len(keys))
	}
}

// Text is written only into a block the writing store made: a store and
// the one shared from it take keys at once, on two goroutines (-race), and
// each reads back its own keys and the ones they shared, exactly. Text
// longer than a block gets a block of its own.
func TestSharedStoresWriteTextApart(t *testing.T) {
	keys := genKeys(3000, 11)
	long := strings.Repeat("name that goes on ", textBlock/8)
	keys[2100].Name = long
	var a store
	for i := range keys[:1000] {
		a.push(&keys[i])
	}
	b := a.share()
	shared := a.row(999).block // the last block of text they share
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := range keys[1000:2000] {
			a.push(&keys[1000+i])
		}
	}()
	go func() {
		defer wg.Done()
		for i := range keys[2000:] {
			b.push(&keys[2000+i])
		}
	}()
	wg.Wait()
	check := func(name string, s *store, want []model.APIKey) {
		t.Helper()
		if s.n != len(want) {
			t.Fatalf("%s holds %d keys, want %d", name, s.n, len(want))
		}
		for i := range want {
			if got := s.key(int32(i)); !reflect.DeepEqual(got, want[i]) {
				t.Fatalf("%s: key %d came back as %+v, want %+v", name, i, got, want[i])
			}
		}
	}
	// Neither wrote into the block they shared: each began one of its own.
	for _, s := range []*store{&a, &b} {
		if s.row(1000).block <= shared {
			t.Errorf("a store wrote into the text block it shared (%d, shared up to %d)", s.row(1000).block, shared)
		}
	}
	check("the store", &a, keys[:2000])
	check("the shared store", &b, slices.Concat(keys[:1000], keys[2000:]))
	if got := b.key(1100).Name; got != long {
		t.Errorf("a name of %d bytes came back as %d bytes", len(long), len(got))
	}
}

// What a row gives without its text (store.valuesOf: no id, name or hint)
// is all that a sort by any column but the name, and every filter but the
// text, read: each decides as the whole key does. This fails when the
// model's rules start to read a field valuesOf leaves out.
func TestValuesOfSuffice(t *testing.T) {
	keys := genKeys(3000, 23)
	for i := range keys {
		switch i % 7 {
		case 0:
			keys[i].TotalCalls, keys[i].LastUsed = model.Opt[int64]{}, model.Opt[time.Time]{} // usage not reported
		case 1:
			keys[i].CollectionID = "" // a global key
		case 2:
			keys[i].InactivityDays = model.Some(1)
			keys[i].LastUsed = model.Some(ago(3 * day))
		}
	}
	var s store
	for i := range keys {
		s.push(&keys[i])
	}
	var filters []model.Filter
	for q := range NumQuick {
		filters = append(filters, q.Filter())
	}
	filters = append(filters, model.Filter{GlobalOnly: true}, model.Filter{NotWorking: true, UnusedFor: 10 * day},
		model.Filter{Statuses: []model.Status{model.StatusExpired, model.StatusIdle}, ExpiringWithin: 30 * day})
	for i := range keys {
		full := s.key(int32(i))
		part, exp, has := s.valuesOf(s.row(int32(i)))
		if has {
			part.Expires = &exp
		}
		if part.ID != "" || part.Name != "" || part.Hint != "" {
			t.Fatalf("key %d: valuesOf gave text %q %q %q", i, part.ID, part.Name, part.Hint)
		}
		for _, col := range model.SortColumns() {
			if col == model.SortName {
				continue // sorted by names (sortAll reads them)
			}
			fk, fe, fok := model.SortKey(&full, col, now)
			pk, pe, pok := model.SortKey(&part, col, now)
			if fk != pk || fe != pe || fok != pok {
				t.Fatalf("key %d, %s: sort key %v %v %v without text, %v %v %v with", i, col, pk, pe, pok, fk, fe, fok)
			}
		}
		for j, f := range filters {
			if f.Match(&part, now, "") != f.Match(&full, now, "") {
				t.Fatalf("key %d: filter %d (%+v) decides otherwise without text", i, j, f)
			}
		}
	}
}
