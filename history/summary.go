package history

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"unsafe"
)

// The summary is every key's state and its recent intervals packed into one
// blob per server, rewritten by each Record. Reading 100,000 rows through
// database/sql costs about a microsecond each, so Record's look-up of the
// previous states and Usage's per-key arithmetic read this one row instead
// of the keys and observations tables. The tables stay the record of
// truth; the summary is rebuilt from them when it is missing.

// summaryFormat is the first byte of the blob; a blob of another format is
// rebuilt from the tables rather than misread.
const summaryFormat = 1

// recentKeep is how far before a Record's read time the summary keeps a
// key's intervals: the longest usage window (30 days) and a day of slack,
// so a Usage asked a little before the last read is still exact.
const recentKeep = 31 * dayMs

// interval is the calls one observation implies over [from, at), or a
// reset (flagReset, no calls counted) observed at at.
type interval struct {
	from, at, calls int64
	flags           int
}

// keyState is one key in the summary: its keys-table row and its intervals
// of the last recentKeep, oldest first.
type keyState struct {
	id string
	state
	recent []interval
}

// summary is the decoded blob of one server.
type summary struct {
	gen  int64
	keys []*keyState
}

// presence bits of the nullable fields, in the order encodeSummary and
// decodeSummary list them.
const (
	hasSince = 1 << iota
	hasBaseTotal
	hasBaseAt
	hasObsTotal
	hasObsUsed
	hasObsExpires
	isActive
)

// encodeSummary packs keys into buf's memory when it is large enough (a
// Record encodes its parts one after another into one buffer: the driver
// copies each as it binds it), else into a new buffer with an eighth to
// spare, and returns the blob.
func encodeSummary(buf []byte, keys []*keyState) []byte {
	size := summarySize(keys)
	b := buf[:0]
	if cap(b) < size {
		// An eighth more, so that a later part a little larger fits too.
		b = make([]byte, 0, size+size/8)
	}
	b = append(b, summaryFormat)
	b = binary.AppendUvarint(b, uint64(len(keys)))
	for _, k := range keys {
		for _, s := range [3]string{k.id, k.name, k.user} {
			b = binary.AppendUvarint(b, uint64(len(s)))
			b = append(b, s...)
		}
		b = binary.AppendVarint(b, k.ref)
		b = binary.AppendVarint(b, k.seenAt)
		b = append(b, k.has)
		for f := range numOpt {
			if k.has&(1<<f) != 0 {
				b = binary.AppendVarint(b, k.vals[f])
			}
		}
		b = binary.AppendUvarint(b, uint64(len(k.recent)))
		for _, iv := range k.recent {
			b = binary.AppendVarint(b, iv.at)
			b = binary.AppendVarint(b, iv.at-iv.from)
			b = binary.AppendVarint(b, iv.calls)
			b = append(b, byte(iv.flags))
		}
	}
	return b
}

// summarySize is the length of the blob encodeSummary makes of keys.
func summarySize(keys []*keyState) int {
	size := 1 + uvarintLen(uint64(len(keys)))
	for _, k := range keys {
		for _, t := range [3]string{k.id, k.name, k.user} {
			size += uvarintLen(uint64(len(t))) + len(t)
		}
		size += varintLen(k.ref) + varintLen(k.seenAt) + 1 + uvarintLen(uint64(len(k.recent)))
		for f := range numOpt {
			if k.has&(1<<f) != 0 {
				size += varintLen(k.vals[f])
			}
		}
		for _, iv := range k.recent {
			size += varintLen(iv.at) + varintLen(iv.at-iv.from) + varintLen(iv.calls) + 1
		}
	}
	return size
}

// uvarintLen and varintLen are the bytes binary.AppendUvarint and
// binary.AppendVarint write for x.
func uvarintLen(x uint64) int { return (bits.Len64(x|1) + 6) / 7 }

func varintLen(x int64) int { return uvarintLen(uint64(x<<1) ^ uint64(x>>63)) }

