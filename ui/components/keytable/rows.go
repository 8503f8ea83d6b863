package keytable

import (
	"maps"
	"math"
	"slices"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/charmbracelet/x/ansi"

	"h2ogpte-keys/model"
)

// Column names one of the dashboard's columns: a model.ColumnID. The
// columns themselves, their titles, widths, order of giving way, sort and
// cell text, are model.Columns(): declared once, for the command line and
// the dashboard alike. The selection mark and the ⋯ actions cell are not
// columns: they are always there.
type Column model.ColumnID

// NoColumn is no column: the sort of arrival order.
const NoColumn Column = ""

// Names of the columns tests and the dashboard refer to.
const (
	ColName       = Column(model.ColName)
	ColUser       = Column(model.ColUser)
	ColSecret     = Column(model.ColSecret)
	ColCollection = Column(model.ColCollection)
	ColCreated    = Column(model.ColCreated)
	ColStatus     = Column(model.ColStatus)
	ColExpiry     = Column(model.ColExpires)
	ColInactivity = Column(model.ColInactivity)
	ColStops      = Column(model.ColStopsAt)
	ColLastUsed   = Column(model.ColLastUsed)
	ColCalls      = Column(model.ColCalls)
)

// Title is the column's short heading (model.Column.ShortTitle); where
// there is room the table shows the long one (Title).
func (c Column) Title() string {
	col, _ := model.ColumnByID(model.ColumnID(c))
	return col.ShortTitle
}

// SortColumn is the model's sort column for c; ok is false for a column
// that does not sort (the secret).
func (c Column) SortColumn() (model.SortColumn, bool) {
	col, ok := model.ColumnByID(model.ColumnID(c))
	return col.Sort, ok && col.Sortable
}

// chunkBits sizes the table's blocks of keys: appending a page never
// copies the keys already held (a slice of a million keys grown by append
// would copy hundreds of megabytes on the UI goroutine, and hold both
// copies at once).
const (
	chunkBits = 13
	chunkSize = 1 << chunkBits
)

// store holds keys in arrival order, in fixed-size blocks, each key as a
// row (packed: see row). A store built on another (Model.PrepareAppend)
// shares its blocks until it writes to one: then it copies that block
// first, so the table on screen never sees a write from the goroutine
// preparing its successor.
type store struct {
	chunks [][]row
	owned  []bool // chunks[i] may be written
	n      int
	// owners numbers the distinct owners and collections (a row's owner
	// is its number), and ownerList is each of them at its number: a sort
	// by owner ranks the few owners, then looks each row's rank up by
	// number. A shared store starts with both (share); ownersShared then
	// says the map is another store's too, and the first new owner copies
	// it (on the goroutine writing the store; a store only read, a job's
	// snapshot, never does), while ownerList is clipped, so an append
	// copies it.
	owners       map[ownerInfo]int32
	ownerList    []ownerInfo
	ownersShared bool
	// text holds the rows' ids, names and hints (row.block, row.at); the
	// last block is this store's to write from textUsed on only while
	// textOwned: sharing the store gives both stores up on it (addText).
	text      [][]byte
	textUsed  int
	textOwned bool
	// zone caches the last location stamped (stampOf).
	zone lastZone
}

func (s *store) row(i int32) *row { return &s.chunks[i>>chunkBits][i&(chunkSize-1)] }

// key is key i as the model's APIKey (a copy: the table keeps rows).
func (s *store) key(i int32) model.APIKey {
	k, exp, ok := s.keyOf(s.row(i))
	if ok {
		k.Expires = &exp
	}
	return k
}

// id is key i's id.
func (s *store) id(i int32) string { return s.rowID(s.row(i)) }

// own makes chunk c this store's to write.
func (s *store) own(c int) {
	if s.owned[c] {
		return
	}
	cp := make([]row, len(s.chunks[c]), chunkSize)
	copy(cp, s.chunks[c])
	s.chunks[c], s.owned[c] = cp, true
}

