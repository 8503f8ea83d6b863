package client

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math/bits"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
	"unsafe"

	"h2ogpte-keys/model"
)

// A key listing is the bulk of what the tool reads: a million keys are
// about 290 MB of JSON, and encoding/json reads them at ~140 MB/s. The
// decoder here reads the shapes servers send several times faster, and for
// anything it is not sure of (a field name that differs from the API's
// only in case, an escaped field name, a number that is not a plain
// integer, a wrong type, nesting deeper than it tracks, any syntax error)
// it gives up and the caller decodes the body with encoding/json instead.
// So what is accepted, what each field holds, and every error are exactly
// what encoding/json gives; the fast path only has to be right when it
// succeeds, which the differential tests and fuzz target check.
//
// Times in UTC ("...Z") with a valid date and clock are read here, into
// the very value time.Time's UnmarshalJSON (the method encoding/json
// calls) builds; every other spelling (an offset, a leap second, anything
// odd) goes through UnmarshalJSON itself, so each is read exactly as
// before (utcTime; TestUTCTimeAsUnmarshalJSON, FuzzUTCTime).

// keyFields are the API's APIKeyInfo field names. encoding/json matches
// field names without regard to case; the fast path gives up on a name
// that matches one of these only that way.
var keyFields = [...]string{
	"id", "username", "name", "hint", "created_at", "expires_at", "last_used_at",
	"inactivity_interval", "total_calls", "is_active", "collection_name",
	"collection_id", "is_global_key",
}

// maxSkipDepth bounds the nesting of an unknown field's value that the fast
// path skips; deeper values go to encoding/json, which has its own bound.
const maxSkipDepth = 64

// interner shares the strings that repeat across a listing (usernames,
// collection names and ids), so a million keys of a few hundred users hold
// a few hundred username strings, not a million copies. It is safe for
// concurrent use: pages decode on their own goroutines. It stops adding
// once it holds maxInterned strings, so a server that sends a distinct
// name on every key costs no more than without it.
type interner struct {
	mu sync.Mutex
	m  map[string]string
	// views are maps of the strings str handed out, each used by one
	// decoder at a time: a page finds the few hundred names it repeats
	// there without taking mu, which the listing's concurrent decoders
	// would otherwise take once a string (a million keys: three million
	// times, waiting on each other). A view outlives its page, so it is
	// warm for the next. (Once m is full, str hands out copies; a view
	// keeps one copy of each for its pages, so equal names are then
	// shared within a view, not across views.)
	views sync.Pool
}

// maxLocal bounds a view of the interner.
const maxLocal = 4096

// view returns a view of in for one decoder to use alone until done.
func (in *interner) view() map[string]string {
	if in == nil {
		return nil
	}
	if m, ok := in.views.Get().(map[string]string); ok {
		return m
	}
	return make(map[string]string, 256)
}

// done gives back a view from view.
func (in *interner) done(m map[string]string) {
	if in != nil && m != nil {
		in.views.Put(m)
	}
}

const maxInterned = 1 << 16

func newInterner() *interner { return &interner{m: make(map[string]string)} }

