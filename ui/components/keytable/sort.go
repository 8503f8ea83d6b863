package keytable

import (
	"cmp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"h2ogpte-keys/model"
)

// The table orders rows exactly as model.Compare orders their keys (the
// CLI's --sort): by the column, missing values last either way, ties by
// name (ignoring ASCII case), then name, then id, ascending always. It
// gets there without calling model.Compare per comparison, which would
// take far too long on a million keys:
//
//   - model.SortKey gives an order-preserving integer per key and column,
//     worked out as a sort starts (not kept per row: that would cost more
//     memory than the keys); equal keys that do not prove equal values
//     (long strings, far-off dates) are settled by model.CompareValues;
//   - the name tie-break, which decides most comparisons (a status column
//     has four values), is a rank: every row's position in name order,
//     worked out once per set of rows and kept until rows change.
//
// TestSortAgreesWithModel holds all of this to model.Compare.

// tableData is the rows and what is worked out from them: everything a
// load replaces, so that a whole new set can be built off the UI goroutine
// (Model.Prepare) and swapped in.
type tableData struct {
	all   store
	index rowIndex // row by key id
	// order is every row number in sort order (arrival order when
	// unsorted); view is order with the filter applied: what is shown.
	order, view []int32
	// asOf is when the rows are judged: the filters and the sort judge
	// statuses at the same instant the Status column shows.
	asOf time.Time
	// widths is the widest cell of each column.
	widths map[model.ColumnID]int
	// byName, nameRank and foldRank serve the sort; they are worked out
	// on the first sort after rows change.
	byName, nameRank, foldRank []int32
	ranksValid                 bool
	// partial marks a load's rows with more to come (PrepareAppend not
	// last): the name order waits for the rest (rankLater).
	partial bool
	// scratch, when set, lends a sort its working memory (the sorts of
	// key presses, off Update: see sortScratch).
	scratch *scratchCache
	// ownTail says the capacity past order's end is d's to fill: nothing
	// else holds order's array with the right to append to it. Readers of
	// order (the screen, a job) never look past its end, so appending
	// there changes nothing they see; two appenders would write the same
	// slots. A load's merge takes the right from the rows on screen
	// (PrepareAppend) to extend their arrival order instead of writing a
	// new one (a million keys' load merges about thirty times).
	ownTail bool
	// orderHanded says order's array went to a merge that extends it in
	// place (PrepareAppend): it may come back as the order of the merged
	// rows. loans, shared by every set whose order is that same array, is
	// set once a job that only filters borrows it (it reads it on while
	// newer sorts run). Either way the array is never handed to a sort to
	// write its result into (Model.spareOrder).
	orderHanded bool
	loans       *bool
	// indexHanded says the index went to a merge (PrepareAppend), which
	// adds to it: d gets an index of its own before it adds a row itself
	// or hands it to another merge (ownIndex), so an index never has two
	// writers.
	indexHanded bool
	// spare, in a job's snapshot, is an array no one else reads, for the
	// sort's result (sortAll).
	spare []int32
}

func newData(asOf time.Time) *tableData {
	return &tableData{index: newRowIndex(0), asOf: asOf, widths: map[model.ColumnID]int{}}
}

// settings is what decides order and view beyond the rows: the sort and
// the filters. Copied by value into work done off the UI goroutine.
type settings struct {
	col    model.SortColumn
	sorted bool
	desc   bool
	flt    model.Filter
	fltOn  bool
	text   string
	// usort, when sorting by a usage column, is its sort value, read
	// from usage. useChanged keeps only keys whose use changed in usage.
	usort      func(*model.KeyUsage) (float64, bool)
	usage      *Usage
	useChanged bool
}

// key is row i's key (a copy); id its id alone.
func (d *tableData) key(i int32) model.APIKey { return d.all.key(i) }

func (d *tableData) id(i int32) string { return d.all.id(i) }

// named is row i's key with its name and id alone: all the name order
// reads, without the cost of the whole key on a million rows.
func (d *tableData) named(i int32) model.APIKey {
	r := d.all.row(i)
	return model.APIKey{ID: d.all.rowID(r), Name: d.all.rowName(r)}
}