// set replaces key i.
func (s *store) set(i int32, k *model.APIKey) {
	s.own(int(i >> chunkBits))
	*s.row(i) = s.pack(k)
}

func (s *store) push(k *model.APIKey) int32 {
	if s.n&(chunkSize-1) == 0 {
		s.chunks = append(s.chunks, make([]row, 0, chunkSize))
		s.owned = append(s.owned, true)
	}
	last := len(s.chunks) - 1
	s.own(last)
	s.chunks[last] = append(s.chunks[last], s.pack(k))
	s.n++
	return int32(s.n - 1)
}

// share is a store reading s's blocks, writing none of them; s's owners
// become shared too (see store.owners).
func (s *store) share() store {
	s.ownersShared, s.textOwned = true, false
	return store{chunks: slices.Clone(s.chunks), owned: make([]bool, len(s.chunks)), n: s.n,
		owners: s.owners, ownerList: slices.Clip(s.ownerList), ownersShared: true, text: slices.Clip(s.text)}
}

// each yields every key in arrival order: a copy, in one variable reused
// for the next (one allocation a pass, not one a key), so a consumer must
// not keep the pointer (nor k.Expires).
func (s *store) each(yield func(*model.APIKey) bool) {
	left := s.n
	var k model.APIKey
	var exp time.Time
	var ok bool
	for _, c := range s.chunks {
		for i := range c[:min(len(c), left)] {
			if k, exp, ok = s.keyOf(&c[i]); ok {
				k.Expires = &exp
			}
			if !yield(&k) {
				return
			}
		}
		left -= min(len(c), left)
	}
}

// row is one key as the table holds it: model.APIKey's fields, packed,
// with no pointer in it, so that the collector neither scans a million
// rows nor runs a write barrier for each one copied (at a million keys
// the rows with pointers cost a load about half a second of marking and
// barriers). The id, name and hint are bytes in the store's text blocks;
// the owner and collection, the same for many keys, are a number in the
// store's ownerList; times are stamps; the optional numbers and the flags
// are bits. 96 bytes instead of APIKey's 208. A key comes back exactly as
// it went in (row_test.go), but for a time's monotonic clock reading, which
// times from a server never have.
type row struct {
	created, lastUsed, expires stamp
	calls, inactivity          int64
	// text is the key's id, name and hint, one after the other, from byte
	// at of the store's text block.
	block, at               uint32
	idLen, nameLen, hintLen uint32
	owner                   int32
	flags                   uint16
}

// ownerInfo is a key's owner and collection.
type ownerInfo struct{ user, collName, collID string }

// Flags of a row: model.APIKey's booleans and its optional fields' bits.
const (
	rowActive uint16 = 1 << iota
	rowGlobal
	rowUsedReported
	rowUsedSet
	rowIdleReported
	rowIdleSet
	rowCallsReported
	rowCallsSet
	rowExpires
)

// textBlock is the size of a store's blocks of text (a key's longer text
// gets a block of its own size).
const textBlock = 64 << 10

// addText copies strs into the store's text, one after the other, and
// returns where they start. It writes only into a block this store made
// since it was last shared (textOwned): a block another store reads is
// never written again, so neither is ever seen half-written.
func (s *store) addText(strs ...string) (block, at uint32) {
	need := 0
	for _, x := range strs {
		need += len(x)
	}
	if need == 0 {
		return 0, 0
	}
	if !s.textOwned || len(s.text[len(s.text)-1])-s.textUsed < need {
		s.text = append(s.text, make([]byte, max(textBlock, need)))
		s.textOwned, s.textUsed = true, 0
	}
	b := s.text[len(s.text)-1]
	start := s.textUsed
	for _, x := range strs {
		s.textUsed += copy(b[s.textUsed:], x)
	}
	return uint32(len(s.text) - 1), uint32(start)
}

