package client

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"h2ogpte-keys/demoserver"
	"h2ogpte-keys/model"
)

// demoBody is one listing page of n extra keys as the demo server spells it.
func demoBody(tb testing.TB, opts demoserver.Options, n int) []byte {
	tb.Helper()
	opts.Seed, opts.ExtraKeys, opts.Now = 1, n, fixedNow
	req := httptest.NewRequest(http.MethodGet, "/api/v1/admin/api_keys?limit=10000000", nil)
	req.Header.Set("Authorization", "Bearer "+demoserver.DemoToken)
	rec := httptest.NewRecorder()
	demoserver.New(opts).ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		tb.Fatalf("demo listing: %d %s", rec.Code, rec.Body)
	}
	return rec.Body.Bytes()
}

// oddBodies are listings the fast decoder must either read exactly as
// encoding/json does or hand over to it: the API's odd cases, encoding/json's
// quirks (case-insensitive names, duplicates, null into plain fields,
// invalid UTF-8) and broken JSON.
var oddBodies = []string{
	`[]`, ` [ ] `, `null`, `{}`, `[null]`, `[{}]`, `[1]`, `"x"`, ``, `[`, `[{"id":"a"}`,
	`[{"id":"a"}]x`, `[{"id":"a"},]`, `[{"id":"a",}]`, `[{"id" "a"}]`, `[{"id":"a"}{"id":"b"}]`,
	"\t[\n{ \"id\" : \"a\" ,\r\"username\":\"u\"}\r]\n",
	`[{"ID":"x"}]`, `[{"Username":"x"}]`, `[{"IS_ACTIVE":true}]`, `[{"\u0069d":"x"}]`, `[{"ıd":"x"}]`, `[{"id\u0000":"x"}]`,
	`[{"id":"a","id":"b"}]`, `[{"username":"a","username":null}]`, `[{"id":null}]`,
	`[{"expires_at":"2026-01-02T03:04:05Z","expires_at":null}]`, `[{"expires_at":null}]`,
	`[{"last_used_at":"2026-01-02T03:04:05Z","last_used_at":null}]`, `[{"last_used_at":null,"total_calls":null,"inactivity_interval":null}]`,
	`[{"name":"caf\u00e9 \ud83d\ude00","username":"Jos\u00e9"}]`, "[{\"name\":\"caf\xc3\xa9\"}]", "[{\"name\":\"bad \xff utf8\"}]",
	`[{"name":"\ud800 lone surrogate"}]`, "[{\"name\":\"tab\there\"}]", `[{"name":"\q"}]`, `[{"name":"\u12"}]`, `[{"name":"a\/b\"c\\d\n"}]`,
	`[{"total_calls":1.0}]`, `[{"total_calls":1e3}]`, `[{"total_calls":"5"}]`, `[{"total_calls":-0}]`, `[{"total_calls":-}]`,
	`[{"total_calls":01}]`, `[{"total_calls":9223372036854775807}]`, `[{"total_calls":9223372036854775808}]`,
	`[{"inactivity_interval":-30}]`, `[{"inactivity_interval":true}]`, `[{"inactivity_interval":30,"inactivity_interval":null}]`,
	`[{"is_active":"true"}]`, `[{"is_active":null}]`, `[{"is_active":true,"is_active":false}]`, `[{"is_global_key":1}]`, `[{"is_active":tru}]`,
	`[{"created_at":"2026-01-02T03:04:05+00:00"}]`, `[{"created_at":"2026-01-02T03:04:05.123456789Z"}]`,
	`[{"created_at":"2026-01-02T03:04:05.5-07:30"}]`, `[{"created_at":"2026-01-02 03:04:05Z"}]`, `[{"created_at":"2026-01-02T03:04:05"}]`,
	`[{"created_at":"2026-01-02T03:04:05.Z"}]`, `[{"created_at":"2026-01-02T24:04:05Z"}]`, `[{"created_at":null}]`, `[{"created_at":0}]`,
	`[{"created_at":"2026-01-02T03:04:05\u005a"}]`, `[{"expires_at":"2026-13-02T03:04:05Z"}]`, `[{"last_used_at":5}]`,
	`[{"x":{"a":[1,2,{"b":null}],"c":-1.5e+10,"d":true,"e":false}},{"y":"\u0041","z":[]}]`,
	`[{"x":[}]`, `[{"x":01}]`, `[{"x":1.}]`, `[{"x":1e}]`, `[{"x":-}]`, `[{"x":.5}]`, `[{"x":+1}]`, `[{"x":{"a" 1}}]`, `[{"x":nul}]`,
	`[{"x":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}]`,
	`[{"x":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}]`,
	`[{"collection_id":null,"collection_name":null,"hint":"abcd","some_new_field":{"x":1}}]`,
}