// str returns b as a string, shared with earlier equal strings.
func (in *interner) str(b []byte) string {
	if in == nil {
		return string(b)
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if s, ok := in.m[string(b)]; ok { // no allocation: the compiler looks up without copying
		return s
	}
	s := string(b)
	if len(in.m) < maxInterned {
		in.m[s] = s
	}
	return s
}

// decodeKeysFast decodes a JSON array of APIKeyInfo. ok is false when it
// gave up; the result is then meaningless and the caller must use
// encoding/json. in may be nil.
func decodeKeysFast(body []byte, in *interner) (keys []model.APIKey, ok bool) {
	d := keyDecoder{b: body, in: in, local: in.view()}
	defer in.done(d.local)
	d.ws()
	if !d.eat('[') {
		return nil, false
	}
	// A rough guess from the body size (a key is ~290 bytes of JSON) saves
	// most regrowth without overshooting much.
	keys = make([]model.APIKey, 0, min(len(body)/256+1, 4096))
	d.ws()
	if d.eat(']') {
		return keys, d.end()
	}
	for {
		d.ws()
		// Grown by reslicing where there is room: the slots past len are
		// still zero (make and append's growth clear them), and writing a
		// zero key over one would cost a write barrier per pointer while
		// the collector runs (a fifth of a second of a million keys).
		if len(keys) < cap(keys) {
			keys = keys[:len(keys)+1]
		} else {
			keys = append(keys, model.APIKey{})
		}
		if !d.object(&keys[len(keys)-1]) {
			return nil, false
		}
		d.ws()
		if d.eat(',') {
			continue
		}
		if d.eat(']') {
			return keys, d.end()
		}
		return nil, false
	}
}

type keyDecoder struct {
	b     []byte
	i     int
	in    *interner
	arena strArena
	// local is a view of in that this page alone uses (see
	// interner.view); nil when in is.
	local map[string]string
}

// intern returns b as a string shared with the listing's equal strings.
func (d *keyDecoder) intern(b []byte) string {
	if s, ok := d.local[string(b)]; ok {
		return s
	}
	s := d.in.str(b)
	if d.local != nil && len(d.local) < maxLocal {
		d.local[s] = s
	}
	return s
}

// strArena copies a page's own strings (ids, names, hints) into shared
// blocks, a few a page instead of three allocations a key: at a million
// keys, about 3,000,000 allocations and 18 MB of size-class slack fewer.
// A block is only ever appended to, so the strings handed out, views of
// its filled part, never change. Any one of them holds its whole block (8
// KB) alive: a key dropped from its page (a repeat, another user's), or
// an id the usage history keeps after the key is gone, keeps its
// neighbours' strings too, at most one block each.
type strArena struct{ block []byte }

const arenaBlock = 8 << 10

func (a *strArena) str(b []byte) string {
	if len(b) == 0 || len(b) > arenaBlock/8 {
		return string(b)
	}
	if cap(a.block)-len(a.block) < len(b) {
		a.block = make([]byte, 0, arenaBlock)
	}
	start := len(a.block)
	a.block = append(a.block, b...)
	return unsafe.String(&a.block[start], len(b))
}

func (d *keyDecoder) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *keyDecoder) eat(c byte) bool {
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

// end reports whether only whitespace follows the top-level value.
func (d *keyDecoder) end() bool {
	d.ws()
	return d.i == len(d.b)
}

// object reads one APIKeyInfo into k, which starts zero.
func (d *keyDecoder) object(k *model.APIKey) bool {
	if !d.eat('{') {
		return false // null elements and other shapes: encoding/json
	}
	d.ws()
	if d.eat('}') {
		return true
	}
	for {
		d.ws()
		name, ok := d.plainString()
		if !ok {
			return false
		}
		d.ws()
		if !d.eat(':') {
			return false
		}
		d.ws()
		if !d.field(k, name) {
			return false
		}
		d.ws()
		if d.eat(',') {
			continue
		}
		return d.eat('}')
	}
}

// field reads the value of the field called name. A null leaves a plain
// field as it is, as encoding/json does; Expires becomes nil and an Opt
// becomes reported-but-unset, as their decoding in encoding/json does.
func (d *keyDecoder) field(k *model.APIKey, name []byte) bool {
	switch string(name) {
	case "id":
		return d.str(&k.ID, false)
	case "username":
		return d.str(&k.Username, true)
	case "name":
		return d.str(&k.Name, false)
	case "hint":
		return d.str(&k.Hint, false)
	case "collection_name":
		return d.str(&k.CollectionName, true)
	case "collection_id":
		return d.str(&k.CollectionID, true)
	case "created_at":
		if d.null() {
			return true
		}
		return d.time(&k.Created)
	case "expires_at":
		if d.null() {
			k.Expires = nil
			return true
		}
		t := new(time.Time)
		if !d.time(t) {
			return false
		}
		k.Expires = t
		return true
	case "last_used_at":
		k.LastUsed = model.Opt[time.Time]{Reported: true}
		if d.null() {
			return true
		}
		if !d.time(&k.LastUsed.V) {
			return false
		}
		k.LastUsed.Set = true
		return true
	case "inactivity_interval":
		k.InactivityDays = model.Opt[int]{Reported: true}
		if d.null() {
			return true
		}
		n, ok := d.integer(strconv.IntSize)
		k.InactivityDays.V, k.InactivityDays.Set = int(n), true
		return ok
	case "total_calls":
		k.TotalCalls = model.Opt[int64]{Reported: true}
		if d.null() {
			return true
		}
		n, ok := d.integer(64)
		k.TotalCalls.V, k.TotalCalls.Set = n, true
		return ok
	case "is_active":
		return d.boolean(&k.IsActive)
	case "is_global_key":
		return d.boolean(&k.IsGlobal)
	}
	for _, f := range keyFields {
		if bytes.EqualFold(name, []byte(f)) {
			return false // encoding/json would fill f from it
		}
	}
	return d.skip(0)
}

// null consumes a null literal if one is next.
func (d *keyDecoder) null() bool {
	if bytes.HasPrefix(d.b[d.i:], []byte("null")) {
		d.i += 4
		return true
	}
	return false
}

func (d *keyDecoder) boolean(dst *bool) bool {
	rest := d.b[d.i:]
	switch {
	case bytes.HasPrefix(rest, []byte("true")):
		*dst = true
		d.i += 4
	case bytes.HasPrefix(rest, []byte("false")):
		*dst = false
		d.i += 5
	case bytes.HasPrefix(rest, []byte("null")):
		d.i += 4
	default:
		return false
	}
	return true
}

// str reads a string or null (which leaves dst as it is).
func (d *keyDecoder) str(dst *string, intern bool) bool {
	if d.null() {
		return true
	}
	if d.i >= len(d.b) || d.b[d.i] != '"' {
		return false
	}
	start := d.i
	if s, ok := d.plainString(); ok {
		if intern {
			*dst = d.intern(s)
		} else {
			*dst = d.arena.str(s)
		}
		return true
	}
	// Escapes or non-ASCII text: rare in keys; encoding/json's own
	// unquoting (invalid UTF-8 becomes U+FFFD) on just this string.
	d.i = start
	raw, ok := d.rawString()
	if !ok {
		return false
	}
	s, ok := unquote(raw)
	if !ok {
		return false
	}
	*dst = s
	return true
}

// plainString reads a string made of printable ASCII without escapes and
// returns its contents; anything else gives up, leaving d.i undefined.
func (d *keyDecoder) plainString() ([]byte, bool) {
	if !d.eat('"') {
		return nil, false
	}
	start := d.i
	end := plainEnd(d.b, start)
	if end == len(d.b) || d.b[end] != '"' {
		return nil, false
	}
	d.i = end + 1
	return d.b[start:end], true
}

// plainEnd returns the index of the first byte of b from i on that a
// plain string cannot hold (a quote, a backslash, a control byte or a
// byte of a multi-byte character), or len(b). It looks at eight bytes at
// a time: ids, names and times are most of a listing, and a byte at a
// time was a sixth of decoding.
func plainEnd(b []byte, i int) int {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		q := x ^ (ones * '"')
		bs := x ^ (ones * '\\')
		// Each term flags, in its byte's top bit, a byte that is a quote,
		// a backslash, below 0x20, or 0x80 and above. A term may also flag
		// bytes after one it rightly flags (a borrow carries on), never
		// before, so the lowest flag is the first such byte.
		if m := ((q - ones) &^ q) | ((bs - ones) &^ bs) | ((x - ones*0x20) &^ x) | x; m&highs != 0 {
			return i + bits.TrailingZeros64(m&highs)/8
		}
	}
	for ; i < len(b); i++ {
		if c := b[i]; c == '"' || c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			return i
		}
	}
	return i
}

