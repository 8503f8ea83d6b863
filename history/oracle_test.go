package history

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// This file keeps the Usage of before the packed summary, computed from the
// keys, observations and daily tables with SQL. Tests compare the summary's
// answers with it, and the benchmark measures both.

type keyRow struct {
	ref     int64
	id      string
	since   sql.NullInt64
	through int64
}

// usageFromTables returns the usage of keyIDs (all keys of the server when keyIDs is
// nil) as of now. Keys the store has never seen are absent from the map.
func (s *Store) usageFromTables(ctx context.Context, now time.Time, keyIDs []string) (map[string]Usage, error) {
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