// checkSameAsJSON fails t when the fast decoder succeeds on body but reads
// it differently from encoding/json, or succeeds where encoding/json fails.
func checkSameAsJSON(t *testing.T, body []byte) {
	t.Helper()
	fast, ok := decodeKeysFast(body, newInterner())
	var old []model.APIKey
	err := json.Unmarshal(body, &old)
	if !ok {
		return // handed to encoding/json: the same by construction
	}
	if err != nil {
		t.Fatalf("fast decoder accepts %q, encoding/json refuses it: %v", clip(body), err)
	}
	if !reflect.DeepEqual(fast, old) {
		t.Fatalf("decoders differ on %q:\nfast %+v\njson %+v", clip(body), fast, old)
	}
}

func clip(b []byte) []byte { return b[:min(len(b), 300)] }

func TestDecodeKeysFastMatchesJSON(t *testing.T) {
	for _, b := range oddBodies {
		checkSameAsJSON(t, []byte(b))
	}
	// The fast path must actually be taken for what servers send, in
	// every spelling, and agree key by key.
	for name, opts := range map[string]demoserver.Options{
		"nulls":      {},
		"omit empty": {OmitEmpty: true},
		"old server": {OldServer: true},
	} {
		body := demoBody(t, opts, 3000)
		if _, ok := decodeKeysFast(body, nil); !ok {
			t.Errorf("%s: fast decoder gave up on the demo server's listing", name)
		}
		checkSameAsJSON(t, body)
	}
	// And for the plain shapes among the odd cases, so a regression that
	// makes it give up on everything does not pass unnoticed.
	for _, b := range []string{`[]`, `[{}]`, `[{"id":"a","id":"b"}]`, `[{"x":{"a":[1,-2.5e3]}}]`,
		`[{"last_used_at":null,"total_calls":null,"inactivity_interval":null}]`,
		`[{"created_at":"2026-01-02T03:04:05+00:00","expires_at":"2026-01-02T03:04:05.123Z"}]`,
		`[{"name":"caf\u00e9","username":"Jos\u00e9"}]`} {
		if _, ok := decodeKeysFast([]byte(b), nil); !ok {
			t.Errorf("fast decoder gave up on %s", b)
		}
	}
	// Where encoding/json fails, the fast decoder must give up.
	for _, b := range []string{`[{"id":"a"},]`, `[{"total_calls":1.0}]`, `[{"is_active":"true"}]`, "[{\"name\":\"tab\there\"}]", `[{"created_at":"2026-01-02 03:04:05Z"}]`} {
		if _, ok := decodeKeysFast([]byte(b), nil); ok {
			t.Errorf("fast decoder accepted %s", b)
		}
	}
}

func TestInternerShares(t *testing.T) {
	body := demoBody(t, demoserver.Options{}, 2000)
	keys, ok := decodeKeysFast(body, newInterner())
	if !ok {
		t.Fatal("fast decoder gave up")
	}
	first := map[string]string{}
	shared := 0
	for _, k := range keys {
		if s, ok := first[k.Username]; ok {
			if unsafeSame(s, k.Username) {
				shared++
			}
			continue
		}
		first[k.Username] = k.Username
	}
	if want := len(keys) - len(first); shared != want || want == 0 {
		t.Errorf("%d of %d repeated usernames share storage", shared, want)
	}
}

func FuzzDecodeKeys(f *testing.F) {
	for _, b := range oddBodies {
		f.Add([]byte(b))
	}
	f.Add(demoBody(f, demoserver.Options{}, 20))
	f.Add(demoBody(f, demoserver.Options{OmitEmpty: true}, 20))
	f.Add(demoBody(f, demoserver.Options{OldServer: true}, 20))
	f.Fuzz(func(t *testing.T, body []byte) {
		checkSameAsJSON(t, body)
	})
}