// str is n bytes of text from byte at of block b, as a string that shares
// them: text once written is never written again (addText).
func (s *store) str(b, at, n uint32) string {
	if n == 0 {
		return ""
	}
	return unsafe.String(&s.text[b][at], int(n))
}

func (s *store) pack(k *model.APIKey) row {
	o := ownerInfo{user: k.Username, collName: k.CollectionName, collID: k.CollectionID}
	if s.owners == nil {
		s.owners = map[ownerInfo]int32{}
	}
	owner, ok := s.owners[o]
	if !ok {
		if s.ownersShared {
			s.owners, s.ownersShared = maps.Clone(s.owners), false
		}
		owner = int32(len(s.ownerList))
		s.owners[o] = owner
		s.ownerList = append(s.ownerList, o)
	}
	r := row{owner: owner, created: s.stampOf(k.Created), lastUsed: s.stampOf(k.LastUsed.V),
		calls: k.TotalCalls.V, inactivity: int64(k.InactivityDays.V),
		idLen: uint32(len(k.ID)), nameLen: uint32(len(k.Name)), hintLen: uint32(len(k.Hint))}
	r.block, r.at = s.addText(k.ID, k.Name, k.Hint)
	if k.Expires != nil {
		r.expires = s.stampOf(*k.Expires)
	}
	for _, f := range [...]struct {
		on  bool
		bit uint16
	}{{k.IsActive, rowActive}, {k.IsGlobal, rowGlobal},
		{k.LastUsed.Reported, rowUsedReported}, {k.LastUsed.Set, rowUsedSet},
		{k.InactivityDays.Reported, rowIdleReported}, {k.InactivityDays.Set, rowIdleSet},
		{k.TotalCalls.Reported, rowCallsReported}, {k.TotalCalls.Set, rowCallsSet},
		{k.Expires != nil, rowExpires}} {
		if f.on {
			r.flags |= f.bit
		}
	}
	return r
}

// usage is the key with its usage fields alone (model.UsageUnknown's).
func (r *row) usage() model.APIKey {
	f := r.flags
	return model.APIKey{
		LastUsed:   model.Opt[time.Time]{Reported: f&rowUsedReported != 0, Set: f&rowUsedSet != 0, V: r.lastUsed.time()},
		TotalCalls: model.Opt[int64]{Reported: f&rowCallsReported != 0, Set: f&rowCallsSet != 0, V: r.calls},
	}
}

// id is row r's id; name its name.
func (s *store) rowID(r *row) string   { return s.str(r.block, r.at, r.idLen) }
func (s *store) rowName(r *row) string { return s.str(r.block, r.at+r.idLen, r.nameLen) }

// keyOf is row r as the model's APIKey but for k.Expires, which it leaves
// nil: it returns the expiry instead, and whether there is one, for the
// caller to point k.Expires at a variable of its own (a pointer made here
// would be an allocation a row). It returns the key rather than write
// through a pointer, which would cost a write barrier a field while the
// collector runs.
func (s *store) keyOf(r *row) (k model.APIKey, exp time.Time, hasExp bool) {
	k, exp, hasExp = s.valuesOf(r)
	k.ID, k.Name, k.Hint = s.rowID(r), s.rowName(r), s.str(r.block, r.at+r.idLen+r.nameLen, r.hintLen)
	return k, exp, hasExp
}

// valuesOf is keyOf without the id, name and hint, which it leaves empty:
// all a sort by a column of times, numbers or status reads of a million
// rows, and all the filters but the text read (TestValuesOfSuffice). It
// is written out field by field.
func (s *store) valuesOf(r *row) (k model.APIKey, exp time.Time, hasExp bool) {
	f := r.flags
	o := &s.ownerList[r.owner]
	k = model.APIKey{
		Username: o.user, CollectionName: o.collName, CollectionID: o.collID,
		Created:        r.created.time(),
		LastUsed:       model.Opt[time.Time]{Reported: f&rowUsedReported != 0, Set: f&rowUsedSet != 0, V: r.lastUsed.time()},
		InactivityDays: model.Opt[int]{Reported: f&rowIdleReported != 0, Set: f&rowIdleSet != 0, V: int(r.inactivity)},
		TotalCalls:     model.Opt[int64]{Reported: f&rowCallsReported != 0, Set: f&rowCallsSet != 0, V: r.calls},
		IsActive:       f&rowActive != 0, IsGlobal: f&rowGlobal != 0,
	}
	if f&rowExpires == 0 {
		return k, time.Time{}, false
	}
	return k, r.expires.time(), true
}

