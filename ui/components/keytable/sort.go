package keytable

import (
	"cmp"
	"slices"
	"sort"
	"strings"

	"h2ogpte-keys/model"
)

// The table orders rows exactly as model.Compare orders their keys (the
// CLI's --sort): by the column, missing values last either way, ties by
// name (ignoring ASCII case), then name, then id, ascending always. It
// gets there without calling model.Compare per comparison, which would
// take far too long on 100,000 keys:
//
//   - each row keeps an order-preserving integer key per column (rows.go);
//     equal keys that do not prove equal values (long strings, far-off
//     dates) are settled by compareValues on the values themselves;
//   - the name tie-break, which decides most comparisons (a status column
//     has four values), is a rank: every row's position in name order,
//     worked out once per set of rows and kept until rows change.
//
// TestSortAgreesWithModel holds all of this to model.Compare.

// sortEntry is what a full sort moves: a row and its key for the sort
// column, copied out of the rows so that sorting 100,000 rows walks one
// small, contiguous slice.
type sortEntry struct {
	key   uint64
	row   int32
	exact bool
}

// nameEntry is what the name sort moves: the folded name's first 16 bytes
// (key, key2), the id's first 8, and how far those go.
type nameEntry struct {
	key, key2, id uint64
	row           int32
	flags         uint8
}

// ensureRanks works out byName (rows in model.Compare's name order: folded
// name, name, id), nameRank (each row's place in it) and foldRank (the
// same, but equal for names equal ignoring ASCII case), unless current.
func (m *Model) ensureRanks() {
	if m.ranksValid && len(m.nameRank) == len(m.all) {
		return
	}
	// The first 16 bytes of the folded names order most of them: a stable
	// radix sort by bytes 8-15, then by bytes 0-7. Each run of equal
	// prefixes is then ordered by what is left: the rest of a longer
	// name, the name itself where case differs, the id. The keys carry all
	// of that for the usual names and ids, so the strings (scattered over
	// the rows) are read only for the rare rest.
	es := make([]nameEntry, len(m.all))
	for i := range m.all {
		r := &m.all[i]
		es[i] = nameEntry{key: r.sortKey[model.SortName], key2: r.nameKey2, id: r.idKey, row: int32(i), flags: r.nameFlags}
	}
	tmp := make([]nameEntry, len(es))
	es, tmp = radixPass(es, tmp, func(e *nameEntry) uint64 { return e.key2 })
	es, _ = radixPass(es, tmp, func(e *nameEntry) uint64 { return e.key })
	fits := func(e *nameEntry) bool { return e.flags&nameFits != 0 }
	samePrefix := func(a, b *nameEntry) bool { return a.key == b.key && a.key2 == b.key2 }
	for start := 0; start < len(es); {
		end := start + 1
		for end < len(es) && samePrefix(&es[end], &es[start]) {
			end++
		}
		if end-start > 1 {
			slices.SortFunc(es[start:end], func(a, b nameEntry) int {
				if !fits(&a) || !fits(&b) || (a.flags|b.flags)&nameCaps != 0 {
					return m.compareNames(a.row, b.row)
				}
				// Same folded name, no capitals: the ids decide.
				if a.id != b.id || a.flags&b.flags&idFits != 0 {
					return cmp.Compare(a.id, b.id)
				}
				return strings.Compare(m.all[a.row].key.ID, m.all[b.row].key.ID)
			})
		}
		start = end
	}
	n := len(es)
	m.byName = slices.Grow(m.byName[:0], n)[:n]
	m.nameRank = slices.Grow(m.nameRank[:0], n)[:n]
	m.foldRank = slices.Grow(m.foldRank[:0], n)[:n]
	fold := int32(0)
	for pos := range es {
		e := &es[pos]
		if pos > 0 {
			prev := &es[pos-1]
			same := samePrefix(prev, e)
			if same && (!fits(prev) || !fits(e)) {
				same = m.all[prev.row].foldName == m.all[e.row].foldName
			}
			if !same {
				fold++
			}
		}
		m.byName[pos], m.nameRank[e.row], m.foldRank[e.row] = e.row, int32(pos), fold
	}
	m.ranksValid = true
}

// invalidateRanks marks the ranks stale: rows came or went.
func (m *Model) invalidateRanks() { m.ranksValid = false }

// compareNames is model.Compare's tie-break: folded name, name, id.
func (m *Model) compareNames(i, j int32) int {
	a, b := &m.all[i], &m.all[j]
	if ka, kb := a.sortKey[model.SortName], b.sortKey[model.SortName]; ka != kb {
		return cmp.Compare(ka, kb)
	}
	if c := strings.Compare(a.foldName, b.foldName); c != 0 {
		return c
	}
	if c := strings.Compare(a.key.Name, b.key.Name); c != 0 {
		return c
	}
	return strings.Compare(a.key.ID, b.key.ID)
}

// compareValues compares two present values of col exactly, for keys that
// tie without proving the values equal (model's compareBy, for the columns
// whose keys can be inexact: strings and times).
func (m *Model) compareValues(i, j int32, col model.SortColumn) int {
	a, b := &m.all[i].key, &m.all[j].key
	switch col {
	case model.SortName:
		return strings.Compare(m.all[i].foldName, m.all[j].foldName)
	case model.SortUser:
		return strings.Compare(a.Username, b.Username)
	case model.SortCollection:
		return strings.Compare(m.all[i].foldColl, m.all[j].foldColl)
	case model.SortCreated:
		return a.Created.Compare(b.Created)
	case model.SortExpires:
		return a.Expires.Compare(*b.Expires)
	case model.SortLastUsed:
		return a.LastUsed.V.Compare(b.LastUsed.V)
	case model.SortStopsAt:
		at, _ := a.StopsAtForSort()
		bt, _ := b.StopsAtForSort()
		return at.Compare(bt)
	}
	return 0 // integer columns: their keys are exact
}

