package model

import (
	"hash/maphash"
	"maps"
)

// IDIndex finds an item's place (in a table of keys, a store's states) by
// its id, for a million items at once: a 64-bit hash of each id maps to its
// place (about 38 bytes an item in Go's map at a million, and nothing for
// the collector to scan, against about 56 bytes and a pointer an item in a
// map by id string), and the rare id
// whose hash another id already has is kept by id. A hash alone never
// decides: Find compares the id at the place it points to, which the
// caller looks up (idAt). The zero value is not ready: use NewIDIndex.
type IDIndex struct {
	hash   func(string) uint64
	byHash map[uint64]int32
	clash  map[string]int32
}

// NewIDIndex returns an empty index sized for n ids.
func NewIDIndex(n int) IDIndex {
	seed := maphash.MakeSeed()
	return newIDIndex(func(id string) uint64 { return maphash.String(seed, id) }, n)
}

func newIDIndex(hash func(string) uint64, n int) IDIndex {
	return IDIndex{hash: hash, byHash: make(map[uint64]int32, n), clash: map[string]int32{}}
}

// Find returns the place of id; idAt(i) is the id at place i.
func (x IDIndex) Find(id string, idAt func(int32) string) (int32, bool) {
	i, ok := x.byHash[x.hash(id)]
	if !ok {
		return 0, false
	}
	if idAt(i) == id {
		return i, true
	}
	i, ok = x.clash[id]
	return i, ok
}

// Set records that id is at place i: a new id, or one moved.
func (x IDIndex) Set(id string, i int32, idAt func(int32) string) {
	h := x.hash(id)
	if j, taken := x.byHash[h]; taken && idAt(j) != id {
		x.clash[id] = i
		return
	}
	x.byHash[h] = i
}

// Clone returns an index holding the same ids that changes apart from x.
func (x IDIndex) Clone() IDIndex {
	return IDIndex{hash: x.hash, byHash: maps.Clone(x.byHash), clash: maps.Clone(x.clash)}
}
