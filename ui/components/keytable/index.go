package keytable

import (
	"sync"

	"h2ogpte-keys/model"
)

// rowIndex finds a row by its key's id. One index serves every set of
// rows a load builds: a merge (Model.PrepareAppend) adds the new keys to
// the index of the rows on screen instead of copying it first (a copy
// cost a million keys' load 90 ms and fresh memory at every merge, so
// merges had to be few and the last one large). The sharing is safe
// because of how a load's sets grow:
//
//   - rows are only added, at the end: a set's rows are a prefix of the
//     next set's, and an id's entry, once made, is never changed (a key
//     listed again replaces its row in place, under the same entry);
//   - each set looks only at its own rows: an entry for a row at or past
//     its n is not its, and is not found (find);
//   - the lock keeps the screen's lookups apart from the merge's inserts,
//     which run on another goroutine.
//
// A whole new set (a refresh, another user) gets a new index, and so does
// a set that takes rows itself after its index went to a merge (dropped,
// with its load): an index has one writer at a time (tableData.indexHanded).
type rowIndex struct {
	mu *sync.RWMutex
	x  model.IDIndex
}

func newRowIndex(n int) rowIndex {
	return rowIndex{mu: new(sync.RWMutex), x: model.NewIDIndex(n)}
}

// find is the row of id among the n rows of a set whose ids idAt gives.
func (r rowIndex) find(id string, n int, idAt func(int32) string) (int32, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	i, ok := r.x.Find(id, visible(n, idAt))
	return i, ok && int(i) < n
}

// add is find, and when id is not found, records it at row n, the next
// row of a set of n rows: it returns id's row and false, or n and true.
// An entry of a row past the n is not the set's and is taken over. (One
// writer at a time adds to an index, each set's rows a prefix of the
// next's, so such an entry should not be met: this is a guard.)
func (r rowIndex) add(id string, n int, idAt func(int32) string) (int32, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.addLocked(id, n, idAt)
}

// addLocked is add for a caller holding the lock (tableData.batch).
func (r rowIndex) addLocked(id string, n int, idAt func(int32) string) (int32, bool) {
	vis := visible(n, idAt)
	at, isNew := r.x.Add(id, int32(n), vis)
	if !isNew && int(at) >= n {
		r.x.Set(id, int32(n), vis)
		return int32(n), true
	}
	return at, isNew
}

// visible is idAt for the rows of a set of n; a row past them (another
// set's, added since) has no id the set knows of.
func visible(n int, idAt func(int32) string) func(int32) string {
	return func(i int32) string {
		if int(i) >= n {
			return ""
		}
		return idAt(i)
	}
}
