package model

import "hash/maphash"

// IDIndex finds an item's place (in a table of keys, a store's states) by
// its id, for a million items at once. Each entry is 8 bytes: 31 bits of
// the id's hash (its fingerprint) and the place. The rare id whose
// fingerprint another id already has is kept by id. A fingerprint alone
// never decides: Find compares the id at the place it points to, which
// the caller looks up (idAt). The zero value is not ready: use NewIDIndex.
// Copies of an IDIndex share their entries, as copies of a map do.
//
// Why not Go's map of hash to place, which this was: a merge adds each
// key once (is it there? if not, put it), and the map looked it up twice,
// each a miss in a table of a million (about 38 MB, 16-byte slots): 0.45 s
// of CPU in a million-key load, the most of anything after decoding. Here
// a key costs one probe in a table of 16 MB. The entries are spread over
// 256 tables by the fingerprint's bits, each growing on its own, so no
// growth allocates more than 64 KB at a million ids, never one array
// twice the size of all (which is what made github.com/kamstrup/intmap,
// tried in an earlier session, no faster in a real load). Growing is
// still about half of what the index costs a million-key load: the
// reinserted entries land in fresh memory.
type IDIndex struct{ t *idTable }

type idTable struct {
	hash   func(string) uint64
	shards [idShards]idShard
	clash  map[string]int32
	// size is each table's first size; the tables are made at the first
	// id set (a table that is made and dropped unused costs nothing).
	size int
}

// idShards is how many tables the entries are spread over (the
// fingerprint's idShardBits bits below its top bit choose one).
const (
	idShardBits = 8
	idShards    = 1 << idShardBits
)

// idShard is an open-addressing table with linear probing. An entry is
// fingerprint<<32 | place; a fingerprint's top bit is always set, so 0 is
// an empty slot whatever the place. Entries are never removed. It grows at
// three quarters full.
type idShard struct {
	slots []uint64
	n     int
}

// NewIDIndex returns an empty index sized for n ids.
func NewIDIndex(n int) IDIndex {
	seed := maphash.MakeSeed()
	return newIDIndex(func(id string) uint64 { return maphash.String(seed, id) }, n)
}

func newIDIndex(hash func(string) uint64, n int) IDIndex {
	t := &idTable{hash: hash, clash: map[string]int32{}, size: 8}
	for t.size*3/4 < n/idShards+1 {
		t.size *= 2
	}
	return IDIndex{t}
}

// fingerprint folds id's 64-bit hash to 31 bits, and sets the top bit.
func (t *idTable) fingerprint(id string) uint32 {
	h := t.hash(id)
	return uint32(h^h>>32) | 1<<31
}

// probe finds fp's slot in its table: the slot holding it (found), or the
// empty slot where it would go (-1 before the tables are made).
func (t *idTable) probe(fp uint32) (s *idShard, slot int, found bool) {
	s = &t.shards[fp>>(31-idShardBits)&(idShards-1)]
	if len(s.slots) == 0 {
		return s, -1, false
	}
	mask := len(s.slots) - 1
	for i := int(fp) & mask; ; i = (i + 1) & mask {
		switch e := s.slots[i]; {
		case e == 0:
			return s, i, false
		case uint32(e>>32) == fp:
			return s, i, true
		}
	}
}

func entry(fp uint32, place int32) uint64 { return uint64(fp)<<32 | uint64(uint32(place)) }

func placeOf(e uint64) int32 { return int32(uint32(e)) }

// put fills the empty slot probe found for fp.
func (t *idTable) put(s *idShard, slot int, fp uint32, place int32) {
	if slot < 0 {
		t.make()
		s, slot, _ = t.probe(fp)
	}
	s.put(slot, fp, place)
}

// make makes every table, from one allocation.
func (t *idTable) make() {
	all := make([]uint64, idShards*t.size)
	for i := range t.shards {
		t.shards[i].slots = all[i*t.size : (i+1)*t.size : (i+1)*t.size]
	}
}

func (s *idShard) put(slot int, fp uint32, place int32) {
	s.slots[slot] = entry(fp, place)
	s.n++
	if s.n > len(s.slots)*3/4 {
		s.grow()
	}
}

func (s *idShard) grow() {
	old := s.slots
	s.slots = make([]uint64, 2*len(old))
	mask := len(s.slots) - 1
	for _, e := range old {
		if e == 0 {
			continue
		}
		i := int(uint32(e>>32)) & mask
		for s.slots[i] != 0 {
			i = (i + 1) & mask
		}
		s.slots[i] = e
	}
}

// Find returns the place of id; idAt(i) is the id at place i.
func (x IDIndex) Find(id string, idAt func(int32) string) (int32, bool) {
	s, slot, found := x.t.probe(x.t.fingerprint(id))
	if !found {
		return 0, false
	}
	if i := placeOf(s.slots[slot]); idAt(i) == id {
		return i, true
	}
	i, ok := x.t.clash[id]
	return i, ok
}

// Set records that id is at place i: a new id, or one moved.
func (x IDIndex) Set(id string, i int32, idAt func(int32) string) {
	fp := x.t.fingerprint(id)
	s, slot, found := x.t.probe(fp)
	switch {
	case !found:
		x.t.put(s, slot, fp, i)
	case idAt(placeOf(s.slots[slot])) == id:
		s.slots[slot] = entry(fp, i)
	default:
		x.t.clash[id] = i
	}
}

// Add is Find, and Set(id, i) when id is not found, in one probe: it
// returns id's place and false, or i and true when id was new.
func (x IDIndex) Add(id string, i int32, idAt func(int32) string) (int32, bool) {
	fp := x.t.fingerprint(id)
	s, slot, found := x.t.probe(fp)
	if !found {
		x.t.put(s, slot, fp, i)
		return i, true
	}
	if j := placeOf(s.slots[slot]); idAt(j) == id {
		return j, false
	}
	if j, ok := x.t.clash[id]; ok {
		return j, false
	}
	x.t.clash[id] = i
	return i, true
}