// add takes in a key; a key already present (pages can overlap when the
// server's list shifts while it is read) is replaced in place.
func (d *tableData) add(k *model.APIKey) (int32, bool) {
	i, isNew := d.index.add(k.ID, d.all.n, d.id)
	d.put(k, i, isNew)
	return i, isNew
}

// put stores k at row i, a new row when isNew, as the index says.
func (d *tableData) put(k *model.APIKey, i int32, isNew bool) {
	if isNew {
		d.all.push(k)
	} else {
		d.all.set(i, k)
	}
}

// indexBatch is how many keys a batch adds under one hold of the index's
// lock: taking it for each key cost a million-key load 0.15 s on the
// merging goroutine, and holding it for a whole merge step (a sixteenth
// of the table) would keep the screen's look-ups waiting for tens of
// milliseconds.
const indexBatch = 1024

// batch adds keys to d as add does, holding the index's lock for up to
// indexBatch keys at a time; done lets it go (and does nothing when it is
// not held, so a deferred done after the last one is safe).
type batch struct {
	d    *tableData
	held int
}

func (b *batch) add(k *model.APIKey) {
	d := b.d
	if b.held == 0 {
		d.index.mu.Lock()
	}
	i, isNew := d.index.addLocked(k.ID, d.all.n, d.id)
	d.put(k, i, isNew)
	if b.held++; b.held == indexBatch {
		b.done()
	}
}

func (b *batch) done() {
	if b.held > 0 {
		b.d.index.mu.Unlock()
		b.held = 0
	}
}

// ownIndex gives d an index of its own rows (see indexHanded): only a
// table whose merge was dropped and that then takes rows needs it.
func (d *tableData) ownIndex() {
	x := newRowIndex(d.all.n)
	for i := range d.all.n {
		x.x.Set(d.id(int32(i)), int32(i), d.id)
	}
	d.index, d.indexHanded = x, false
}

// find is the row of the key with this id.
func (d *tableData) find(id string) (int32, bool) { return d.index.find(id, d.all.n, d.id) }

func (d *tableData) widen(w map[model.ColumnID]int) {
	for id, x := range w {
		d.widths[id] = max(d.widths[id], x)
	}
}

// nameEntry is what the name sort moves: the folded name's first 16 bytes
// (key, key2), the id's first 8, and how far those go.
type nameEntry struct {
	key, key2, id uint64
	row           int32
	flags         uint8
}

// Flags of the name and id keys.
const (
	// nameFits: the folded name is the 16 bytes of its keys, whole.
	nameFits uint8 = 1 << iota
	// nameCaps: the name has ASCII capitals.
	nameCaps
	// idFits: the id is the 8 bytes of idKey, whole.
	idFits
)

func newNameEntry(name, id string, row int32) nameEntry {
	e := nameEntry{row: row}
	e.key, _ = model.StringKey(name, true)
	if len(name) > 8 {
		e.key2, _ = model.StringKey(name[8:], true)
	}
	if len(name) <= 16 && strings.IndexByte(name, 0) < 0 {
		e.flags |= nameFits
	}
	for i := 0; i < len(name); i++ {
		if 'A' <= name[i] && name[i] <= 'Z' {
			e.flags |= nameCaps
			break
		}
	}
	var exact bool
	if e.id, exact = model.StringKey(id, false); exact {
		e.flags |= idFits
	}
	return e
}

