package history

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
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

// Usage returns the usage of keyIDs (all keys of the server when keyIDs is
// nil) as of now. Keys the store has never seen are absent from the map.
// It reads the server's packed summary (one row, and none at all while
// the file's generation for the server is the one already cached).
func (s *Store) Usage(ctx context.Context, now time.Time, keyIDs []string) (map[string]Usage, error) {
	var out map[string]Usage
	err := s.UsageEach(ctx, now, keyIDs, func(n int) { out = make(map[string]Usage, n) },
		func(id string, u Usage) { out[id] = u })
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UsageEach is Usage handing each key's usage to each, in the order of
// keyIDs (a key asked for twice is told once), instead of collecting them
// in a map; size is told first an upper bound on the calls to each. A
// caller that keeps usage in its own form saves a map of every key.
func (s *Store) UsageEach(ctx context.Context, now time.Time, keyIDs []string, size func(n int), each func(id string, u Usage)) error {
	s.states.RLock()
	defer s.states.RUnlock()
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("usage: %w", err)
	}
	defer tx.Rollback()
	noteLocked(ctx)
	sm, err := s.loadSummary(ctx, tx)
	if err != nil {
		return fmt.Errorf("usage: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("usage: %w", err)
	}
	n := now.UnixMilli()
	c := usageCalc{n: n, windows: [3]int64{n - dayMs, n - 7*dayMs, n - 30*dayMs},
		horizon: n - s.opts.RawRetention.Milliseconds()}
	d0 := dayOf(n - dayMs)
	c.baseFrom, c.baseTo = d0-baselineDays, d0-1
	c.slab = make([]int64, 0, 3*min(len(sm.keys), 4096))
	emit := func(k *keyState) {
		if len(c.slab)+3 > cap(c.slab) {
			// A new slab: the Usage values handed out point into the old one.
			c.slab = make([]int64, 0, cap(c.slab))
		}
		each(k.id, c.of(k))
	}
	if keyIDs == nil {
		size(len(sm.keys))
		for _, k := range sm.keys {
			emit(k)
		}
		return nil
	}
	size(min(len(sm.keys), len(keyIDs)))
	if len(keyIDs) < len(sm.keys)/8 {
		// A few keys (one user's): a map of them, and one pass over the
		// states, costs less than an index of every state.
		found := make(map[string]*keyState, len(keyIDs))
		for _, id := range keyIDs {
			found[id] = nil
		}
		for _, k := range sm.keys {
			if _, ok := found[k.id]; ok {
				found[k.id] = k
			}
		}
		for _, id := range keyIDs {
			if k := found[id]; k != nil {
				delete(found, id) // told once
				emit(k)
			}
		}
		return nil
	}
	// Most keys (all users'): their states are found as a Record finds
	// them, and each is told once. A map of the ids asked for would be
	// about 40 MB of garbage at a million keys.
	f := newFinder(sm.keys)
	told := make([]bool, len(sm.keys))
	for _, id := range keyIDs {
		if i, ok := f.find(id); ok && !told[i] {
			told[i] = true
			emit(sm.keys[i])
		}
	}
	return nil
}

// usageCalc is the arithmetic of one Usage call: the window starts, the
// raw-retention horizon and the baseline days, all derived from now.
type usageCalc struct {
	n                int64
	windows          [3]int64
	horizon          int64
	baseFrom, baseTo int64
	// slab holds the windows' counts, so 100,000 keys do not cost 300,000
	// allocations; the Usage pointers point into it.
	slab []int64
}

// of is one key's Usage. A window's calls are the intervals that ended in
// it, the one straddling its start taking the share of its time inside.
func (c *usageCalc) of(k *keyState) Usage {
	u := Usage{Through: time.UnixMilli(k.seenAt).UTC()}
	if k.has&hasSince == 0 {
		return u
	}
	since := k.vals[optSince]
	u.Since = time.UnixMilli(since).UTC()
	var calls [3]float64
	var est [3]bool
	var base [baselineDays]int64
	for _, iv := range k.recent {
		// The baseline reads what Record put in the daily roll-ups: every
		// interval's spread, also of reads later than now.
		if iv.calls > 0 && dayOf(iv.at-1) >= c.baseFrom && dayOf(iv.from) <= c.baseTo {
			for _, p := range spread(iv.from, iv.at, iv.calls) {
				if p.day >= c.baseFrom && p.day <= c.baseTo {
					base[p.day-c.baseFrom] += p.calls
				}
			}
		}
		if iv.at > c.n || iv.at <= c.windows[2] {
			continue
		}
		if iv.flags&flagReset != 0 {
			u.Reset = true
		}
		if iv.calls <= 0 || iv.at <= iv.from {
			continue
		}
		for i, ws := range c.windows {
			if iv.at <= ws {
				continue
			}
			calls[i] += float64(iv.calls) * float64(iv.at-max(iv.from, ws)) / float64(iv.at-iv.from)
			if iv.from < ws {
				est[i] = true
			}
		}
	}
	ptrs := [3]**int64{&u.Calls24h, &u.Calls7d, &u.Calls30d}
	for i, ws := range c.windows {
		if since > ws || c.horizon > ws || k.seenAt < ws {
			continue
		}
		c.slab = append(c.slab, int64(math.Round(calls[i])))
		*ptrs[i] = &c.slab[len(c.slab)-1]
		u.Estimated = u.Estimated || est[i]
	}
	if span := c.n - max(since, c.windows[1]); span >= dayMs && c.horizon <= max(since, c.windows[1]) {
		v := calls[1] / (float64(span) / float64(dayMs))
		u.PerDay7d = &v
		u.PerDaySpan = time.Duration(span) * time.Millisecond
		u.Estimated = u.Estimated || est[1]
	}
	if u.Calls24h != nil && since <= c.baseFrom*dayMs {
		var nonZero []int64
		for _, v := range base {
			if v > 0 {
				nonZero = append(nonZero, v)
			}
		}
		switch {
		case *u.Calls24h > SpikeMinCalls && float64(*u.Calls24h) > SpikeFactor*median(nonZero):
			u.Change = ChangeSpike
		case *u.Calls24h == 0 && len(nonZero) >= SteadyDays:
			u.Change = ChangeSilent
		}
	}
	return u
}

// median of the baseline days' calls, the days missing from nonZero being 0.
func median(nonZero []int64) float64 {
	v := make([]int64, baselineDays)
	copy(v[baselineDays-min(len(nonZero), baselineDays):], nonZero)
	slices.Sort(v)
	return float64(v[baselineDays/2])
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