var errBadSummary = errors.New("malformed summary")

// decodeSummary unpacks a blob, which it takes over: the strings it returns
// share the blob's memory (no copy of a blob of a million keys), so the
// caller must never change blob afterwards.
func decodeSummary(blob []byte) ([]*keyState, error) {
	return appendSummary(nil, blob)
}

// summaryLen is the number of keys a blob says it holds.
func summaryLen(blob []byte) (int, error) {
	if len(blob) == 0 || blob[0] != summaryFormat {
		return 0, errBadSummary
	}
	n, w := binary.Uvarint(blob[1:])
	if w <= 0 || n > uint64(len(blob)) {
		return 0, errBadSummary
	}
	return int(n), nil
}

// appendSummary is decodeSummary appending to keys: a summary in parts is
// decoded into one slice, which the caller sizes for all of them.
func appendSummary(keys []*keyState, blob []byte) ([]*keyState, error) {
	if len(blob) == 0 || blob[0] != summaryFormat {
		return nil, errBadSummary
	}
	text := unsafe.String(unsafe.SliceData(blob), len(blob))
	p := 1
	bad := false
	uv := func() uint64 {
		v, n := binary.Uvarint(blob[p:])
		if n <= 0 {
			bad = true
			return 0
		}
		p += n
		return v
	}
	sv := func() int64 {
		v, n := binary.Varint(blob[p:])
		if n <= 0 {
			bad = true
			return 0
		}
		p += n
		return v
	}
	str := func() string {
		n := uv()
		if bad || n > uint64(len(blob)-p) {
			bad = true
			return ""
		}
		s := text[p : p+int(n)]
		p += int(n)
		return s
	}
	n := uv()
	if bad || n > uint64(len(blob)) {
		return nil, errBadSummary
	}
	keys = slices.Grow(keys, int(n))
	all := make([]keyState, n)
	// Slabs of intervals hold every key's; each key's slice is capped at
	// its own length, so an append (Record's) copies instead of
	// overwriting the next key's. A slab is filled before the next is
	// made: nothing is reserved for keys without intervals.
	var slab []interval
	for i := range all {
		k := &all[i]
		k.id, k.name, k.user = str(), str(), str()
		k.ref = sv()
		k.seenAt = sv()
		if bad || p >= len(blob) {
			return nil, errBadSummary
		}
		bits := blob[p]
		p++
		k.has = bits & (1<<numOpt - 1 | isActive)
		for f := range numOpt {
			if bits&(1<<f) != 0 {
				k.vals[f] = sv()
			}
		}
		m := uv()
		if bad || m > uint64(len(blob)-p) {
			return nil, errBadSummary
		}
		if m > 0 {
			if uint64(cap(slab)-len(slab)) < m {
				slab = make([]interval, 0, max(m, 1<<14))
			}
			start := len(slab)
			for range m {
				slab = append(slab, interval{})
			}
			k.recent = slab[start:len(slab):len(slab)]
			for j := range k.recent {
				iv := &k.recent[j]
				iv.at = sv()
				iv.from = iv.at - sv()
				iv.calls = sv()
				if bad || p >= len(blob) {
					return nil, errBadSummary
				}
				iv.flags = int(blob[p])
				p++
			}
		}
		if bad {
			return nil, errBadSummary
		}
		keys = append(keys, k)
	}
	if p != len(blob) {
		return nil, errBadSummary
	}
	return keys, nil
}

// querier is what the summary reads through: a transaction or the db.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// summaryGen returns the generation of the server's summary (0: none).
func (s *Store) summaryGen(ctx context.Context, q querier) (int64, error) {
	var gen int64
	err := q.QueryRowContext(ctx, `SELECT gen FROM summaries WHERE server_id = ?`, s.serverID).Scan(&gen)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("summary generation: %w", err)
	}
	return gen, nil
}