// ensureRanks works out byName (rows in model.Compare's name order: folded
// name, name, id), nameRank (each row's place in it) and foldRank (the
// same, but equal for names equal ignoring ASCII case), unless current.
func (d *tableData) ensureRanks() {
	n := d.all.n
	if d.ranksValid && len(d.nameRank) == n {
		return
	}
	// The first 16 bytes of the folded names order most of them: a stable
	// radix sort by bytes 8-15, then by bytes 0-7. Each run of equal
	// prefixes is then ordered by what is left: the rest of a longer
	// name, the name itself where case differs, the id. The keys carry all
	// of that for the usual names and ids, so the strings are read only
	// for the rare rest.
	es := make([]nameEntry, n)
	for i := range es {
		r := d.all.row(int32(i))
		es[i] = newNameEntry(d.all.rowName(r), d.all.rowID(r), int32(i))
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
					return d.compareNames(a.row, b.row)
				}
				// Same folded name, no capitals: the ids decide.
				if a.id != b.id || a.flags&b.flags&idFits != 0 {
					return cmp.Compare(a.id, b.id)
				}
				return strings.Compare(d.id(a.row), d.id(b.row))
			})
		}
		start = end
	}
	// New slices, never the old ones refilled: a sort running off Update
	// (Work) may still read them.
	d.byName, d.nameRank, d.foldRank = make([]int32, n), make([]int32, n), make([]int32, n)
	fold := int32(0)
	for pos := range es {
		e := &es[pos]
		if pos > 0 {
			prev := &es[pos-1]
			same := samePrefix(prev, e)
			if same && (!fits(prev) || !fits(e)) {
				pk, ek := d.named(prev.row), d.named(e.row)
				same = model.CompareValues(&pk, &ek, model.SortName, d.asOf) == 0
			}
			if !same {
				fold++
			}
		}
		d.byName[pos], d.nameRank[e.row], d.foldRank[e.row] = e.row, int32(pos), fold
	}
	d.ranksValid = true
}

