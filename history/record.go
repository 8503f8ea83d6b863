package history

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"iter"
	"math"
	"slices"
	"strings"
	"time"

	"h2ogpte-keys/model"
)

// Flags on an observation and on a daily roll-up.
const (
	// flagEstimated: the calls were spread over several days in proportion
	// to time, because no read fell between them.
	flagEstimated = 1
	// flagReset: the total went down (key re-created or counter reset); the
	// new total is a new baseline and the interval's calls are not counted.
	flagReset = 2
	// flagBaseline: the first total known for the key; nothing to subtract
	// it from, so no calls are counted.
	flagBaseline = 4
)

const dayMs = int64(24 * time.Hour / time.Millisecond)

// dayOf returns the UTC day number of a Unix-millisecond time.
func dayOf(ms int64) int64 {
	d := ms / dayMs
	if ms < 0 && ms%dayMs != 0 {
		d--
	}
	return d
}

// state is a key's row in the keys table, packed (a million of them are
// held at once): the nullable numbers sit in vals, each with a presence bit
// in has, which also holds obs_active; the bits are the summary's own
// (hasSince, ..., isActive).
type state struct {
	ref        int64
	name, user string
	seenAt     int64
	vals       [numOpt]int64
	has        byte
}

// The nullable numbers of a state, in the order of their presence bits.
const (
	optSince      = iota // calls_since
	optBaseTotal         // base_total
	optBaseAt            // base_at
	optObsTotal          // obs_total
	optObsUsed           // obs_used
	optObsExpires        // obs_expires
	numOpt
)

func (st *state) get(f int) sql.NullInt64 {
	return sql.NullInt64{Int64: st.vals[f], Valid: st.has&(1<<f) != 0}
}

func (st *state) set(f int, v sql.NullInt64) {
	if v.Valid {
		st.vals[f], st.has = v.Int64, st.has|1<<f
	} else {
		st.vals[f], st.has = 0, st.has&^(1<<f)
	}
}

func (st *state) active() bool { return st.has&isActive != 0 }

func (st *state) setActive(a bool) {
	if a {
		st.has |= isActive
	} else {
		st.has &^= isActive
	}
}

// observed sets what the last observation said.
func (st *state) observed(r reading) {
	st.set(optObsTotal, r.total)
	st.set(optObsUsed, r.used)
	st.set(optObsExpires, r.expires)
	st.setActive(r.active)
}

// reading is what one read says about one key, in the store's terms.
type reading struct {
	total   sql.NullInt64
	used    sql.NullInt64
	active  bool
	expires sql.NullInt64
}

func readingOf(k model.APIKey) reading {
	var r reading
	if v, ok := k.TotalCalls.Get(); ok {
		r.total = sql.NullInt64{Int64: v, Valid: true}
	}
	if v, ok := k.LastUsed.Get(); ok {
		r.used = sql.NullInt64{Int64: v.UnixMilli(), Valid: true}
	}
	if k.Expires != nil {
		r.expires = sql.NullInt64{Int64: k.Expires.UnixMilli(), Valid: true}
	}
	r.active = k.IsActive
	return r
}

func (st *state) changed(r reading) bool {
	return st.get(optObsTotal) != r.total || st.get(optObsUsed) != r.used || st.active() != r.active || st.get(optObsExpires) != r.expires
}

// share is the calls of one interval that fall on one UTC day.
type share struct {
	day   int64
	calls int64
}

// spread divides calls made in the interval [from, to) over the UTC days it
// covers, in proportion to the time spent in each. Rounding follows the
// running total, so the shares always add up to calls exactly.
func spread(from, to, calls int64) []share {
	first, last := dayOf(from), dayOf(to-1)
	if to <= from || first == last {
		return []share{{day: dayOf(max(from, to-1)), calls: calls}}
	}
	out := make([]share, 0, last-first+1)
	total := float64(to - from)
	var given int64
	for d := first; d <= last; d++ {
		end := min((d+1)*dayMs, to)
		cum := int64(math.Round(float64(calls) * float64(end-from) / total))
		if d == last {
			cum = calls
		}
		if cum-given > 0 {
			out = append(out, share{day: d, calls: cum - given})
		}
		given = cum
	}
	return out
}

