package history

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ErrNoHistory is returned (wrapped) for a key the store holds no usage
// history for: never recorded, pruned, or never reported a call count.
var ErrNoHistory = errors.New("no usage history")

// Thresholds of the "use changed" rules; see Change.
const (
	SpikeFactor   = 10  // calls in the last 24 h above this many times the baseline median
	SpikeMinCalls = 100 // and above this many calls
	SteadyDays    = 5   // days with calls, of the 7 baseline days, that make use steady
	baselineDays  = 7
)

// Change says whether a key's use changed suddenly. Both rules compare the
// last 24 hours (now-24h, now] with the baseline: the 7 whole UTC days
// before the UTC day that contains now-24h, so the two never overlap. Both
// need history covering the whole baseline and the last 24 hours;
// without it the change is ChangeNone, for lack of evidence.
type Change int

const (
	// ChangeNone: neither rule matched, or history is too short to judge.
	ChangeNone Change = iota
	// ChangeSpike: more than SpikeMinCalls calls in the last 24 h, and more
	// than SpikeFactor times the median of the 7 baseline days' calls
	// (days without calls count as 0, so a dormant key that suddenly takes
	// 101 calls is a spike).
	ChangeSpike
	// ChangeSilent: steady use (calls on at least SteadyDays of the 7
	// baseline days) and no call at all in the last 24 h.
	ChangeSilent
)

// String names the change for tables and JSON ("", "spike", "silent").
func (c Change) String() string {
	switch c {
	case ChangeSpike:
		return "spike"
	case ChangeSilent:
		return "silent"
	}
	return ""
}

// Usage is what the history says about one key's calls up to now. A window
// is nil when history does not cover it: the first known call total is
// later than the window's start, raw observations for it were pruned, or
// the key was last seen before the window began. Nil means unknown, never 0.
type Usage struct {
	// Calls24h, Calls7d and Calls30d are the calls in the 24 hours, 7 days
	// and 30 days up to now, counted up to Through.
	Calls24h, Calls7d, Calls30d *int64
	// PerDay7d is the average calls per day over the last 7 days, or over
	// the history there is when it is shorter (PerDaySpan says how long);
	// nil when there is less than a day of history.
	PerDay7d *float64
	// PerDaySpan is the time PerDay7d averages over (at most 7 days).
	PerDaySpan time.Duration
	// Since is when the key's call total was first known: calls before it
	// are not in the history.
	Since time.Time
	// Through is the last read that listed the key; calls after it are
	// unknown (the key may have been deleted, or nothing has read since).
	Through time.Time
	// Estimated is set when a window's count includes a share of calls
	// made between two reads that straddle the window's start: the share
	// is proportional to time, not observed.
	Estimated bool
	// Reset is set when the total went down within the last 30 days (key
	// re-created or counter reset); the calls of that interval are unknown
	// and not counted, so the windows may be low.
	Reset bool
	// Change flags a sudden change of use; see Change.
	Change Change
}

type keyRow struct {
	ref     int64
	id      string
	since   sql.NullInt64
	through int64
}