// time reads a time string into t exactly as time.Time's UnmarshalJSON
// does: it reads the spelling servers send most, UTC to the second or
// finer ("2006-01-02T15:04:05Z", "2006-01-02T15:04:05.999999999Z"), itself,
// as UnmarshalJSON builds it (time.Date in UTC), and hands every other
// spelling to UnmarshalJSON.
func (d *keyDecoder) time(t *time.Time) bool {
	if v, n, ok := utcTime(d.b[d.i:]); ok {
		*t = v
		d.i += n
		return true
	}
	raw, ok := d.rawString()
	return ok && t.UnmarshalJSON(raw) == nil
}

// utcTime reads a quoted RFC 3339 time in UTC ("Z") at the start of b
// with a valid date and clock (no leap second) and at most nine digits of
// fraction, and says how many bytes it took; ok is false for anything
// else, which is left to UnmarshalJSON.
func utcTime(b []byte) (t time.Time, n int, ok bool) {
	// "2006-01-02T15:04:05
	if len(b) < 22 || b[0] != '"' || b[5] != '-' || b[8] != '-' || b[11] != 'T' || b[14] != ':' || b[17] != ':' {
		return time.Time{}, 0, false
	}
	num := func(from, to int) int {
		v := 0
		for _, c := range b[from:to] {
			if c < '0' || c > '9' {
				return -1
			}
			v = v*10 + int(c-'0')
		}
		return v
	}
	year, month, day := num(1, 5), num(6, 8), num(9, 11)
	hour, minute, sec := num(12, 14), num(15, 17), num(18, 20)
	if year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || sec < 0 || sec > 59 {
		return time.Time{}, 0, false
	}
	if day > daysIn(time.Month(month), year) {
		return time.Time{}, 0, false
	}
	i, nsec := 20, 0
	if b[i] == '.' {
		i++
		digits := 0
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			if digits == 9 {
				return time.Time{}, 0, false
			}
			nsec = nsec*10 + int(b[i]-'0')
			digits++
			i++
		}
		if digits == 0 {
			return time.Time{}, 0, false
		}
		for range 9 - digits {
			nsec *= 10
		}
	}
	if i+2 > len(b) || b[i] != 'Z' || b[i+1] != '"' {
		return time.Time{}, 0, false
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC), i + 2, true
}

