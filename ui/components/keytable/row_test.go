package keytable

import (
	"reflect"
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
	// Keys of one owner and collection share one ownerInfo.
	owners := map[ownerInfo]*ownerInfo{}
	for i := range keys {
		r := s.row(int32(i))
		if p, ok := owners[*r.owner]; ok && p != r.owner {
			t.Fatalf("key %d: owner %+v held twice", i, *r.owner)
		}
		owners[*r.owner] = r.owner
	}
	if len(owners) >= len(keys)/2 {
		t.Errorf("%d owners for %d keys: not shared", len(owners), len(keys))
	}
	// Replacing a key keeps it exact too.
	s.set(3, &keys[len(keys)-3])
	if got := s.key(3); !reflect.DeepEqual(got, keys[len(keys)-3]) {
		t.Errorf("set: key came back as %+v", got)
	}
}