// Record stores what one read of keys (made at readAt) says, in one
// transaction: an observation for each key whose total_calls, last_used_at,
// is_active or expiry changed since its last observation, the calls
// that change implies in the daily roll-ups, and for unchanged keys the time
// they were last seen. A key listed twice counts once (the first); a read
// older than what the file already holds for a key is ignored for that key,
// so a slow writer cannot move history backwards. Every PruneEvery, the same
// transaction drops data older than the retention periods.
//
// The previous states come from the server's packed summary (one row), and
// new rows are inserted in batches: at 100,000 keys, a statement or a row
// read per key would cost more than everything else together.
func (s *Store) Record(ctx context.Context, readAt time.Time, keys []model.APIKey) error {
	return s.RecordSeq(ctx, readAt, func(yield func(*model.APIKey) bool) {
		for i := range keys {
			if !yield(&keys[i]) {
				return
			}
		}
	})
}

// RecordSeq is Record of the keys keys yields, which it reads once and
// does not keep: a caller holding a million keys in its own form need not
// copy them into one slice first.
func (s *Store) RecordSeq(ctx context.Context, readAt time.Time, keys iter.Seq[*model.APIKey]) error {
	at := readAt.UnixMilli()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("record history: %w", err)
	}
	defer tx.Rollback()

	// The states change in place: no Usage may read them meanwhile, and
	// the cache lets go of them until the new summary is committed (a
	// failed Record leaves it empty; the file still holds the old summary).
	s.states.Lock()
	defer s.states.Unlock()
	noteLocked(ctx)
	old, err := s.loadSummary(ctx, tx)
	if err != nil {
		return fmt.Errorf("record history: %w", err)
	}
	s.setCache(nil)
	f := newFinder(old.keys)
	var lastRef int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM keys`).Scan(&lastRef); err != nil {
		return fmt.Errorf("record history: %w", err)
	}
	w, err := newWriter(ctx, tx, s.serverID)
	if err != nil {
		return fmt.Errorf("record history: %w", err)
	}
	defer w.close()

	// Unchanged keys are marked seen a statement per markSeenRefs of them,
	// as they come: growing a list of a million refs would make 16 MB of
	// garbage. [0]: the read confirmed their totals; [1]: it has none.
	seen := [2]seenKeys{{withTotal: true}, {}}
	matched := make([]bool, len(old.keys)) // the summary's states this read lists
	for k := range keys {
		// A key listed twice meets its own state, seen at this read.
		r := readingOf(*k)
		i, ok := f.find(k.ID)
		if !ok {
			lastRef++
			st, err := w.newKey(lastRef, k, r, at)
			if err != nil {
				return fmt.Errorf("record history: key %s: %w", k.ID, err)
			}
			f.add(st)
			continue
		}
		st := f.states[i]
		if int(i) < len(matched) {
			matched[i] = true
		}
		// The read's strings stand in for the summary's equal ones: those
		// are views of the summary's blob, which can go once no key's
		// state points into it (at a million keys, about 90 MB; see
		// letBlobGo for the states this read does not list).
		st.id = k.ID
		if st.name == k.Name {
			st.name = k.Name
		}
		if st.user == k.Username {
			st.user = k.Username
		}
		if at <= st.seenAt {
			continue
		}
		if !st.changed(r) {
			if st.name != k.Name || st.user != k.Username {
				if err := w.rename(st, k, r, at); err != nil {
					return fmt.Errorf("record history: key %s: %w", k.ID, err)
				}
				continue
			}
			st.seenAt = at
			m := &seen[1]
			if r.total.Valid {
				st.set(optBaseAt, sql.NullInt64{Int64: at, Valid: true})
				m = &seen[0]
			}
			if err := m.add(ctx, tx, at, st.ref); err != nil {
				return fmt.Errorf("record history: %w", err)
			}
			continue
		}
		if err := w.change(st, k, r, at); err != nil {
			return fmt.Errorf("record history: key %s: %w", k.ID, err)
		}
	}
	if err := w.flush(); err != nil {
		return fmt.Errorf("record history: %w", err)
	}
	for i := range seen {
		if err := seen[i].flush(ctx, tx, at); err != nil {
			return fmt.Errorf("record history: %w", err)
		}
	}
	pruned, keyCut, err := s.maybePrune(ctx, tx)
	if err != nil {
		return fmt.Errorf("record history: %w", err)
	}
	letBlobGo(old.keys, matched)
	states := f.states
	f = nil // let the index's million entries go before the blob is encoded
	kept := states[:0]
	for _, st := range states {
		if pruned && st.seenAt < keyCut {
			continue
		}
		if len(st.recent) > 0 && st.recent[0].at <= at-recentKeep {
			n := 0
			for n < len(st.recent) && st.recent[n].at <= at-recentKeep {
				n++
			}
			st.recent = slices.Clone(st.recent[n:])
		}
		kept = append(kept, st)
	}
	sm, err := s.saveSummary(ctx, tx, kept)
	if err != nil {
		return fmt.Errorf("record history: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("record history: commit: %w", err)
	}
	s.setCache(sm)
	return nil
}

// letBlobGo gives the summary's states this read did not list (deleted
// keys, other users' keys when one user's keys were read) their own copies
// of their strings, which were views of the summary's blob, so that the
// blob can go: but only when they are few. When most were not listed,
// copying them would cost as much as the blob, which then stays.
func letBlobGo(states []*keyState, matched []bool) {
	unmatched := 0
	for _, m := range matched {
		if !m {
			unmatched++
		}
	}
	if unmatched == 0 || unmatched > len(states)/4 {
		return
	}
	for i, st := range states {
		if !matched[i] {
			st.id, st.name, st.user = strings.Clone(st.id), strings.Clone(st.name), strings.Clone(st.user)
		}
	}
}

// seenKeys gathers unchanged keys for markSeen, a statement's worth at a
// time; withTotal: the read confirmed their totals.
type seenKeys struct {
	withTotal bool
	refs      []int64
}

func (m *seenKeys) add(ctx context.Context, tx *sql.Tx, at, ref int64) error {
	if m.refs == nil {
		m.refs = make([]int64, 0, markSeenRefs)
	}
	m.refs = append(m.refs, ref)
	if len(m.refs) < markSeenRefs {
		return nil
	}
	return m.flush(ctx, tx, at)
}

func (m *seenKeys) flush(ctx context.Context, tx *sql.Tx, at int64) error {
	err := markSeen(ctx, tx, at, m.refs, m.withTotal)
	m.refs = m.refs[:0]
	return err
}

// markSeen moves seen_at (and base_at, when the read confirmed the total)
// of unchanged keys to at, a statement for many keys (markSeenRefs): a row
// each would cost more than the whole rest of a large read, and SQLite
// keeps what a statement changes in memory (temp_store), for undoing it
// alone: one statement over a million keys held about 190 MB more at once.
func markSeen(ctx context.Context, tx *sql.Tx, at int64, refs []int64, withTotal bool) error {
	q := `UPDATE keys SET seen_at = ?1 WHERE id IN (SELECT value FROM json_each(?2))`
	if withTotal {
		q = `UPDATE keys SET seen_at = ?1, base_at = ?1 WHERE id IN (SELECT value FROM json_each(?2))`
	}
	for chunk := range slices.Chunk(refs, markSeenRefs) {
		b, err := json.Marshal(chunk)
		if err != nil {
			return fmt.Errorf("mark keys seen: %w", err)
		}
		if _, err := tx.ExecContext(ctx, q, at, string(b)); err != nil {
			return fmt.Errorf("mark keys seen: %w", err)
		}
	}
	return nil
}

// cursorReach is how far past the last key's state a read looks for the
// next key's before going to the index by id: as many keys as that may
// have been deleted in a row since the read before.
const cursorReach = 16

// markSeenRefs is how many keys one statement of markSeen marks.
const markSeenRefs = 20_000

// batchRows is how many rows one batched INSERT carries.
const batchRows = 100

// batch collects rows for one multi-row INSERT: a statement per row costs
// several microseconds in database/sql alone.
type batch struct {
	ctx        context.Context
	tx         *sql.Tx
	head, tail string
	cols       int
	args       []any
	full       *sql.Stmt
}

func (b *batch) query(rows int) string {
	row := "(" + strings.Repeat("?,", b.cols-1) + "?)"
	return b.head + strings.Repeat(row+",", rows-1) + row + b.tail
}

func (b *batch) add(vals ...any) error {
	b.args = append(b.args, vals...)
	if len(b.args) >= b.cols*batchRows {
		return b.flush()
	}
	return nil
}

func (b *batch) flush() error {
	rows := len(b.args) / b.cols
	if rows == 0 {
		return nil
	}
	var err error
	if rows == batchRows {
		if b.full == nil {
			if b.full, err = b.tx.PrepareContext(b.ctx, b.query(rows)); err != nil {
				return fmt.Errorf("prepare batch: %w", err)
			}
		}
		_, err = b.full.ExecContext(b.ctx, b.args...)
	} else {
		_, err = b.tx.ExecContext(b.ctx, b.query(rows), b.args...)
	}
	b.args = b.args[:0]
	if err != nil {
		return fmt.Errorf("batch insert: %w", err)
	}
	return nil
}

func (b *batch) close() {
	if b.full != nil {
		b.full.Close()
	}
}

// writer holds the batches and statements of one Record.
type writer struct {
	ctx             context.Context
	server          int64
	keys, obs, days *batch
	updKey          *sql.Stmt
}

func newWriter(ctx context.Context, tx *sql.Tx, server int64) (*writer, error) {
	w := &writer{ctx: ctx, server: server}
	w.keys = &batch{ctx: ctx, tx: tx, cols: 13, head: `INSERT INTO keys (id, server_id, key_id, name, username,
		seen_at, calls_since, base_total, base_at, obs_total, obs_used, obs_active, obs_expires) VALUES `}
	w.obs = &batch{ctx: ctx, tx: tx, cols: 10, head: `INSERT OR REPLACE INTO observations
		(server_id, at, key_ref, from_at, total, calls, used, active, expires, flags) VALUES `}
	w.days = &batch{ctx: ctx, tx: tx, cols: 5, head: `INSERT INTO daily (server_id, day, key_ref, calls, flags) VALUES `,
		tail: ` ON CONFLICT (server_id, day, key_ref) DO UPDATE
		SET calls = calls + excluded.calls, flags = flags | excluded.flags`}
	var err error
	w.updKey, err = tx.PrepareContext(ctx, `UPDATE keys SET name = ?, username = ?, seen_at = ?, calls_since = ?,
		base_total = ?, base_at = ?, obs_total = ?, obs_used = ?, obs_active = ?, obs_expires = ?
		WHERE id = ?`)
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	return w, nil
}

// flush writes what the batches still hold; keys first, as the other
// tables' rows refer to them.
func (w *writer) flush() error {
	for _, b := range []*batch{w.keys, w.obs, w.days} {
		if err := b.flush(); err != nil {
			return err
		}
	}
	return nil
}

func (w *writer) close() {
	for _, b := range []*batch{w.keys, w.obs, w.days} {
		b.close()
	}
	w.updKey.Close()
}

func (w *writer) newKey(ref int64, k *model.APIKey, r reading, at int64) (*keyState, error) {
	st := &keyState{id: k.ID, state: state{ref: ref, name: k.Name, user: k.Username, seenAt: at}}
	st.observed(r)
	flags := 0
	if r.total.Valid {
		atV := sql.NullInt64{Int64: at, Valid: true}
		st.set(optSince, atV)
		st.set(optBaseAt, atV)
		st.set(optBaseTotal, r.total)
		flags = flagBaseline
	}
	if err := w.keys.add(ref, w.server, k.ID, k.Name, k.Username, at, st.get(optSince),
		st.get(optBaseTotal), st.get(optBaseAt), r.total, r.used, r.active, r.expires); err != nil {
		return nil, fmt.Errorf("insert key: %w", err)
	}
	return st, w.observe(ref, at, sql.NullInt64{}, r, sql.NullInt64{}, flags)
}

func (w *writer) observe(ref, at int64, from sql.NullInt64, r reading, calls sql.NullInt64, flags int) error {
	if err := w.obs.add(w.server, at, ref, from, r.total, calls, r.used, r.active, r.expires, flags); err != nil {
		return fmt.Errorf("insert observation: %w", err)
	}
	return nil
}

// rename keeps a key's current name and owner without an observation: they
// are labels for its history, not usage.
func (w *writer) rename(st *keyState, k *model.APIKey, r reading, at int64) error {
	if r.total.Valid {
		st.set(optBaseAt, sql.NullInt64{Int64: at, Valid: true})
	}
	st.name, st.user, st.seenAt = k.Name, k.Username, at
	_, err := w.updKey.ExecContext(w.ctx, k.Name, k.Username, at, st.get(optSince), st.get(optBaseTotal), st.get(optBaseAt),
		st.get(optObsTotal), st.get(optObsUsed), st.active(), st.get(optObsExpires), st.ref)
	if err != nil {
		return fmt.Errorf("update key: %w", err)
	}
	return nil
}

// change records an observation of a changed key and the calls it implies.
// The calls are the difference from the last known total and were made
// after the last read that confirmed that total (base_at), so they are
// spread over [base_at, at).
func (w *writer) change(st *keyState, k *model.APIKey, r reading, at int64) error {
	since, baseTotal, baseAt := st.get(optSince), st.get(optBaseTotal), st.get(optBaseAt)
	var from, calls sql.NullInt64
	flags := 0
	if r.total.Valid {
		switch {
		case !baseTotal.Valid:
			flags = flagBaseline
			if !since.Valid {
				since = sql.NullInt64{Int64: at, Valid: true}
			}
		case r.total.Int64 < baseTotal.Int64:
			flags = flagReset
			from = baseAt
			if err := w.day(st.ref, dayOf(at), 0, flagReset); err != nil {
				return err
			}
			st.recent = append(slices.Clip(st.recent), interval{from: from.Int64, at: at, flags: flagReset})
		default:
			from = baseAt
			d := r.total.Int64 - baseTotal.Int64
			calls = sql.NullInt64{Int64: d, Valid: true}
			if d == 0 {
				break
			}
			parts := spread(from.Int64, at, d)
			if dayOf(from.Int64) != dayOf(at-1) {
				flags = flagEstimated
			}
			for _, p := range parts {
				if err := w.day(st.ref, p.day, p.calls, flags); err != nil {
					return err
				}
			}
			st.recent = append(slices.Clip(st.recent), interval{from: from.Int64, at: at, calls: d, flags: flags})
		}
		baseTotal = r.total
		baseAt = sql.NullInt64{Int64: at, Valid: true}
	}
	if err := w.observe(st.ref, at, from, r, calls, flags); err != nil {
		return err
	}
	st.name, st.user, st.seenAt = k.Name, k.Username, at
	st.set(optSince, since)
	st.set(optBaseTotal, baseTotal)
	st.set(optBaseAt, baseAt)
	st.observed(r)
	_, err := w.updKey.ExecContext(w.ctx, k.Name, k.Username, at, since, baseTotal, baseAt,
		r.total, r.used, r.active, r.expires, st.ref)
	if err != nil {
		return fmt.Errorf("update key: %w", err)
	}
	return nil
}

func (w *writer) day(ref, day, calls int64, flags int) error {
	if err := w.days.add(w.server, day, ref, calls, flags); err != nil {
		return fmt.Errorf("add to daily roll-up: %w", err)
	}
	return nil
}

// maybePrune drops observations and roll-ups past their retention, at most
// once per PruneEvery for the whole file (whichever writer comes first).
// Keys not seen for the daily retention period go too: nothing of their
// history is left to label. It reports whether it pruned, and the seen_at
// below which keys were forgotten.
func (s *Store) maybePrune(ctx context.Context, tx *sql.Tx) (bool, int64, error) {
	now := s.opts.Now().UnixMilli()
	var last int64
	err := tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE name = 'pruned_at'`).Scan(&last)
	if err != nil && err != sql.ErrNoRows {
		return false, 0, fmt.Errorf("prune: %w", err)
	}
	if err == nil && now-last < s.opts.PruneEvery.Milliseconds() && now >= last {
		return false, 0, nil
	}
	rawCut := now - s.opts.RawRetention.Milliseconds()
	dailyCut := dayOf(now - s.opts.DailyRetention.Milliseconds())
	stmts := []struct {
		q   string
		arg int64
	}{
		{`DELETE FROM observations WHERE at < ?`, rawCut},
		{`DELETE FROM daily WHERE day < ?`, dailyCut},
		{`DELETE FROM keys WHERE seen_at < ?`, dailyCut * dayMs},
		{`INSERT INTO meta (name, value) VALUES ('pruned_at', ?)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value`, now},
	}
	for _, st := range stmts {
		if _, err := tx.ExecContext(ctx, st.q, st.arg); err != nil {
			return false, 0, fmt.Errorf("prune: %w", err)
		}
	}
	// Other servers' summaries may name keys just deleted: emptied, they
	// are rebuilt from the tables when next read. Their generation still
	// moves on, never back, so no Store's cache of them can match again.
	if _, err := tx.ExecContext(ctx, `UPDATE summaries SET gen = gen + 1, data = x''
		WHERE server_id != ?`, s.serverID); err != nil {
		return false, 0, fmt.Errorf("prune: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM summary_parts WHERE server_id != ?`, s.serverID); err != nil {
		return false, 0, fmt.Errorf("prune: %w", err)
	}
	return true, dailyCut * dayMs, nil
}