// compareNames is model.Compare's tie-break: folded name, name, id.
func (d *tableData) compareNames(i, j int32) int {
	a, b := d.named(i), d.named(j)
	if c := model.CompareValues(&a, &b, model.SortName, d.asOf); c != 0 {
		return c
	}
	if c := strings.Compare(a.Name, b.Name); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

// compareRows is the whole order for two rows without the ranks (which
// rows still arriving do not have yet): used to merge pages into the order.
func (d *tableData) compareRows(i, j int32, s *settings) int {
	col, desc := s.col, s.desc
	a, aExp, aHas := d.all.keyOf(d.all.row(i))
	if aHas {
		a.Expires = &aExp
	}
	b, bExp, bHas := d.all.keyOf(d.all.row(j))
	if bHas {
		b.Expires = &bExp
	}
	ak, aexact, aok := d.sortKey(&a, s)
	bk, bexact, bok := d.sortKey(&b, s)
	switch {
	case !aok && bok:
		return 1
	case !bok && aok:
		return -1
	case aok:
		c := cmp.Compare(ak, bk)
		if c == 0 && !(aexact && bexact) {
			c = model.CompareValues(&a, &b, col, d.asOf)
		}
		if desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return d.compareNames(i, j)
}

// sortKey is k's key for s's sort column: the model's (model.SortKey),
// or a usage column's.
func (d *tableData) sortKey(k *model.APIKey, s *settings) (uint64, bool, bool) {
	if s.usort != nil {
		return usageKey(k, s)
	}
	return model.SortKey(k, s.col, d.asOf)
}

// sortEntry is what a full sort moves: a row and its key for the sort
// column, in one small, contiguous slice.
type sortEntry struct {
	key   uint64
	row   int32
	exact bool
}

// sortAll returns every row in s's order. Rows start in name order (the
// tie-break) and a stable radix sort orders them by the column's key,
// missing values last; the rare runs of equal keys that do not prove
// equal values are then settled by model.CompareValues.
func (d *tableData) sortAll(s settings) []int32 {
	col, desc := s.col, s.desc
	d.ensureRanks()
	buf := d.scratch.get(d.all.n)
	defer d.scratch.put(buf)
	byRow, other, missingFlag := buf.a, buf.b, buf.missing
	var dense []int32
	switch {
	case s.usort != nil: // a usage column: its own keys
	case col == model.SortName:
		dense = d.foldRank
	case col == model.SortUser, col == model.SortCollection:
		if len(buf.ranks) != d.all.n {
			buf.ranks = make([]int32, d.all.n)
		}
		dense = d.denseRank(col, buf.ranks)
	}
	// Keys are worked out walking the rows in memory order, in parallel,
	// then gathered in name order: walking a million keys in name order
	// would miss the cache on nearly every one.
	// A usage column looks the key up by id; the others but the name read
	// no text (TestValuesOfSuffice).
	text := s.usort != nil || col == model.SortName
	parallel(d.all.n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			var e sortEntry
			if dense != nil {
				// Name, owner, collection: always present (model.SortKey),
				// and the rank is the key: the row need not be read.
				e = sortEntry{key: uint64(dense[i]), row: int32(i), exact: true}
			} else {
				var k model.APIKey
				var exp time.Time
				var hasExp bool
				if text {
					k, exp, hasExp = d.all.keyOf(d.all.row(int32(i)))
				} else {
					k, exp, hasExp = d.all.valuesOf(d.all.row(int32(i)))
				}
				if hasExp {
					k.Expires = &exp
				}
				key, exact, ok := d.sortKey(&k, &s)
				if !ok {
					missingFlag[i] = true
					continue
				}
				e = sortEntry{key: key, row: int32(i), exact: exact}
			}
			if desc {
				e.key = ^e.key
			}
			byRow[i] = e
		}
	})
	// Gathered in name order (reading byRow in that order misses the
	// cache on nearly every row), by parts of the name order at once: a
	// part's place follows from the present rows in the parts before it.
	parts := workersFor(d.all.n)
	ahead := make([]int, parts+1)
	parallelParts(d.all.n, parts, func(p, lo, hi int) {
		n := 0
		for _, i := range d.byName[lo:hi] {
			if !missingFlag[i] {
				n++
			}
		}
		ahead[p+1] = n
	})
	for p := 1; p < len(ahead); p++ {
		ahead[p] += ahead[p-1]
	}
	nPresent := ahead[len(ahead)-1]
	present := other[:nPresent]
	missing := make([]int32, d.all.n-nPresent)
	parallelParts(d.all.n, parts, func(p, lo, hi int) {
		at, gone := ahead[p], lo-ahead[p]
		for _, i := range d.byName[lo:hi] {
			if missingFlag[i] {
				missing[gone] = i
				gone++
				continue
			}
			present[at] = byRow[i]
			at++
		}
	})
	// byRow has been read: the radix sort's other buffer, not a third.
	present, _ = radixPass(present, byRow[:len(present)], func(e *sortEntry) uint64 { return e.key })
	fixRuns(present, func(a, b sortEntry) int {
		ak, aExp, aHas := d.all.keyOf(d.all.row(a.row))
		if aHas {
			ak.Expires = &aExp
		}
		bk, bExp, bHas := d.all.keyOf(d.all.row(b.row))
		if bHas {
			bk.Expires = &bExp
		}
		c := model.CompareValues(&ak, &bk, col, d.asOf)
		if desc {
			c = -c
		}
		if c != 0 {
			return c
		}
		return cmp.Compare(d.nameRank[a.row], d.nameRank[b.row])
	})
	out := d.newOrder()
	for _, e := range present {
		out = append(out, e.row)
	}
	return append(out, missing...)
}

// sortScratch is a sort's working memory: the radix sort's two buffers,
// the missing flags and, once sorted by owner or collection, the owner
// ranks: up to 37 bytes a row. The sorts of key presses borrow the last
// one's (scratchCache) rather than allocating afresh: memory the runtime
// has handed back to the system costs a page fault per 4 KB when touched
// again, and on a virtual machine that is dear. At a million rows, in the
// dashboard after a real load, writing the sort keys into fresh memory
// took 35-86 ms of a 65-270 ms sort, against about 5 ms warm.
type sortScratch struct {
	a, b    []sortEntry
	missing []bool
	ranks   []int32 // a sort by owner or collection: each row's rank
}

// scratchCache keeps the last sort's scratch (37 MB at a million rows)
// for the next. Safe for concurrent use: a superseded sort may still run
// when the next starts, and gets its own. A nil cache lends nothing.
type scratchCache struct {
	mu   sync.Mutex
	last *sortScratch
}

