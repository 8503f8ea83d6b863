package history

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
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

// state is a key's row in the keys table.
type state struct {
	ref        int64
	name, user string
	seenAt     int64
	callsSince sql.NullInt64
	baseTotal  sql.NullInt64
	baseAt     sql.NullInt64
	obsTotal   sql.NullInt64
	obsUsed    sql.NullInt64
	obsActive  bool
	obsExpires sql.NullInt64
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
	return st.obsTotal != r.total || st.obsUsed != r.used || st.obsActive != r.active || st.obsExpires != r.expires
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
func (s *Store) Record(ctx context.Context, readAt time.Time, keys []model.APIKey) error {
	at := readAt.UnixMilli()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("record history: %w", err)
	}
	defer tx.Rollback()

	states, err := s.loadStates(ctx, tx)
	if err != nil {
		return fmt.Errorf("record history: %w", err)
	}
	w, err := newWriter(ctx, tx, s.serverID)
	if err != nil {
		return fmt.Errorf("record history: %w", err)
	}
	defer w.close()

	var seenWithTotal, seenOnly []int64
	done := make(map[string]struct{}, len(keys))
	for i := range keys {
		k := &keys[i]
		if _, dup := done[k.ID]; dup {
			continue
		}
		done[k.ID] = struct{}{}
		r := readingOf(*k)
		st, ok := states[k.ID]
		if !ok {
			if err := w.newKey(k, r, at); err != nil {
				return fmt.Errorf("record history: key %s: %w", k.ID, err)
			}
			continue
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
			if r.total.Valid {
				seenWithTotal = append(seenWithTotal, st.ref)
			} else {
				seenOnly = append(seenOnly, st.ref)
			}
			continue
		}
		if err := w.change(st, k, r, at); err != nil {
			return fmt.Errorf("record history: key %s: %w", k.ID, err)
		}
	}
	if err := markSeen(ctx, tx, at, seenWithTotal, true); err != nil {
		return fmt.Errorf("record history: %w", err)
	}
	if err := markSeen(ctx, tx, at, seenOnly, false); err != nil {
		return fmt.Errorf("record history: %w", err)
	}
	if err := s.maybePrune(ctx, tx); err != nil {
		return fmt.Errorf("record history: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("record history: commit: %w", err)
	}
	return nil
}

func (s *Store) loadStates(ctx context.Context, tx *sql.Tx) (map[string]*state, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, key_id, name, username, seen_at, calls_since,
		base_total, base_at, obs_total, obs_used, obs_active, obs_expires
		FROM keys WHERE server_id = ?`, s.serverID)
	if err != nil {
		return nil, fmt.Errorf("load key states: %w", err)
	}
	defer rows.Close()
	out := make(map[string]*state)
	for rows.Next() {
		st := new(state)
		var id string
		if err := rows.Scan(&st.ref, &id, &st.name, &st.user, &st.seenAt, &st.callsSince,
			&st.baseTotal, &st.baseAt, &st.obsTotal, &st.obsUsed, &st.obsActive, &st.obsExpires); err != nil {
			return nil, fmt.Errorf("load key states: %w", err)
		}
		out[id] = st
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load key states: %w", err)
	}
	return out, nil
}

// markSeen moves seen_at (and base_at, when the read confirmed the total)
// of unchanged keys to at, in one statement: a row each would cost more
// than the whole rest of a large read.
func markSeen(ctx context.Context, tx *sql.Tx, at int64, refs []int64, withTotal bool) error {
	if len(refs) == 0 {
		return nil
	}
	b, err := json.Marshal(refs)
	if err != nil {
		return fmt.Errorf("mark keys seen: %w", err)
	}
	q := `UPDATE keys SET seen_at = ?1 WHERE id IN (SELECT value FROM json_each(?2))`
	if withTotal {
		q = `UPDATE keys SET seen_at = ?1, base_at = ?1 WHERE id IN (SELECT value FROM json_each(?2))`
	}
	if _, err := tx.ExecContext(ctx, q, at, string(b)); err != nil {
		return fmt.Errorf("mark keys seen: %w", err)
	}
	return nil
}

// writer holds the prepared statements of one Record.
type writer struct {
	ctx                            context.Context
	server                         int64
	insKey, updKey, insObs, addDay *sql.Stmt
}

func newWriter(ctx context.Context, tx *sql.Tx, server int64) (*writer, error) {
	w := &writer{ctx: ctx, server: server}
	var err error
	prep := func(q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var st *sql.Stmt
		st, err = tx.PrepareContext(ctx, q)
		return st
	}
	w.insKey = prep(`INSERT INTO keys (server_id, key_id, name, username, seen_at, calls_since,
		base_total, base_at, obs_total, obs_used, obs_active, obs_expires)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	w.updKey = prep(`UPDATE keys SET name = ?, username = ?, seen_at = ?, calls_since = ?,
		base_total = ?, base_at = ?, obs_total = ?, obs_used = ?, obs_active = ?, obs_expires = ?
		WHERE id = ?`)
	w.insObs = prep(`INSERT OR REPLACE INTO observations
		(server_id, at, key_ref, from_at, total, calls, used, active, expires, flags)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	w.addDay = prep(`INSERT INTO daily (server_id, day, key_ref, calls, flags) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (server_id, day, key_ref) DO UPDATE
		SET calls = calls + excluded.calls, flags = flags | excluded.flags`)
	if err != nil {
		w.close()
		return nil, fmt.Errorf("prepare: %w", err)
	}
	return w, nil
}

func (w *writer) close() {
	for _, st := range []*sql.Stmt{w.insKey, w.updKey, w.insObs, w.addDay} {
		if st != nil {
			st.Close()
		}
	}
}

func (w *writer) newKey(k *model.APIKey, r reading, at int64) error {
	var since, baseAt sql.NullInt64
	flags := 0
	if r.total.Valid {
		since = sql.NullInt64{Int64: at, Valid: true}
		baseAt = since
		flags = flagBaseline
	}
	res, err := w.insKey.ExecContext(w.ctx, w.server, k.ID, k.Name, k.Username, at, since,
		r.total, baseAt, r.total, r.used, r.active, r.expires)
	if err != nil {
		return fmt.Errorf("insert key: %w", err)
	}
	ref, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("insert key: %w", err)
	}
	return w.observe(ref, at, sql.NullInt64{}, r, sql.NullInt64{}, flags)
}

func (w *writer) observe(ref, at int64, from sql.NullInt64, r reading, calls sql.NullInt64, flags int) error {
	if _, err := w.insObs.ExecContext(w.ctx, w.server, at, ref, from, r.total, calls, r.used, r.active, r.expires, flags); err != nil {
		return fmt.Errorf("insert observation: %w", err)
	}
	return nil
}

// rename keeps a key's current name and owner without an observation: they
// are labels for its history, not usage.
func (w *writer) rename(st *state, k *model.APIKey, r reading, at int64) error {
	baseAt := st.baseAt
	if r.total.Valid {
		baseAt = sql.NullInt64{Int64: at, Valid: true}
	}
	_, err := w.updKey.ExecContext(w.ctx, k.Name, k.Username, at, st.callsSince, st.baseTotal, baseAt,
		st.obsTotal, st.obsUsed, st.obsActive, st.obsExpires, st.ref)
	if err != nil {
		return fmt.Errorf("update key: %w", err)
	}
	return nil
}

// change records an observation of a changed key and the calls it implies.
// The calls are the difference from the last known total and were made
// after the last read that confirmed that total (base_at), so they are
// spread over [base_at, at).
func (w *writer) change(st *state, k *model.APIKey, r reading, at int64) error {
	since, baseTotal, baseAt := st.callsSince, st.baseTotal, st.baseAt
	var from, calls sql.NullInt64
	flags := 0
	if r.total.Valid {
		switch {
		case !st.baseTotal.Valid:
			flags = flagBaseline
			if !since.Valid {
				since = sql.NullInt64{Int64: at, Valid: true}
			}
		case r.total.Int64 < st.baseTotal.Int64:
			flags = flagReset
			from = st.baseAt
			if err := w.day(st.ref, dayOf(at), 0, flagReset); err != nil {
				return err
			}
		default:
			from = st.baseAt
			d := r.total.Int64 - st.baseTotal.Int64
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
		}
		baseTotal = r.total
		baseAt = sql.NullInt64{Int64: at, Valid: true}
	}
	if err := w.observe(st.ref, at, from, r, calls, flags); err != nil {
		return err
	}
	_, err := w.updKey.ExecContext(w.ctx, k.Name, k.Username, at, since, baseTotal, baseAt,
		r.total, r.used, r.active, r.expires, st.ref)
	if err != nil {
		return fmt.Errorf("update key: %w", err)
	}
	return nil
}

func (w *writer) day(ref, day, calls int64, flags int) error {
	if _, err := w.addDay.ExecContext(w.ctx, w.server, day, ref, calls, flags); err != nil {
		return fmt.Errorf("add to daily roll-up: %w", err)
	}
	return nil
}

// maybePrune drops observations and roll-ups past their retention, at most
// once per PruneEvery for the whole file (whichever writer comes first).
// Keys not seen for the daily retention period go too: nothing of their
// history is left to label.
func (s *Store) maybePrune(ctx context.Context, tx *sql.Tx) error {
	now := s.opts.Now().UnixMilli()
	var last int64
	err := tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE name = 'pruned_at'`).Scan(&last)
	if err != nil && err != sql.ErrNoRows {
		return fmt.Errorf("prune: %w", err)
	}
	if err == nil && now-last < s.opts.PruneEvery.Milliseconds() && now >= last {
		return nil
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
			return fmt.Errorf("prune: %w", err)
		}
	}
	return nil
}