// Usage returns the usage of keyIDs (all keys of the server when keyIDs is
// nil) as of now. Keys the store has never seen are absent from the map.
func (s *Store) Usage(ctx context.Context, now time.Time, keyIDs []string) (map[string]Usage, error) {
	n := now.UnixMilli()
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("usage: %w", err)
	}
	defer tx.Rollback()

	keys, err := s.keyRows(ctx, tx, keyIDs)
	if err != nil {
		return nil, fmt.Errorf("usage: %w", err)
	}
	out := make(map[string]Usage, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	windows := [3]int64{n - dayMs, n - 7*dayMs, n - 30*dayMs}
	type sums struct {
		calls [3]float64
		est   [3]bool
		reset bool
	}
	agg := make(map[int64]*sums)
	rows, err := tx.QueryContext(ctx, `SELECT key_ref,
		TOTAL(CASE WHEN at > ?3 THEN calls * 1.0 * (at - MAX(from_at, ?3)) / (at - from_at) END),
		MAX(calls > 0 AND at > ?3 AND from_at < ?3),
		TOTAL(CASE WHEN at > ?4 THEN calls * 1.0 * (at - MAX(from_at, ?4)) / (at - from_at) END),
		MAX(calls > 0 AND at > ?4 AND from_at < ?4),
		TOTAL(calls * 1.0 * (at - MAX(from_at, ?5)) / (at - from_at)),
		MAX(calls > 0 AND from_at < ?5),
		MAX(flags & 2)
		FROM observations
		WHERE server_id = ?1 AND at > ?5 AND at <= ?2 AND (calls > 0 OR flags & 2)
		GROUP BY key_ref`, s.serverID, n, windows[0], windows[1], windows[2])
	if err != nil {
		return nil, fmt.Errorf("usage: windows: %w", err)
	}
	for rows.Next() {
		var ref int64
		var e [3]sql.NullBool
		var r sql.NullInt64
		sm := new(sums)
		if err := rows.Scan(&ref, &sm.calls[0], &e[0], &sm.calls[1], &e[1], &sm.calls[2], &e[2], &r); err != nil {
			rows.Close()
			return nil, fmt.Errorf("usage: windows: %w", err)
		}
		for i := range e {
			sm.est[i] = e[i].Bool
		}
		sm.reset = r.Int64 != 0
		agg[ref] = sm
	}
	if err := rows.Close(); err != nil {
		return nil, fmt.Errorf("usage: windows: %w", err)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("usage: windows: %w", err)
	}

	d0 := dayOf(n - dayMs)
	baseFrom, baseTo := d0-baselineDays, d0-1
	base, err := s.baseline(ctx, tx, baseFrom, baseTo)
	if err != nil {
		return nil, fmt.Errorf("usage: %w", err)
	}

	horizon := n - s.opts.RawRetention.Milliseconds()
	for _, k := range keys {
		u := Usage{Through: time.UnixMilli(k.through).UTC()}
		if !k.since.Valid {
			out[k.id] = u
			continue
		}
		since := k.since.Int64
		u.Since = time.UnixMilli(since).UTC()
		sm := agg[k.ref]
		if sm == nil {
			sm = new(sums)
		}
		u.Reset = sm.reset
		ptrs := [3]**int64{&u.Calls24h, &u.Calls7d, &u.Calls30d}
		for i, ws := range windows {
			if since > ws || horizon > ws || k.through < ws {
				continue
			}
			v := int64(math.Round(sm.calls[i]))
			*ptrs[i] = &v
			u.Estimated = u.Estimated || sm.est[i]
		}
		if span := n - max(since, windows[1]); span >= dayMs && horizon <= max(since, windows[1]) {
			v := sm.calls[1] / (float64(span) / float64(dayMs))
			u.PerDay7d = &v
			u.PerDaySpan = time.Duration(span) * time.Millisecond
			u.Estimated = u.Estimated || sm.est[1]
		}
		if u.Calls24h != nil && since <= baseFrom*dayMs {
			b := base[k.ref]
			switch {
			case *u.Calls24h > SpikeMinCalls && float64(*u.Calls24h) > SpikeFactor*median(b.calls):
				u.Change = ChangeSpike
			case *u.Calls24h == 0 && len(b.calls) >= SteadyDays:
				u.Change = ChangeSilent
			}
		}
		out[k.id] = u
	}
	return out, nil
}

// baselineDay is one key's days with calls in the baseline.
type baselineDay struct{ calls []int64 }