// get lends scratch for n rows: the last one when it is free and fits,
// else a new one. The flags come cleared; the buffers are written before
// they are read.
func (c *scratchCache) get(n int) *sortScratch {
	if c != nil {
		c.mu.Lock()
		s := c.last
		c.last = nil
		c.mu.Unlock()
		if s != nil && len(s.a) == n {
			clear(s.missing)
			return s
		}
	}
	return &sortScratch{a: make([]sortEntry, n), b: make([]sortEntry, n), missing: make([]bool, n)}
}

// warm readies the cache for a sort of n rows, off any key press: the
// first sort's working memory, made and written through at its first key
// press, took 150 of a 240 ms sort of a million rows (fresh memory costs
// a page fault per 4 KB at first write, and the runtime does not write a
// large allocation the system has just handed over).
func (c *scratchCache) warm(n int) {
	c.mu.Lock()
	ready := c.last != nil && len(c.last.a) == n
	c.mu.Unlock()
	if ready {
		return
	}
	s := c.get(n)
	clear(s.a)
	clear(s.b)
	clear(s.missing)
	if s.ranks != nil {
		clear(s.ranks)
	}
	c.put(s)
}

// put takes s back once the sort no longer reads it.
func (c *scratchCache) put(s *sortScratch) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.last = s
}

