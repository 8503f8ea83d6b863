package model

import (
	"fmt"
	"testing"
)

// The index finds every id at its place even when all ids share one hash,
// never takes a hash match alone for a find, follows a moved id, and a
// clone changes apart from its original.
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
		c := x.Clone()
		ids = append(ids, ids[3]) // the id at place 3 moves to the end
		c.Set(ids[3], int32(len(ids)-1), idAt)
		c.Set("new", int32(len(ids)), func(i int32) string { return append(ids, "new")[i] })
		if j, _ := c.Find(ids[3], idAt); j != int32(len(ids)-1) {
			t.Errorf("%s: a moved id found at %d", name, j)
		}
		if j, _ := x.Find(ids[3], idAt); j != 3 {
			t.Errorf("%s: the original followed its clone's move: %d", name, j)
		}
		if _, ok := x.Find("new", func(i int32) string { return append(ids, "new")[i] }); ok {
			t.Errorf("%s: the original has its clone's new id", name)
		}
	}
}