// BenchmarkDecodeKeys100k decodes the same 100,000-key listing with
// encoding/json (the old path) and the fast decoder, side by side.
func BenchmarkDecodeKeys100k(b *testing.B) {
	body := demoBody(b, demoserver.Options{}, 100_000)
	b.Run("encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			var keys []model.APIKey
			if err := json.Unmarshal(body, &keys); err != nil {
				b.Fatal(err)
			}
		}
	})
	// decoding decodes body again and again, with the interner in gives
	// each time (nil: none).
	decoding := func(body []byte, in func() *interner) func(*testing.B) {
		return func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, ok := decodeKeysFast(body, in()); !ok {
					b.Fatal("gave up")
				}
			}
		}
	}
	b.Run("fast", decoding(body, func() *interner { return nil }))
	b.Run("fast-interned", decoding(body, newInterner))
	// A listing's pages decode at once on their own goroutines and share
	// one interner, as StreamKeys decodes them; "page" is one at a time.
	page := demoBody(b, demoserver.Options{}, 1000)
	b.Run("page", func(b *testing.B) {
		in := newInterner()
		decoding(page, func() *interner { return in })(b)
	})
	b.Run("pages-parallel", func(b *testing.B) {
		b.SetBytes(int64(len(page)))
		b.ReportAllocs()
		in := newInterner()
		b.SetParallelism(4)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, ok := decodeKeysFast(page, in); !ok {
					b.Error("gave up")
					return
				}
			}
		})
	})
}

// unsafeSame reports whether two strings share their bytes.
func unsafeSame(a, b string) bool {
	return len(a) > 0 && len(a) == len(b) && unsafe.StringData(a) == unsafe.StringData(b)
}

// A page's own strings (ids, names, hints) share a few blocks: decoding a
// page of 1,000 keys allocates far fewer times than three a key, and the
// strings stay what encoding/json reads (TestDecodeKeysFastMatchesJSON
// decodes 3,000 keys, many blocks, and compares every string after).
func TestDecodePageAllocatesFewTimes(t *testing.T) {
	body := demoBody(t, demoserver.Options{}, 1000)
	in := newInterner()
	allocs := testing.AllocsPerRun(5, func() {
		if _, ok := decodeKeysFast(body, in); !ok {
			t.Fatal("fast decoder gave up")
		}
	})
	// The keys' slice, expiry times (a pointer each, about a third of the
	// keys) and the blocks.
	if allocs > 600 {
		t.Errorf("%.0f allocations decoding 1,000 keys", allocs)
	}
}

// Pages decoded at once on their own goroutines (as StreamKeys decodes a
// listing) with one interner still share each name: each page's own view
// of the interner hands out the interner's strings.
func TestInternerSharesAcrossPages(t *testing.T) {
	body := demoBody(t, demoserver.Options{}, 1000)
	in := newInterner()
	pages := make([][]model.APIKey, 8)
	var wg sync.WaitGroup
	for i := range pages {
		wg.Go(func() {
			for range 3 { // views are reused: later pages meet warm ones
				keys, ok := decodeKeysFast(body, in)
				if !ok {
					t.Error("fast decoder gave up")
					return
				}
				pages[i] = keys
			}
		})
	}
	wg.Wait()
	first := map[string]string{}
	for _, page := range pages {
		for _, k := range page {
			for _, s := range []string{k.Username, k.CollectionName} {
				if s == "" {
					continue
				}
				if f, ok := first[s]; !ok {
					first[s] = s
				} else if !unsafeSame(f, s) {
					t.Fatalf("%q is held twice", s)
				}
			}
		}
	}
	if len(first) < 10 {
		t.Fatalf("only %d names", len(first))
	}
}

// checkUTCTime fails when utcTime reads s otherwise than time.Time's
// UnmarshalJSON does: a time it accepts must be the same value (location
// included) and take the whole quoted string.
func checkUTCTime(t *testing.T, s string) (fast bool) {
	t.Helper()
	got, n, ok := utcTime([]byte(s + ",")) // what follows is not its
	if !ok {
		return false
	}
	if n > len(s) {
		t.Fatalf("utcTime(%s) took %d bytes", s, n)
	}
	// The decoder reads on after n; the string it took must be a whole
	// one, as rawString would take.
	raw := []byte(s[:n])
	var want time.Time
	if err := want.UnmarshalJSON(raw); err != nil {
		t.Fatalf("utcTime read %s, which UnmarshalJSON refuses: %v", raw, err)
	}
	if r, ok := (&keyDecoder{b: []byte(s)}).rawString(); !ok || !bytes.Equal(r, raw) {
		t.Fatalf("utcTime took %s of %s, rawString %s", raw, s, r)
	}
	if got != want {
		t.Fatalf("utcTime(%s) = %v, UnmarshalJSON %v", raw, got, want)
	}
	return true
}