// compareRows is the whole order for two rows without the ranks (which
// rows still arriving do not have yet): used to merge pages into the order.
func (m *Model) compareRows(i, j int32, col model.SortColumn, desc bool) int {
	a, b := &m.all[i], &m.all[j]
	am, bm := a.sortFlags[col]&keyMissing != 0, b.sortFlags[col]&keyMissing != 0
	switch {
	case am && !bm:
		return 1
	case bm && !am:
		return -1
	case !am:
		c := cmp.Compare(a.sortKey[col], b.sortKey[col])
		if c == 0 && a.sortFlags[col]&b.sortFlags[col]&keyExact == 0 {
			c = m.compareValues(i, j, col)
		}
		if desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return m.compareNames(i, j)
}

// sortAll rebuilds the order: every row by the current column. Rows start
// in name order (the tie-break) and a stable radix sort orders them by the
// column's key, missing values last; the rare runs of equal keys that do
// not prove equal values are then settled by compareValues.
func (m *Model) sortAll() []int32 {
	col, ok := m.sortCol.SortColumn()
	if !ok {
		return nil
	}
	m.ensureRanks()
	var dense []int32
	switch col {
	case model.SortName:
		dense = m.foldRank
	case model.SortUser, model.SortCollection:
		dense = m.denseRank(col)
	}
	desc := m.desc
	present := make([]sortEntry, 0, len(m.all))
	var missing []int32
	for _, i := range m.byName {
		r := &m.all[i]
		if r.sortFlags[col]&keyMissing != 0 {
			missing = append(missing, i)
			continue
		}
		e := sortEntry{key: r.sortKey[col], row: i, exact: r.sortFlags[col]&keyExact != 0}
		if dense != nil {
			e.key, e.exact = uint64(dense[i]), true
		}
		if desc {
			e.key = ^e.key
		}
		present = append(present, e)
	}
	present = radixSort(present)
	fixRuns(present, func(a, b sortEntry) int {
		c := m.compareValues(a.row, b.row, col)
		if desc {
			c = -c
		}
		if c != 0 {
			return c
		}
		return cmp.Compare(m.nameRank[a.row], m.nameRank[b.row])
	})
	out := make([]int32, 0, len(m.all))
	for _, e := range present {
		out = append(out, e.row)
	}
	return append(out, missing...)
}

// radixSort sorts es by key, stably.
func radixSort(es []sortEntry) []sortEntry {
	es, _ = radixPass(es, make([]sortEntry, len(es)), func(e *sortEntry) uint64 { return e.key })
	return es
}

// radixPass sorts es by key(e), stably (least significant byte first),
// using tmp as the other buffer and skipping bytes on which every key
// agrees. It returns the sorted slice and the spare buffer.
func radixPass[E any](es, tmp []E, key func(*E) uint64) (sorted, spare []E) {
	if len(es) < 2 {
		return es, tmp
	}
	for shift := 0; shift < 64; shift += 8 {
		var count [256]int
		for i := range es {
			count[byte(key(&es[i])>>shift)]++
		}
		if count[byte(key(&es[0])>>shift)] == len(es) {
			continue
		}
		pos := 0
		for b := range count {
			c := count[b]
			count[b] = pos
			pos += c
		}
		for i := range es {
			b := byte(key(&es[i]) >> shift)
			tmp[count[b]] = es[i]
			count[b]++
		}
		es, tmp = tmp, es
	}
	return es, tmp
}

// fixRuns sorts, with cmpFn, each run of equal keys that holds an inexact
// key: there the key alone could not tell the values apart.
func fixRuns(es []sortEntry, cmpFn func(a, b sortEntry) int) {
	for start := 0; start < len(es); {
		end, exact := start+1, es[start].exact
		for end < len(es) && es[end].key == es[start].key {
			exact = exact && es[end].exact
			end++
		}
		if end-start > 1 && !exact {
			slices.SortFunc(es[start:end], cmpFn)
		}
		start = end
	}
}

// denseRank numbers the distinct values of a string column in
// model.Compare's order (users byte-wise, collections ignoring ASCII
// case), so that a sort by them sorts integers.
func (m *Model) denseRank(col model.SortColumn) []int32 {
	value := func(r *row) string {
		if col == model.SortUser {
			return r.key.Username
		}
		return r.foldColl
	}
	rank := make(map[string]int32)
	var distinct []string
	for i := range m.all {
		v := value(&m.all[i])
		if _, ok := rank[v]; !ok {
			rank[v] = 0
			distinct = append(distinct, v)
		}
	}
	slices.Sort(distinct)
	for n, v := range distinct {
		rank[v] = int32(n)
	}
	out := make([]int32, len(m.all))
	for i := range m.all {
		out[i] = rank[value(&m.all[i])]
	}
	return out
}

// merge merges the sorted list b (a few new rows) into the sorted list a
// (all rows so far): each of b is placed by binary search, and a is copied
// across in runs, so a page costs |b|·log|a| comparisons, not |a|.
func (m *Model) merge(a, b []int32) []int32 {
	if len(b) == 0 {
		return a
	}
	col, ok := m.sortCol.SortColumn()
	if !ok {
		return append(a, b...)
	}
	out := make([]int32, 0, len(a)+len(b))
	from := 0
	for _, x := range b {
		rest := a[from:]
		at := from + sort.Search(len(rest), func(k int) bool {
			return m.compareRows(rest[k], x, col, m.desc) > 0
		})
		out = append(out, a[from:at]...)
		out = append(out, x)
		from = at
	}
	return append(out, a[from:]...)
}
