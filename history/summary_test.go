package history

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"h2ogpte-keys/model"
)

// TestSummaryUsageMatchesTables drives random histories (changes, resets,
// gaps, stale reads, keys appearing and vanishing, several servers) and
// checks that Usage from the packed summary says exactly what the tables
// say, at several instants.
func TestSummaryUsageMatchesTables(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 7))
			path := filepath.Join(t.TempDir(), "history.db")
			now := t0
			s := openAt(t, path, server, &now, Options{})
			other := openAt(t, path, "https://other.example.com", &now, Options{})
			totals := make([]int64, 40)
			at := t0
			for step := range 120 {
				at = at.Add(time.Duration(rng.IntN(40)+1) * time.Hour)
				now = at
				if step == 40 || step == 80 {
					totals = append(totals, make([]int64, 5)...) // new keys
				}
				var ks []model.APIKey
				for i := range totals {
					if rng.IntN(10) == 0 {
						continue // not listed in this read
					}
					switch r := rng.IntN(20); {
					case r == 0:
						totals[i] = int64(rng.IntN(5)) // reset
					case r < 8:
						totals[i] += int64(rng.IntN(400))
					}
					ks = append(ks, key(fmt.Sprintf("k%d", i), totals[i]))
				}
				// Reads in the order of the read before, in another
				// order, with a key listed twice, with new keys among
				// the old: each key meets its own state however found.
				switch step % 6 {
				case 1:
					rng.Shuffle(len(ks), func(i, j int) { ks[i], ks[j] = ks[j], ks[i] })
				case 3:
					if len(ks) > 2 {
						ks = slices.Insert(ks, rng.IntN(len(ks)), ks[rng.IntN(len(ks))])
					}
				case 4:
					if n := len(ks); n > 6 {
						ks = append(ks[n-3:n:n], ks[:n-3]...) // the newest first
					}
				}
				readAt := at
				if step%17 == 0 {
					readAt = at.Add(-3 * time.Hour) // a slower writer's older read
				}
				record(t, s, readAt, ks...)
				record(t, other, readAt, ks[:len(ks)/2]...)
				if step%10 != 9 {
					continue
				}
				for _, q := range []time.Time{at, at.Add(5 * time.Hour), at.Add(-2 * time.Hour)} {
					got, err := s.Usage(context.Background(), q, nil)
					if err != nil {
						t.Fatal(err)
					}
					want, err := s.usageFromTables(context.Background(), q, nil)
					if err != nil {
						t.Fatal(err)
					}
					// The average is summed in another order than SQL's
					// TOTAL: it may differ in the last bits, nothing more.
					for _, m := range []map[string]Usage{got, want} {
						for id, u := range m {
							if u.PerDay7d != nil {
								v := math.Round(*u.PerDay7d*1e6) / 1e6
								u.PerDay7d = &v
								m[id] = u
							}
						}
					}
					if !reflect.DeepEqual(got, want) {
						for id := range want {
							if !reflect.DeepEqual(got[id], want[id]) {
								t.Errorf("step %d at %v key %s:\nsummary %s\ntables  %s", step, q, id, fmtUsage(got[id]), fmtUsage(want[id]))
							}
						}
						t.Fatalf("step %d: %d keys from the summary, %d from the tables", step, len(got), len(want))
					}
				}
			}
		})
	}
}

// TestSummaryCacheSeesOtherWriters: a Store's cached summary is not used
// once another Store (another process) has recorded.
func TestSummaryCacheSeesOtherWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.db")
	now := t0
	a := openAt(t, path, server, &now, Options{})
	b := openAt(t, path, server, &now, Options{})
	record(t, a, t0, key("k", 0))
	record(t, a, t0.AddDate(0, 0, 1), key("k", 10))
	wantCalls(t, "before", usageOf(t, a, t0.AddDate(0, 0, 1), "k").Calls24h, "10")
	record(t, b, t0.AddDate(0, 0, 1).Add(time.Hour), key("k", 50))
	wantCalls(t, "after another writer", usageOf(t, a, t0.AddDate(0, 0, 1).Add(time.Hour), "k").Calls24h, "50")
}

