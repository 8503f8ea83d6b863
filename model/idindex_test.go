package model

import (
	"fmt"
	"math"
	"testing"
)

// The index finds every id at its place even when all ids share one hash,
// never takes a hash match alone for a find, and follows a moved id.
func TestIDIndex(t *testing.T) {
	for name, x := range map[string]IDIndex{
		"every id clashes": newIDIndex(func(string) uint64 { return 1 }, 0),
		"some clash":       newIDIndex(func(id string) uint64 { return uint64(len(id)) }, 0),
		"maphash":          NewIDIndex(0),
	} {
		var ids []string
		idAt := func(i int32) string { return ids[i] }
		for i := range 40 {
			id := fmt.Sprint("k", i*7)
			if _, ok := x.Find(id, idAt); ok {
				t.Fatalf("%s: %s found before it was set", name, id)
			}
			ids = append(ids, id)
			x.Set(id, int32(i), idAt)
		}
		for i, id := range ids {
			if j, ok := x.Find(id, idAt); !ok || j != int32(i) {
				t.Errorf("%s: Find(%s) = %d, %v; want %d", name, id, j, ok, i)
			}
		}
		for _, id := range []string{"k1", "k", "", "x0"} {
			if j, ok := x.Find(id, idAt); ok {
				t.Errorf("%s: Find(%q) = %d for an id never set", name, id, j)
			}
		}
		ids = append(ids, ids[3]) // the id at place 3 moves to the end
		x.Set(ids[3], int32(len(ids)-1), idAt)
		if j, _ := x.Find(ids[3], idAt); j != int32(len(ids)-1) {
			t.Errorf("%s: a moved id found at %d", name, j)
		}
	}
}

// Add finds an id that has a place and gives a new one the place offered,
// whatever the hashes clash with, exactly as Find then Set would.
func TestIDIndexAdd(t *testing.T) {
	for name, hash := range map[string]func(string) uint64{
		"every id clashes": func(string) uint64 { return 1 },
		"some clash":       func(id string) uint64 { return uint64(len(id)) },
		"zero hash":        func(string) uint64 { return 0 },
	} {
		x := newIDIndex(hash, 0)
		var ids []string
		idAt := func(i int32) string { return ids[i] }
		for i := range 60 {
			id := fmt.Sprint("k", i%40*7) // the last 20 are repeats
			at, isNew := x.Add(id, int32(len(ids)), idAt)
			want := int32(len(ids))
			if i >= 40 {
				want = int32(i % 40)
			}
			if at != want || isNew != (i < 40) {
				t.Fatalf("%s: Add(%s) = %d, %v; want %d, %v", name, id, at, isNew, want, i < 40)
			}
			if isNew {
				ids = append(ids, id)
			}
		}
		for i, id := range ids {
			if j, ok := x.Find(id, idAt); !ok || j != int32(i) {
				t.Errorf("%s: Find(%s) = %d, %v after Add; want %d", name, id, j, ok, i)
			}
		}
	}
}

// Tables grow as ids arrive, however unevenly the ids spread over them:
// every id is found at its place after many grows, ids never set are not,
// and a moved id is found where it went.
func TestIDIndexGrows(t *testing.T) {
	fnv := func(id string) uint64 {
		h := uint64(14695981039346656037)
		for i := 0; i < len(id); i++ {
			h = (h ^ uint64(id[i])) * 1099511628211
		}
		return h
	}
	for name, x := range map[string]IDIndex{
		"maphash":                        NewIDIndex(0),
		"maphash, sized":                 NewIDIndex(50_000),
		"all in one table":               newIDIndex(func(id string) uint64 { return fnv(id) & 0xffffff }, 0),
		"fingerprints shared by 16 ids":  newIDIndex(func(id string) uint64 { return fnv(id) &^ 0xf }, 0),
		"fingerprints 0 and the top bit": newIDIndex(func(id string) uint64 { return fnv(id) & 0x80000000 }, 0),
	} {
		var ids []string
		idAt := func(i int32) string { return ids[i] }
		for i := range 50_000 {
			id := fmt.Sprintf("%08x-key", i*2654435761)
			if at, isNew := x.Add(id, int32(i), idAt); !isNew || at != int32(i) {
				t.Fatalf("%s: Add(%s) = %d, %v; want %d, true", name, id, at, isNew, i)
			}
			ids = append(ids, id)
		}
		for i, id := range ids {
			if at, isNew := x.Add(id, -1, idAt); isNew || at != int32(i) {
				t.Fatalf("%s: Add(%s) again = %d, %v; want %d, false", name, id, at, isNew, i)
			}
		}
		if _, ok := x.Find("never-set", idAt); ok {
			t.Errorf("%s: an id never set is found", name)
		}
		ids = append(ids, ids[777])
		x.Set(ids[777], int32(len(ids)-1), idAt)
		if at, ok := x.Find(ids[777], idAt); !ok || at != int32(len(ids)-1) {
			t.Errorf("%s: a moved id found at %d, %v", name, at, ok)
		}
	}
}

// Any place an int32 holds is kept, whatever the fingerprint: a place of
// -1 under a fingerprint of all zero bits once read as an empty slot.
func TestIDIndexAnyPlace(t *testing.T) {
	for _, hash := range []func(string) uint64{
		func(string) uint64 { return 0 },
		func(id string) uint64 { return uint64(len(id)) << 3 },
	} {
		x := newIDIndex(hash, 0)
		ids := map[int32]string{-1: "a", 0: "bb", math.MinInt32: "ccc", math.MaxInt32: "dddd", -2: "eeeee"}
		idAt := func(i int32) string { return ids[i] }
		for _, place := range []int32{-1, 0, math.MinInt32, math.MaxInt32, -2} {
			if at, isNew := x.Add(ids[place], place, idAt); !isNew || at != place {
				t.Fatalf("Add(%s, %d) = %d, %v", ids[place], place, at, isNew)
			}
		}
		for place, id := range ids {
			if at, ok := x.Find(id, idAt); !ok || at != place {
				t.Errorf("Find(%s) = %d, %v; want %d", id, at, ok, place)
			}
		}
	}
}

// An index made and dropped unused (every merge of a load makes one)
// costs a few small allocations, not its tables.
func TestIDIndexEmptyIsCheap(t *testing.T) {
	allocs := testing.AllocsPerRun(20, func() {
		x := NewIDIndex(0)
		if _, ok := x.Find("k", func(int32) string { return "" }); ok {
			t.Fatal("found in an empty index")
		}
	})
	if allocs > 4 {
		t.Errorf("an empty index costs %v allocations", allocs)
	}
}

// BenchmarkIDIndexMillion fills an index with a million ids, each looked
// for first (as a load's merge does), and finds each once more.
func BenchmarkIDIndexMillion(b *testing.B) {
	ids := make([]string, 1_000_000)
	for i := range ids {
		ids[i] = fmt.Sprintf("%08x-%04x-4e1c-9a4f-%012x", i*2654435761, i%65536, i)
	}
	idAt := func(i int32) string { return ids[i] }
	for b.Loop() {
		x := NewIDIndex(0)
		for i, id := range ids {
			x.Add(id, int32(i), idAt)
		}
		for _, id := range ids {
			if _, ok := x.Find(id, idAt); !ok {
				b.Fatal(id, "not found")
			}
		}
	}
}