// baseline returns, per key, the calls of the baseline days that had any.
// Days without a roll-up row had no calls.
func (s *Store) baseline(ctx context.Context, tx *sql.Tx, from, to int64) (map[int64]baselineDay, error) {
	rows, err := tx.QueryContext(ctx, `SELECT key_ref, group_concat(calls) FROM daily
		WHERE server_id = ? AND day BETWEEN ? AND ? AND calls > 0 GROUP BY key_ref`, s.serverID, from, to)
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	defer rows.Close()
	out := make(map[int64]baselineDay)
	for rows.Next() {
		var ref int64
		var list string
		if err := rows.Scan(&ref, &list); err != nil {
			return nil, fmt.Errorf("baseline: %w", err)
		}
		var b baselineDay
		for _, f := range strings.Split(list, ",") {
			v, err := strconv.ParseInt(f, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("baseline: %w", err)
			}
			b.calls = append(b.calls, v)
		}
		out[ref] = b
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	return out, nil
}

// median of the baseline days' calls, the days missing from nonZero being 0.
func median(nonZero []int64) float64 {
	v := make([]int64, baselineDays)
	copy(v[baselineDays-min(len(nonZero), baselineDays):], nonZero)
	slices.Sort(v)
	return float64(v[baselineDays/2])
}

func (s *Store) keyRows(ctx context.Context, tx *sql.Tx, ids []string) ([]keyRow, error) {
	q := `SELECT id, key_id, calls_since, seen_at FROM keys WHERE server_id = ?`
	args := []any{s.serverID}
	if ids != nil {
		b, err := json.Marshal(ids)
		if err != nil {
			return nil, fmt.Errorf("keys: %w", err)
		}
		q += ` AND key_id IN (SELECT value FROM json_each(?))`
		args = append(args, string(b))
	}
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	defer rows.Close()
	var out []keyRow
	for rows.Next() {
		var k keyRow
		if err := rows.Scan(&k.ref, &k.id, &k.since, &k.through); err != nil {
			return nil, fmt.Errorf("keys: %w", err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	return out, nil
}

// Day is one UTC day's calls of one key.
type Day struct {
	// Date is the day's UTC midnight.
	Date  time.Time
	Calls int64
	// Estimated: some of the calls were spread onto this day from a gap
	// between reads spanning several days.
	Estimated bool
	// Reset: the total went down during this day; calls of that interval
	// are not counted.
	Reset bool
}

// KeyInfo labels a key's history, also after the key is deleted.
type KeyInfo struct {
	ID, Name, Username string
	// Since is when the key's call total was first known (zero if never).
	Since time.Time
	// Through is the last read that listed the key.
	Through time.Time
}

// Key returns what the history knows of a key; ErrNoHistory if nothing.
func (s *Store) Key(ctx context.Context, keyID string) (KeyInfo, error) {
	var k KeyInfo
	var since sql.NullInt64
	var through int64
	err := s.db.QueryRowContext(ctx, `SELECT key_id, name, username, calls_since, seen_at
		FROM keys WHERE server_id = ? AND key_id = ?`, s.serverID, keyID).
		Scan(&k.ID, &k.Name, &k.Username, &since, &through)
	if errors.Is(err, sql.ErrNoRows) {
		return KeyInfo{}, fmt.Errorf("key %s: %w", keyID, ErrNoHistory)
	}
	if err != nil {
		return KeyInfo{}, fmt.Errorf("key %s: %w", keyID, err)
	}
	if since.Valid {
		k.Since = time.UnixMilli(since.Int64).UTC()
	}
	k.Through = time.UnixMilli(through).UTC()
	return k, nil
}

// Daily returns a key's calls per UTC day for the days days up to and
// including now's, oldest first, and since, the start of the history it
// covers: when the key's call total was first known, or the oldest day
// daily retention keeps, whichever is later. Only days the history covers
// are returned: none before since's day and none after the last read that
// listed the key, so the slice is shorter than days when history is. Days
// without calls inside that span are 0.
// A key with no history gives ErrNoHistory.
func (s *Store) Daily(ctx context.Context, keyID string, days int, now time.Time) ([]Day, time.Time, error) {
	var ref, through int64
	var since sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT id, calls_since, seen_at FROM keys WHERE server_id = ? AND key_id = ?`,
		s.serverID, keyID).Scan(&ref, &since, &through)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !since.Valid) {
		return nil, time.Time{}, fmt.Errorf("daily calls of %s: %w", keyID, ErrNoHistory)
	}
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("daily calls of %s: %w", keyID, err)
	}
	today := dayOf(now.UnixMilli())
	// Days before the retention cut may already be pruned: a missing row
	// there would read as 0 calls.
	if kept := (dayOf(now.UnixMilli()-s.opts.DailyRetention.Milliseconds()) + 1) * dayMs; kept > since.Int64 {
		since.Int64 = kept
	}
	first := max(today-int64(days)+1, dayOf(since.Int64))
	last := min(today, dayOf(through))
	sinceT := time.UnixMilli(since.Int64).UTC()
	if days <= 0 || last < first {
		return []Day{}, sinceT, nil
	}
	out := make([]Day, 0, last-first+1)
	for d := first; d <= last; d++ {
		out = append(out, Day{Date: time.UnixMilli(d * dayMs).UTC()})
	}
	rows, err := s.db.QueryContext(ctx, `SELECT day, calls, flags FROM daily
		WHERE key_ref = ? AND day BETWEEN ? AND ?`, ref, first, last)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("daily calls of %s: %w", keyID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var d, calls int64
		var flags int
		if err := rows.Scan(&d, &calls, &flags); err != nil {
			return nil, time.Time{}, fmt.Errorf("daily calls of %s: %w", keyID, err)
		}
		day := &out[d-first]
		day.Calls = calls
		day.Estimated = flags&flagEstimated != 0
		day.Reset = flags&flagReset != 0
	}
	if err := rows.Err(); err != nil {
		return nil, time.Time{}, fmt.Errorf("daily calls of %s: %w", keyID, err)
	}
	return out, sinceT, nil
}