// TestSummaryRebuiltWhenUnreadable: a missing or damaged summary is rebuilt
// from the tables, never misread.
func TestSummaryRebuiltWhenUnreadable(t *testing.T) {
	for _, damage := range []string{`DELETE FROM summaries`, `UPDATE summaries SET gen = gen + 1, data = x'01ff'`} {
		s, _ := newStore(t)
		record(t, s, t0, key("k", 0), key("j", 5))
		record(t, s, t0.AddDate(0, 0, 1), key("k", 30), key("j", 5))
		if _, err := s.db.Exec(damage); err != nil {
			t.Fatal(err)
		}
		s.setCache(nil)
		wantCalls(t, damage, usageOf(t, s, t0.AddDate(0, 0, 1), "k").Calls24h, "30")
		record(t, s, t0.AddDate(0, 0, 2), key("k", 31), key("j", 5))
		wantCalls(t, damage+", then a read", usageOf(t, s, t0.AddDate(0, 0, 2), "k").Calls24h, "1")
	}
}

func TestSummaryRoundTrip(t *testing.T) {
	s, _ := newStore(t)
	k := key("a", 10)
	e := t0.AddDate(0, 1, 0)
	k.Expires = &e
	noTotal := key("b", 0)
	noTotal.TotalCalls = model.Opt[int64]{}
	noTotal.IsActive = false
	record(t, s, t0, k, noTotal)
	k.TotalCalls = model.Some[int64](20)
	record(t, s, t0.Add(30*time.Hour), k, noTotal)
	sm, err := s.loadSummary(context.Background(), s.db)
	if err != nil {
		t.Fatal(err)
	}
	back, err := decodeSummary(encodeSummary(nil, sm.keys))
	if err != nil || !reflect.DeepEqual(back, sm.keys) {
		t.Fatalf("round trip = %+v, %v\nwant %+v", back, err, sm.keys)
	}
	fromTables, err := s.rebuildSummary(context.Background(), s.db)
	if err != nil || !reflect.DeepEqual(fromTables, sm.keys) {
		t.Errorf("rebuilt = %+v, %v\nsummary %+v", fromTables, err, sm.keys)
	}
	blob := encodeSummary(nil, sm.keys)
	if size := summarySize(sm.keys); len(blob) != size {
		t.Errorf("the blob was sized for %d bytes and holds %d", size, len(blob))
	}
	if first, again := string(blob), encodeSummary(blob, sm.keys); unsafe.SliceData(again) != unsafe.SliceData(blob) || string(again) != first {
		t.Error("encoding again into the blob's own memory did not reuse it, or made another blob")
	}
	for n := range len(blob) - 1 {
		if _, err := decodeSummary(blob[:n]); err == nil {
			t.Errorf("a blob cut at %d of %d bytes decoded", n, len(blob))
		}
	}
}

func fmtUsage(u Usage) string {
	f := "nil"
	if u.PerDay7d != nil {
		f = fmt.Sprint(*u.PerDay7d)
	}
	return fmt.Sprintf("24h %s 7d %s 30d %s perday %s over %v since %v through %v est %v reset %v change %q",
		show(u.Calls24h), show(u.Calls7d), show(u.Calls30d), f, u.PerDaySpan, u.Since, u.Through, u.Estimated, u.Reset, u.Change)
}

// The summary's sizing agrees with what encoding/binary writes, at every
// boundary of a varint's length and at the extremes.
func TestVarintLen(t *testing.T) {
	vals := []int64{0, 1, -1, math.MaxInt64, math.MinInt64}
	for sh := 1; sh < 64; sh++ {
		v := int64(1) << sh
		vals = append(vals, v, v-1, -v, -v+1, -v-1)
	}
	for _, v := range vals {
		if got, want := varintLen(v), len(binary.AppendVarint(nil, v)); got != want {
			t.Errorf("varintLen(%d) = %d, want %d", v, got, want)
		}
		if got, want := uvarintLen(uint64(v)), len(binary.AppendUvarint(nil, uint64(v))); got != want {
			t.Errorf("uvarintLen(%d) = %d, want %d", uint64(v), got, want)
		}
	}
}