// Every valid date of years that test the leap rule, every clock edge and
// each length of fraction is read by the fast path as UnmarshalJSON reads
// it, and what UnmarshalJSON refuses or reads another way (invalid dates,
// 24:00, a leap second, offsets, ten digits of fraction) is left to it.
func TestUTCTimeAsUnmarshalJSON(t *testing.T) {
	for _, year := range []int{0, 4, 100, 1900, 1970, 2000, 2023, 2024, 2026, 2100, 2400, 9999} {
		for month := 0; month <= 13; month++ {
			for day := 0; day <= 32; day++ {
				s := fmt.Sprintf(`"%04d-%02d-%02dT12:34:56Z"`, year, month, day)
				var ref time.Time
				valid := ref.UnmarshalJSON([]byte(s)) == nil
				if checkUTCTime(t, s) != valid {
					t.Errorf("%s: fast path %v, UnmarshalJSON accepts %v", s, !valid, valid)
				}
			}
		}
	}
	for _, s := range []string{
		`"2026-01-02T00:00:00Z"`, `"2026-01-02T23:59:59Z"`, `"2026-01-02T03:04:05.1Z"`,
		`"2026-01-02T03:04:05.123456Z"`, `"2026-01-02T03:04:05.123456789Z"`, `"2026-01-02T03:04:05.000000000Z"`,
	} {
		if !checkUTCTime(t, s) {
			t.Errorf("%s: not read by the fast path", s)
		}
	}
	for _, s := range []string{
		`"2026-01-02T24:00:00Z"`, `"2026-01-02T12:60:00Z"`, `"2016-12-31T23:59:60Z"`,
		`"2026-01-02T03:04:05.1234567891Z"`, `"2026-01-02T03:04:05.Z"`, `"2026-01-02T03:04:05+00:00"`,
		`"2026-01-02T03:04:05-07:00"`, `"2026-01-02T03:04:05z"`, `"2026-01-02t03:04:05Z"`, `"2026-01-02 03:04:05Z"`,
		`"2026-1-02T03:04:05Z"`, `"+2026-01-02T03:04:05Z"`, `"2026-01-02T03:04:05Z`, `"2026-01-02T03:04:05"`,
		`"2026-01-0xT03:04:05Z"`, `"2026-01-02T03:04:05,5Z"`, `"20260102T030405Z"`, `2026`,
	} {
		if checkUTCTime(t, s) {
			t.Errorf("%s: read by the fast path", s)
		}
	}
}

// FuzzUTCTime checks the fast path against UnmarshalJSON on any input.
func FuzzUTCTime(f *testing.F) {
	for _, s := range []string{`"2026-01-02T03:04:05Z"`, `"2024-02-29T23:59:59.999999999Z"`, `"2016-12-31T23:59:60Z"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkUTCTime(t, s)
	})
}

// plainEnd finds the first byte a plain string cannot hold at every
// position of an eight-byte word and past it, whichever bytes come after.
func TestPlainEnd(t *testing.T) {
	stops := []byte{'"', '\\', 0, 0x1f, 0x80, 0xff}
	for size := 0; size <= 24; size++ {
		for at := 0; at <= size; at++ {
			for _, stop := range stops {
				b := bytes.Repeat([]byte("a~ /0Z"), 5)[:size]
				b = append(b, 'x')[:size]
				if at < size {
					b[at] = stop
					for j := at + 1; j < size; j++ {
						b[j] = stops[(j+at)%len(stops)] // more stops after it
					}
				}
				want := size
				if at < size {
					want = at
				}
				if got := plainEnd(b, 0); got != want {
					t.Fatalf("plainEnd(%q) = %d, want %d", b, got, want)
				}
			}
		}
	}
	for c := 0; c < 256; c++ {
		b := []byte("abcdefgh-ijklmnop")
		b[10] = byte(c)
		want := len(b)
		if c == '"' || c == '\\' || c < 0x20 || c >= 0x80 {
			want = 10
		}
		if got := plainEnd(b, 0); got != want {
			t.Errorf("plainEnd with byte %#x at 10 = %d, want %d", c, got, want)
		}
	}
}