// radixPass sorts es by key(e), stably (least significant byte first),
// using tmp as the other buffer and skipping bytes on which every key
// agrees. It returns the sorted slice and the spare buffer.
func radixPass[E any](es, tmp []E, key func(*E) uint64) (sorted, spare []E) {
	if len(es) < 2 {
		return es, tmp
	}
	// Every byte's counts in one read of es, not one read a byte.
	var counts [8][256]int
	for i := range es {
		k := key(&es[i])
		for b := range counts {
			counts[b][byte(k>>(8*b))]++
		}
	}
	first := key(&es[0])
	for b := range counts {
		count := &counts[b]
		shift := 8 * b
		if count[byte(first>>shift)] == len(es) {
			continue
		}
		pos := 0
		for v := range count {
			c := count[v]
			count[v] = pos
			pos += c
		}
		for i := range es {
			v := byte(key(&es[i]) >> shift)
			tmp[count[v]] = es[i]
			count[v]++
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

// denseRank numbers the distinct values of a string column (users,
// collections) in model.Compare's order, values equal in that order
// numbered alike, so that a sort by them sorts integers. A row's owner and
// collection are a number in the store's list of them (ownerList):
// the values are ranked once per owner, and each row's rank is looked up
// by its owner's number (a map look-up per row took 40 ms at a million).
func (d *tableData) denseRank(col model.SortColumn, out []int32) []int32 {
	owners := d.all.ownerList
	keys := make([]model.APIKey, len(owners))
	for i, o := range owners {
		keys[i] = model.APIKey{Username: o.user, CollectionName: o.collName}
	}
	byValue := make([]int32, len(owners)) // owner numbers in the column's order
	for i := range byValue {
		byValue[i] = int32(i)
	}
	slices.SortFunc(byValue, func(a, b int32) int { return model.CompareValues(&keys[a], &keys[b], col, d.asOf) })
	rank := make([]int32, len(owners)) // by owner number
	r := int32(0)
	for i, num := range byValue {
		if i > 0 && model.CompareValues(&keys[byValue[i-1]], &keys[num], col, d.asOf) != 0 {
			r++
		}
		rank[num] = r
	}
	parallel(d.all.n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			out[i] = rank[d.all.row(int32(i)).owner]
		}
	})
	return out
}

// merge merges the sorted list b (a few new rows) into the sorted list a
// (all rows so far): each of b is placed by binary search, and a is copied
// across in runs, so a page costs |b|·log|a| comparisons and one copy.
func (d *tableData) merge(a, b []int32, s settings) []int32 {
	if len(b) == 0 {
		return a
	}
	if !s.sorted {
		return append(a, b...)
	}
	out := make([]int32, 0, len(a)+len(b))
	from := 0
	for _, x := range b {
		rest := a[from:]
		at := from + sort.Search(len(rest), func(k int) bool {
			return d.compareRows(rest[k], x, &s) > 0
		})
		out = append(out, a[from:at]...)
		out = append(out, x)
		from = at
	}
	return append(out, a[from:]...)
}

// resort rebuilds the order for s.
func (d *tableData) resort(s settings) {
	if s.sorted {
		d.order, d.ownTail = d.sortAll(s), false
		return
	}
	d.order = d.newOrder()
	for i := range d.all.n {
		d.order = append(d.order, int32(i))
	}
	d.ownTail = true
}

// newOrder is an empty order with room for every row: the order the last
// sort replaced, when d has it (spare), else new. 4 MB of fresh memory at
// a million rows is a page fault every 1,000 rows.
func (d *tableData) newOrder() []int32 {
	out := d.spare[:0]
	d.spare = nil
	if cap(out) < d.all.n {
		out = make([]int32, 0, d.all.n)
	}
	return out
}

// lendOrder marks order's array as read by a job that only filters, for
// every set that holds it.
func (d *tableData) lendOrder() {
	if d.loans == nil {
		d.loans = new(bool)
	}
	*d.loans = true
}

// orderFree reports whether nothing but d may read order's array.
func (d *tableData) orderFree() bool {
	return !d.orderHanded && (d.loans == nil || !*d.loans)
}

// appendOrder appends rows to the order, in place when the tail is d's.
func (d *tableData) appendOrder(rows ...int32) {
	if !d.ownTail {
		d.order = slices.Clip(d.order) // append below copies it
		d.ownTail = true
	}
	d.order = append(d.order, rows...)
}

// matches reports whether row i passes s's filters (model.Filter.Match
// itself: no second copy of the rules to keep in step).
func (d *tableData) matches(i int32, s *settings) bool {
	if !s.fltOn {
		return true
	}
	// Only the text filter reads names, and only the use-changed filter ids.
	var k model.APIKey
	var exp time.Time
	var hasExp bool
	if s.text != "" || s.useChanged {
		k, exp, hasExp = d.all.keyOf(d.all.row(i))
	} else {
		k, exp, hasExp = d.all.valuesOf(d.all.row(i))
	}
	if hasExp {
		k.Expires = &exp
	}
	if s.useChanged {
		if u := s.usage.of(k.ID); u == nil || !u.Changed() {
			return false
		}
	}
	return s.flt.Match(&k, d.asOf, s.text)
}

// refilter rebuilds the view from the order for s, matching in parallel
// (model.Filter.Match costs about 100 ns a key: a second core halves a
// million keys' wait).
func (d *tableData) refilter(s settings) {
	if !s.fltOn {
		d.view = d.order
		return
	}
	keep := make([]bool, len(d.order))
	parallel(len(d.order), func(lo, hi int) {
		for p := lo; p < hi; p++ {
			keep[p] = d.matches(d.order[p], &s)
		}
	})
	view := make([]int32, 0, len(d.view))
	for p, i := range d.order {
		if keep[p] {
			view = append(view, i)
		}
	}
	d.view = view
}

// parallel runs fn over [0, n) split among the CPUs; small n runs inline.
func parallel(n int, fn func(lo, hi int)) {
	parallelParts(n, workersFor(n), func(_, lo, hi int) { fn(lo, hi) })
}

// workersFor is how many parts parallel cuts n rows into: it reads
// GOMAXPROCS, which the runtime may change at any time (a container's
// CPU limit changed), so work cut twice must ask once.
func workersFor(n int) int { return max(1, min(runtime.GOMAXPROCS(0), n/50_000)) }

// parallelParts is parallel in the given number of parts, telling fn
// which part (0 to workers-1) it has: the same n and workers always cut
// the same way.
func parallelParts(n, workers int, fn func(part, lo, hi int)) {
	if workers <= 1 {
		fn(0, 0, n)
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := n*w/workers, n*(w+1)/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(w, lo, hi)
		}()
	}
	wg.Wait()
}