// storeInParts is a store whose summary is in three parts: two reads of
// 2*summaryPartKeys+5 keys (k000000...), the second 30 hours later with
// k000007's total raised.
func storeInParts(t *testing.T) (s *Store, path string, now *time.Time, ks []model.APIKey) {
	path = filepath.Join(t.TempDir(), "history.db")
	at := t0
	s = openAt(t, path, server, &at, Options{})
	ks = make([]model.APIKey, 2*summaryPartKeys+5)
	for i := range ks {
		ks[i] = key(fmt.Sprintf("k%06d", i), int64(i))
	}
	record(t, s, t0, ks...)
	ks[7].TotalCalls = model.Some[int64](1000)
	record(t, s, t0.Add(30*time.Hour), ks...)
	return s, path, &at, ks
}

// A summary of more keys than a part holds is written in parts and read
// back whole; a file from before parts (one blob in summaries) still
// reads.
func TestSummaryInParts(t *testing.T) {
	s, path, now, ks := storeInParts(t)
	var parts int
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM summary_parts`).Scan(&parts); err != nil || parts != 3 {
		t.Fatalf("%d parts (%v), want 3", parts, err)
	}
	want, err := s.Usage(context.Background(), t0.Add(31*time.Hour), nil)
	if err != nil {
		t.Fatal(err)
	}
	if u, v := want["k000007"], want["k040004"]; len(want) != len(ks) || u.Calls24h == nil || *u.Calls24h == 0 || v.Calls24h == nil || *v.Calls24h != 0 {
		t.Fatalf("usage of %d keys; k000007: %s; k040004: %s", len(want), fmtUsage(u), fmtUsage(v))
	}
	fresh := openAt(t, path, server, now, Options{})
	got, err := fresh.Usage(context.Background(), t0.Add(31*time.Hour), nil)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("read back from parts: %d keys (%v), want %d", len(got), err, len(want))
	}
	if fresh.cache == nil || fresh.cache.gen < 0 {
		t.Fatal("the parts were not read: the summary was rebuilt from the tables")
	}

	// The one blob of a file from before parts.
	sm, err := fresh.loadSummary(context.Background(), fresh.db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Exec(`UPDATE summaries SET data = ?`, encodeSummary(nil, sm.keys)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Exec(`DELETE FROM summary_parts`); err != nil {
		t.Fatal(err)
	}
	old := openAt(t, path, server, now, Options{})
	got, err = old.Usage(context.Background(), t0.Add(31*time.Hour), nil)
	if err != nil || !reflect.DeepEqual(got, want) || old.cache == nil || old.cache.gen < 0 {
		t.Fatalf("read back from one blob: %d keys (%v), want %d", len(got), err, len(want))
	}
}

// A state's presence bits are the summary's: the blob's bits byte is has.
func TestStateBitsAreTheSummarys(t *testing.T) {
	for f, bit := range []byte{hasSince, hasBaseTotal, hasBaseAt, hasObsTotal, hasObsUsed, hasObsExpires} {
		if bit != 1<<f {
			t.Errorf("presence bit of value %d is %#x, want %#x", f, bit, 1<<f)
		}
	}
	if isActive != 1<<numOpt {
		t.Errorf("isActive is %#x, want %#x", isActive, 1<<numOpt)
	}
	var st state
	st.set(optBaseAt, sql.NullInt64{Int64: 7, Valid: true})
	st.setActive(true)
	st.set(optBaseAt, sql.NullInt64{})
	if st.get(optBaseAt).Valid || st.vals[optBaseAt] != 0 || !st.active() || st.has != isActive {
		t.Errorf("after set and unset: %+v", st)
	}
}

// States a read did not list get their own strings (the blob can go) when
// they are few; when most were not listed, they keep the blob's.
func TestLetBlobGo(t *testing.T) {
	blob := []byte("id0id1id2id3id4id5id6id7")
	inBlob := func(s string) bool {
		p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
		lo := uintptr(unsafe.Pointer(&blob[0]))
		return p >= lo && p < lo+uintptr(len(blob))
	}
	text := unsafe.String(&blob[0], len(blob))
	fresh := func() []*keyState {
		var sts []*keyState
		for i := range 8 {
			id := text[3*i : 3*i+3]
			sts = append(sts, &keyState{id: id, state: state{name: id, user: id}})
		}
		return sts
	}
	few := fresh()
	matched := []bool{true, true, true, true, true, true, true, false}
	letBlobGo(few, matched)
	for i, st := range few {
		if st.id != fmt.Sprint("id", i) || st.name != st.id || st.user != st.id {
			t.Fatalf("state %d changed: %+v", i, st)
		}
		if !matched[i] && (inBlob(st.id) || inBlob(st.name) || inBlob(st.user)) {
			t.Errorf("state %d, not listed, still points into the blob", i)
		}
	}
	many := fresh()
	letBlobGo(many, []bool{true, false, false, false, false, false, false, false})
	for i, st := range many {
		if !inBlob(st.id) {
			t.Errorf("state %d: copied although most were not listed", i)
		}
	}
}

// readSummary keeps the parts it scans as sql.RawBytes after their rows,
// and the decoded states' strings point into them: database/sql promises
// RawBytes only until the next row, so this pins what the driver does
// beyond that (modernc.org/sqlite copies each blob it reads into new
// memory and never writes it again). A driver upgrade that reuses its
// buffers fails here, not as states with garbled names.
func TestDriverBlobsOutliveTheirRow(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	if _, err := s.db.ExecContext(ctx, `CREATE TEMP TABLE blobs (n INTEGER, data BLOB)`); err != nil {
		t.Fatal(err)
	}
	want := make([][]byte, 50)
	for i := range want {
		want[i] = []byte(fmt.Sprintf("blob %d %s", i, strings.Repeat("x", 100*i)))
		if _, err := s.db.ExecContext(ctx, `INSERT INTO blobs VALUES (?, ?)`, i, want[i]); err != nil {
			t.Fatal(err)
		}
	}
	read := func() []sql.RawBytes {
		rows, err := s.db.QueryContext(ctx, `SELECT data FROM blobs ORDER BY n`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var got []sql.RawBytes
		for rows.Next() {
			var b sql.RawBytes
			if err := rows.Scan(&b); err != nil {
				t.Fatal(err)
			}
			got = append(got, b)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return got
	}
	got := read()
	// Another read of the same rows, on the same connection, after these
	// rows are closed: a driver that reused its buffers would write here.
	again := read()
	for i := range want {
		if string(got[i]) != string(want[i]) || string(again[i]) != string(want[i]) {
			t.Fatalf("blob %d read as %.20q then %.20q, want %.20q", i, got[i], again[i], want[i])
		}
		if i > 0 && unsafe.SliceData(got[i]) == unsafe.SliceData(again[i]) {
			t.Fatalf("blob %d: both reads share memory", i)
		}
	}
}

// Summary parts stored as TEXT (a BLOB column converts nothing, so an
// outside write can store one) are read as they are, not garbled by
// database/sql's buffer for strings, which every row reuses.
func TestSummaryPartsStoredAsText(t *testing.T) {
	s, path, now, _ := storeInParts(t)
	want, err := s.Usage(context.Background(), t0.Add(31*time.Hour), nil)
	if err != nil {
		t.Fatal(err)
	}
	var texts int
	if _, err := s.db.Exec(`UPDATE summary_parts SET data = CAST(data AS TEXT)`); err != nil {
		t.Fatal(err)
	}
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM summary_parts WHERE typeof(data) = 'text'`).Scan(&texts); err != nil || texts != 3 {
		t.Fatalf("%d parts stored as text (%v), want 3", texts, err)
	}
	fresh := openAt(t, path, server, now, Options{})
	got, err := fresh.Usage(context.Background(), t0.Add(31*time.Hour), nil)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("read back from text parts: %d keys (%v), want %d", len(got), err, len(want))
	}
	if fresh.cache == nil || fresh.cache.gen < 0 {
		t.Fatal("the text parts were not read: the summary was rebuilt from the tables")
	}
	for i, k := range fresh.cache.keys {
		if want := fmt.Sprintf("k%06d", i); k.id != want {
			t.Fatalf("state %d is %q, want %q", i, k.id, want)
		}
	}
}