// finder finds keys' states by id, for a read of keys. A read usually
// lists the keys in the order of the states (the order of the read before,
// new keys last): each key is first looked for just after the state found
// for the key before it, a few states on (keys deleted since are skipped).
// The index by id (a million entries, about 16 MB) is built only when a key
// is not there, and kept up from then on.
type finder struct {
	states  []*keyState
	idAt    func(int32) string
	byID    model.IDIndex
	indexed bool
	next    int
}

func newFinder(states []*keyState) *finder {
	f := &finder{states: states}
	f.idAt = func(i int32) string { return f.states[i].id }
	return f
}

// find returns the place of id's state.
func (f *finder) find(id string) (int32, bool) {
	for i := f.next; i < min(f.next+cursorReach, len(f.states)); i++ {
		if f.states[i].id == id {
			f.next = i + 1
			return int32(i), true
		}
	}
	if !f.indexed {
		f.byID, f.indexed = model.NewIDIndex(len(f.states)), true
		for i, st := range f.states {
			f.byID.Set(st.id, int32(i), f.idAt)
		}
	}
	i, ok := f.byID.Find(id, f.idAt)
	if ok {
		f.next = int(i) + 1
	}
	return i, ok
}

// add appends a new key's state, which find finds from then on.
func (f *finder) add(st *keyState) {
	f.states = append(f.states, st)
	if f.indexed {
		f.byID.Set(st.id, int32(len(f.states)-1), f.idAt)
	}
}