// Rows are keys on their way to the table, measured for it: each page's
// widest cell per column is worked out where pages arrive (in a command,
// off Update). The cells themselves are formatted only for the rows on
// screen.
type Rows struct {
	pages [][]model.APIKey
	n     int
	now   time.Time
	// widths is the widest cell of each dashboard column in these keys.
	widths map[model.ColumnID]int
	// ready, when set, is these rows already indexed, sorted and filtered
	// (Model.Prepare), for SetRows to take over without the work.
	ready *prepared
}

// FormatRows measures keys for the table as of now: statuses and relative
// times are judged at it. The table keeps keys as given (it does not copy
// them until they reach it).
func FormatRows(keys []model.APIKey, now time.Time) Rows {
	r := Rows{now: now, n: len(keys), widths: map[model.ColumnID]int{}}
	if len(keys) == 0 {
		return r
	}
	r.pages = [][]model.APIKey{keys}
	for _, c := range model.DashboardColumns() {
		w := 0
		for i := range keys {
			if c.DashboardWidth != nil {
				if cw, ok := c.DashboardWidth(&keys[i], now); ok {
					w = max(w, cw)
					continue
				}
			}
			w = max(w, cellWidth(c.DashboardText(keys[i], now)))
		}
		r.widths[c.ID] = w
	}
	return r
}

// Len is the number of rows.
func (r Rows) Len() int { return r.n }

// drain hands f every key in order and lets go of each page once its keys
// are handed over (they are copied into the table's own blocks), so a
// merge holds its input and its output at once for a page, not for all of
// them. The Rows keeps its count and widths but no keys: merging it twice
// would merge nothing the second time.
func (r *Rows) drain(f func(k *model.APIKey)) {
	for j, p := range r.pages {
		for i := range p {
			f(&p[i])
		}
		r.pages[j] = nil
	}
	r.pages = nil
}

// Prepared reports whether the rows are ready for SetRows to install as
// they are (Model.Prepare made them).
func (r Rows) Prepared() bool { return r.ready != nil }

// Append returns r followed by o (pages of one load taken together, all
// judged as of the same time; r's time stands for both). No key is copied.
func (r Rows) Append(o Rows) Rows {
	if r.n == 0 {
		return o
	}
	if o.n == 0 {
		return r
	}
	out := Rows{pages: append(r.pages[:len(r.pages):len(r.pages)], o.pages...), n: r.n + o.n, now: r.now,
		widths: make(map[model.ColumnID]int, len(r.widths))}
	for id, w := range r.widths {
		out.widths[id] = w
	}
	for id, w := range o.widths {
		out.widths[id] = max(out.widths[id], w)
	}
	return out
}

// cellWidth is s's width in cells; cells are mostly ASCII, measured
// without ansi's grapheme walk.
func cellWidth(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return min(ansi.StringWidth(s), math.MaxUint16)
		}
	}
	return len(s)
}

// foldASCII lowers ASCII capitals only, as model's compareFold compares:
// strings.Compare(foldASCII(a), foldASCII(b)) == compareFold(a, b).
func foldASCII(s string) string {
	i := 0
	for i < len(s) && (s[i] < 'A' || s[i] > 'Z') {
		i++
	}
	if i == len(s) {
		return s
	}
	b := []byte(s)
	for ; i < len(b); i++ {
		if 'A' <= b[i] && b[i] <= 'Z' {
			b[i] += 'a' - 'A'
		}
	}
	return string(b)
}