// loadSummary returns the server's summary: the cached one when its
// generation is still the file's, else the one in the file (its parts),
// else (a file from before summaries, a summary pruned, or one this
// program cannot read) one rebuilt from the tables. The result may be the
// cache: only Record changes it, holding s.states for writing, after
// dropping it from the cache.
func (s *Store) loadSummary(ctx context.Context, q querier) (*summary, error) {
	gen, err := s.summaryGen(ctx, q)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	c := s.cache
	s.mu.Unlock()
	if c != nil && gen != 0 && c.gen == gen {
		return c, nil
	}
	sm := &summary{gen: gen}
	if gen != 0 {
		keys, err := s.readSummary(ctx, q)
		switch {
		case err == nil:
			sm.keys = keys
			s.setCache(sm)
			return sm, nil
		case !errors.Is(err, errBadSummary):
			return nil, err
		}
	}
	if sm.keys, err = s.rebuildSummary(ctx, q); err != nil {
		return nil, err
	}
	// A rebuilt summary is not cached under gen: the file still holds no
	// (or a bad) blob for it, and the next Record writes a proper one.
	sm.gen = -1
	return sm, nil
}

// readSummary reads and decodes the server's summary: its parts in order,
// or the one blob of a file from before parts. errBadSummary: there is
// none (pruned) or it cannot be read.
func (s *Store) readSummary(ctx context.Context, q querier) ([]*keyState, error) {
	var blob []byte
	if err := q.QueryRowContext(ctx, `SELECT data FROM summaries WHERE server_id = ?`, s.serverID).Scan(&blob); err != nil {
		return nil, fmt.Errorf("read summary: %w", err)
	}
	if len(blob) > 0 {
		return decodeSummary(blob)
	}
	// CAST: a part stored as TEXT (a BLOB column converts nothing, so an
	// outside write can store one) would reach Scan as a string, which
	// database/sql copies into one buffer it reuses for every row.
	rows, err := q.QueryContext(ctx, `SELECT CAST(data AS BLOB) FROM summary_parts WHERE server_id = ? ORDER BY part`, s.serverID)
	if err != nil {
		return nil, fmt.Errorf("read summary: %w", err)
	}
	defer rows.Close()
	// The parts are scanned as sql.RawBytes, the driver's own copy of
	// each: a []byte would be a second copy of a million keys' blob (about
	// 85 MB of garbage a Record). The decoded strings point into them,
	// which is safe only because they reach Scan as blobs (the CAST), which
	// database/sql hands over as they are, and this driver copies every
	// blob it reads into new memory it never reuses
	// (TestDriverBlobsOutliveTheirRow, TestSummaryPartsStoredAsText).
	// All are read first, so that one slice sized for every key holds
	// their states.
	var parts []sql.RawBytes
	total := 0
	for rows.Next() {
		var part sql.RawBytes
		if err := rows.Scan(&part); err != nil {
			return nil, fmt.Errorf("read summary: %w", err)
		}
		n, err := summaryLen(part)
		if err != nil {
			return nil, err
		}
		parts = append(parts, part)
		total += n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read summary: %w", err)
	}
	if len(parts) == 0 {
		return nil, errBadSummary
	}
	keys := make([]*keyState, 0, total)
	for _, part := range parts {
		if keys, err = appendSummary(keys, part); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

// Forget lets go of the summary the Store keeps between calls: the next
// Record or Usage reads it from the file again (about a second per million
// keys). A process that reads usage once per load of keys, such as the
// local dashboard, calls it after that read instead of keeping every
// key's state twice (about 190 MB at a million keys).
func (s *Store) Forget() { s.setCache(nil) }

func (s *Store) setCache(sm *summary) {
	s.mu.Lock()
	s.cache = sm
	s.mu.Unlock()
}

// rebuildSummary reads the summary's contents from the tables.
func (s *Store) rebuildSummary(ctx context.Context, q querier) ([]*keyState, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, key_id, name, username, seen_at, calls_since,
		base_total, base_at, obs_total, obs_used, obs_active, obs_expires
		FROM keys WHERE server_id = ? ORDER BY id`, s.serverID)
	if err != nil {
		return nil, fmt.Errorf("rebuild summary: %w", err)
	}
	defer rows.Close()
	var keys []*keyState
	byRef := make(map[int64]*keyState)
	var latest int64
	for rows.Next() {
		k := new(keyState)
		var opt [numOpt]sql.NullInt64
		var active bool
		if err := rows.Scan(&k.ref, &k.id, &k.name, &k.user, &k.seenAt, &opt[optSince],
			&opt[optBaseTotal], &opt[optBaseAt], &opt[optObsTotal], &opt[optObsUsed], &active, &opt[optObsExpires]); err != nil {
			return nil, fmt.Errorf("rebuild summary: %w", err)
		}
		for f, v := range opt {
			k.set(f, v)
		}
		k.setActive(active)
		keys = append(keys, k)
		byRef[k.ref] = k
		latest = max(latest, k.seenAt)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("rebuild summary: %w", err)
	}
	rows.Close()
	obs, err := q.QueryContext(ctx, `SELECT key_ref, from_at, at, COALESCE(calls, 0), flags FROM observations
		WHERE server_id = ? AND at > ? AND from_at IS NOT NULL AND (calls > 0 OR flags & 2)
		ORDER BY at`, s.serverID, latest-recentKeep)
	if err != nil {
		return nil, fmt.Errorf("rebuild summary: %w", err)
	}
	defer obs.Close()
	for obs.Next() {
		var ref int64
		var iv interval
		if err := obs.Scan(&ref, &iv.from, &iv.at, &iv.calls, &iv.flags); err != nil {
			return nil, fmt.Errorf("rebuild summary: %w", err)
		}
		if k := byRef[ref]; k != nil {
			k.recent = append(k.recent, iv)
		}
	}
	if err := obs.Err(); err != nil {
		return nil, fmt.Errorf("rebuild summary: %w", err)
	}
	return keys, nil
}

// summaryPartKeys is how many keys one part of a summary holds: about
// 2 MB, so that writing a million keys' summary never holds more than a
// part's copies at once (one blob of them all was copied whole several
// times on its way into the file: about 250 MB at once).
const summaryPartKeys = 20_000

// saveSummary writes keys as the server's summary with the next
// generation, in parts (at least one, so an empty summary is still one),
// and returns it.
func (s *Store) saveSummary(ctx context.Context, tx *sql.Tx, keys []*keyState) (*summary, error) {
	gen, err := s.summaryGen(ctx, tx)
	if err != nil {
		return nil, err
	}
	gen++
	if _, err := tx.ExecContext(ctx, `INSERT INTO summaries (server_id, gen, data) VALUES (?, ?, x'')
		ON CONFLICT (server_id) DO UPDATE SET gen = excluded.gen, data = excluded.data`,
		s.serverID, gen); err != nil {
		return nil, fmt.Errorf("write summary: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM summary_parts WHERE server_id = ?`, s.serverID); err != nil {
		return nil, fmt.Errorf("write summary: %w", err)
	}
	put, err := tx.PrepareContext(ctx, `INSERT INTO summary_parts (server_id, part, data) VALUES (?, ?, ?)`)
	if err != nil {
		return nil, fmt.Errorf("write summary: %w", err)
	}
	defer put.Close()
	// One buffer for every part: the driver copies a blob as it binds it.
	var buf []byte
	for part, lo := 0, 0; part == 0 || lo < len(keys); part, lo = part+1, lo+summaryPartKeys {
		hi := min(lo+summaryPartKeys, len(keys))
		buf = encodeSummary(buf, keys[lo:hi])
		if _, err := put.ExecContext(ctx, s.serverID, part, buf); err != nil {
			return nil, fmt.Errorf("write summary: %w", err)
		}
	}
	return &summary{gen: gen, keys: keys}, nil
}
