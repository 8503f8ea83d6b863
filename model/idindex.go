package model

import "hash/maphash"

// IDIndex finds an item's place (in a table of keys, a store's states) by
// its id, for a million items at once: a 64-bit hash of each id maps to its
// place (about 38 bytes an item in Go's map at a million, and nothing for
// the collector to scan, against about 56 bytes and a pointer an item in a
// map by id string), and the rare id
// whose hash another id already has is kept by id. A hash alone never
// decides: Find compares the id at the place it points to, which the
// caller looks up (idAt). The zero value is not ready: use NewIDIndex.
//
// (An open-addressing map, github.com/kamstrup/intmap, filled a million
// ids in two thirds of the time in a benchmark, but cost more in a real
// load: it grows by allocating one array twice the size, fresh memory
// from the system, which this project's 2-core VM hands over at about
// 300 MB/s; Go's map grows in small tables the collector's freed memory
// serves.)
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

// Add is Find, and Set(id, i) when id is not found, hashing id once: it
// returns id's place and false, or i and true when id was new.
func (x IDIndex) Add(id string, i int32, idAt func(int32) string) (int32, bool) {
	h := x.hash(id)
	j, taken := x.byHash[h]
	switch {
	case !taken:
		x.byHash[h] = i
		return i, true
	case idAt(j) == id:
		return j, false
	}
	if j, ok := x.clash[id]; ok {
		return j, false
	}
	x.clash[id] = i
	return i, true
}