// daysIn is the number of days in month of year.
func daysIn(month time.Month, year int) int {
	if month == time.February {
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	}
	return 31 - int(month-1)%7%2
}

// rawString reads a valid JSON string and returns it with its quotes.
func (d *keyDecoder) rawString() ([]byte, bool) {
	start := d.i
	if !d.eat('"') {
		return nil, false
	}
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			d.i++
			return d.b[start:d.i], true
		case c < 0x20:
			return nil, false
		case c == '\\':
			d.i++
			if d.i >= len(d.b) {
				return nil, false
			}
			switch d.b[d.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				d.i++
			case 'u':
				if d.i+5 > len(d.b) {
					return nil, false
				}
				for _, h := range d.b[d.i+1 : d.i+5] {
					if !isHex(h) {
						return nil, false
					}
				}
				d.i += 5
			default:
				return nil, false
			}
		default:
			d.i++
		}
	}
	return nil, false
}

func isHex(c byte) bool {
	return ('0' <= c && c <= '9') || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}

// integer reads a JSON number that is a plain integer fitting bits, which
// is all encoding/json accepts into an int field.
func (d *keyDecoder) integer(bits int) (int64, bool) {
	start := d.i
	d.eat('-')
	digits := d.i
	for d.i < len(d.b) && '0' <= d.b[d.i] && d.b[d.i] <= '9' {
		d.i++
	}
	if d.i == digits || (d.b[digits] == '0' && d.i-digits > 1) {
		return 0, false
	}
	if d.i < len(d.b) {
		switch d.b[d.i] {
		case '.', 'e', 'E':
			return 0, false // a valid number, but encoding/json refuses it for an int
		}
	}
	n, err := strconv.ParseInt(string(d.b[start:d.i]), 10, bits)
	return n, err == nil
}

// skip reads and checks any JSON value, as encoding/json checks the whole
// body before decoding any of it.
func (d *keyDecoder) skip(depth int) bool {
	if d.i >= len(d.b) || depth > maxSkipDepth {
		return false
	}
	switch c := d.b[d.i]; {
	case c == '"':
		_, ok := d.rawString()
		return ok
	case c == '{':
		d.i++
		d.ws()
		if d.eat('}') {
			return true
		}
		for {
			d.ws()
			if _, ok := d.rawString(); !ok {
				return false
			}
			d.ws()
			if !d.eat(':') {
				return false
			}
			d.ws()
			if !d.skip(depth + 1) {
				return false
			}
			d.ws()
			if d.eat(',') {
				continue
			}
			return d.eat('}')
		}
	case c == '[':
		d.i++
		d.ws()
		if d.eat(']') {
			return true
		}
		for {
			d.ws()
			if !d.skip(depth + 1) {
				return false
			}
			d.ws()
			if d.eat(',') {
				continue
			}
			return d.eat(']')
		}
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == 'n':
		return d.literal("null")
	case c == '-' || ('0' <= c && c <= '9'):
		return d.number()
	}
	return false
}

func (d *keyDecoder) literal(s string) bool {
	if bytes.HasPrefix(d.b[d.i:], []byte(s)) {
		d.i += len(s)
		return true
	}
	return false
}

// number reads any JSON number.
func (d *keyDecoder) number() bool {
	d.eat('-')
	digits := func() int {
		n := 0
		for d.i < len(d.b) && '0' <= d.b[d.i] && d.b[d.i] <= '9' {
			d.i++
			n++
		}
		return n
	}
	if d.eat('0') {
		// no further integer digits after a leading zero
	} else if digits() == 0 {
		return false
	}
	if d.eat('.') && digits() == 0 {
		return false
	}
	if d.eat('e') || d.eat('E') {
		if !d.eat('+') {
			d.eat('-')
		}
		if digits() == 0 {
			return false
		}
	}
	return true
}

// unquote unquotes a JSON string exactly as encoding/json does.
func unquote(raw []byte) (string, bool) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

// decodeKeys decodes a page of keys: the fast path, or encoding/json
// (with its errors, worded by decode) when the fast path gives up.
func (c *Client) decodeKeys(op string, body []byte, in *interner) ([]model.APIKey, error) {
	if !c.jsonKeys {
		if keys, ok := decodeKeysFast(body, in); ok {
			return keys, nil
		}
	}
	var keys []model.APIKey
	if err := c.decode(op, body, &keys); err != nil {
		return nil, err
	}
	return keys, nil
}
