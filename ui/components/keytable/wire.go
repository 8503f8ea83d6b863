package keytable

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"h2ogpte-keys/model"
)

// A Builder's rows can be built in one process and taken over by another
// (the dashboard's refresh helper builds a million keys' table in a
// process of its own: WriteTo there, ReadBuilder in the dashboard). The
// form is the store as it is, field by field, little-endian: no decoding,
// formatting or name sort is done again, only the index by id, which
// hashes with a seed of the reading process's own.
//
//	"h2ogpte-keys table 1\n"
//	uvarint keys added (repeats included), uvarint rows
//	uvarint zones, each: kind byte, name, svarint offset
//	uvarint owners, each: username, collection name, collection id
//	uvarint text blocks, each: uvarint length, bytes
//	rows, wireRowSize bytes each
//	uvarint widths, each: column id, uvarint width
//	byte 1 and three arrays of rows int32 (name order, name rank, folded
//	  rank), or byte 0 (not worked out)
//	end byte (wireEnd)
//
// A string is a uvarint length and its bytes. Every number read is
// checked against what it indexes: a stream cut short or garbled is an
// error, never a table that panics later.

const (
	wireMagic   = "h2ogpte-keys table 1\n"
	wireRowSize = 3*16 + 8 + 8 + 5*4 + 4 + 2
	wireEnd     = 0x2e
	// wireMaxString bounds one string or text block read: a garbled length
	// is an error, not a huge allocation.
	wireMaxString = 64 << 20
	// wireMaxRows bounds the rows read, for the same reason.
	wireMaxRows = 1 << 28
)

// Kinds of a zone on the wire.
const (
	zoneLocal = iota // time.Local
	zoneFixed        // time.FixedZone(name, offset)
	zoneNamed        // time.LoadLocation(name)
)

// Rank works out the name order every sort breaks ties by, so that the
// process that takes the rows over (ReadBuilder) need not.
func (b *Builder) Rank() { b.d.ensureRanks() }

// Len is how many distinct keys b holds.
func (b *Builder) Len() int { return b.d.all.n }

// WriteTo writes b's rows to w in the form ReadBuilder reads. b must take
// no more rows meanwhile.
func (b *Builder) WriteTo(w io.Writer) (int64, error) {
	cw := &countWriter{w: w}
	bw := bufio.NewWriterSize(cw, 1<<16)
	e := wireEncoder{w: bw}
	d := b.d
	s := &d.all
	bw.WriteString(wireMagic)
	e.uvarint(uint64(b.n))
	e.uvarint(uint64(s.n))

	// Every zone this process numbered: a store's stamps refer to them.
	list := zones.list.Load()
	var locs []*time.Location
	if list != nil {
		locs = *list
	}
	e.uvarint(uint64(len(locs)))
	for _, loc := range locs {
		name, offset := time.Unix(0, 0).In(loc).Zone()
		switch {
		case loc == time.Local:
			e.byte(zoneLocal)
		case isFixed(loc):
			e.byte(zoneFixed)
		default:
			e.byte(zoneNamed)
			name = loc.String()
		}
		e.str(name)
		e.varint(int64(offset))
	}

	e.uvarint(uint64(len(s.ownerList)))
	for _, o := range s.ownerList {
		e.str(o.user)
		e.str(o.collName)
		e.str(o.collID)
	}

	e.uvarint(uint64(len(s.text)))
	for i, t := range s.text {
		if i == len(s.text)-1 && s.textOwned {
			t = t[:s.textUsed]
		}
		e.uvarint(uint64(len(t)))
		bw.Write(t)
	}

	var buf [wireRowSize]byte
	left := s.n
	for _, c := range s.chunks {
		for i := range c[:min(len(c), left)] {
			putRow(buf[:], &c[i])
			bw.Write(buf[:])
		}
		left -= min(len(c), left)
	}

	e.uvarint(uint64(len(d.widths)))
	for id, w := range d.widths {
		e.str(string(id))
		e.uvarint(uint64(max(w, 0)))
	}

	if d.ranksValid && len(d.nameRank) == s.n {
		e.byte(1)
		for _, a := range [][]int32{d.byName, d.nameRank, d.foldRank} {
			for _, v := range a {
				e.u32(uint32(v))
			}
		}
	} else {
		e.byte(0)
	}
	e.byte(wireEnd)
	err := bw.Flush()
	return cw.n, err
}

// isFixed reports whether loc has one name and offset, as
// time.FixedZone's do: the same in winter and summer, then and now.
func isFixed(loc *time.Location) bool {
	name, offset := time.Unix(0, 0).In(loc).Zone()
	for _, y := range []int{1970, 2000, 2030} {
		for _, m := range []time.Month{time.January, time.July} {
			if n, o := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC).In(loc).Zone(); n != name || o != offset {
				return false
			}
		}
	}
	return true
}

// ReadBuilder reads rows WriteTo wrote into a Builder judged as of now,
// for Model.PrepareBuilt, and builds their index by id. It checks every
// number against what it indexes, and that the stream ends where it
// says; an error means no rows.
func ReadBuilder(r io.Reader, now time.Time) (*Builder, error) {
	d := wireDecoder{r: bufio.NewReaderSize(r, 1<<16)}
	b, err := d.builder(now)
	if err != nil {
		return nil, fmt.Errorf("read the table: %w", err)
	}
	return b, nil
}

// ErrWire is what a stream that is not a table, or not a whole one, reads
// as (wrapped).
var ErrWire = errors.New("not a whole table")

func (d *wireDecoder) builder(now time.Time) (*Builder, error) {
	magic := make([]byte, len(wireMagic))
	if _, err := io.ReadFull(d.r, magic); err != nil || string(magic) != wireMagic {
		return nil, d.fail(err, "no table header")
	}
	added := d.uvarint(math.MaxInt32)
	n := int(d.uvarint(wireMaxRows))

	nz := d.uvarint(1 << 16)
	zoneOf := make([]uint32, nz+1) // the writer's zone number → this process's
	for i := uint64(1); i <= nz && d.err == nil; i++ {
		kind := d.byte()
		name := d.str()
		offset := d.varint()
		if d.err != nil {
			break
		}
		var loc *time.Location
		switch kind {
		case zoneLocal:
			loc = time.Local
		case zoneFixed:
			if offset < -24*3600 || offset > 24*3600 {
				return nil, d.fail(nil, "a zone's offset out of range")
			}
			loc = time.FixedZone(name, int(offset))
		case zoneNamed:
			l, err := time.LoadLocation(name)
			if err != nil {
				return nil, fmt.Errorf("%w: zone %q: %v", ErrWire, model.CleanText(name), err)
			}
			loc = l
		default:
			return nil, d.fail(nil, "an unknown kind of zone")
		}
		zoneOf[i], _ = zones.number(time.Unix(0, 0).In(loc))
	}

	no := d.uvarint(wireMaxRows)
	owners := make([]ownerInfo, 0, min(no, 1<<16))
	for i := uint64(0); i < no && d.err == nil; i++ {
		owners = append(owners, ownerInfo{user: d.str(), collName: d.str(), collID: d.str()})
	}

	nt := d.uvarint(wireMaxRows)
	text := make([][]byte, 0, min(nt, 1<<16))
	for i := uint64(0); i < nt && d.err == nil; i++ {
		l := d.uvarint(wireMaxString)
		if d.err != nil {
			break
		}
		t := make([]byte, l)
		if _, err := io.ReadFull(d.r, t); err != nil {
			return nil, d.fail(err, "a text block cut short")
		}
		text = append(text, t)
	}
	if d.err != nil {
		return nil, d.err
	}

	data := newData(now)
	s := &data.all
	s.ownerList, s.text = owners, text
	s.owners = make(map[ownerInfo]int32, len(owners))
	for i, o := range owners {
		s.owners[o] = int32(i)
	}
	var buf [wireRowSize]byte
	for i := 0; i < n; i++ {
		if _, err := io.ReadFull(d.r, buf[:]); err != nil {
			return nil, d.fail(err, "the rows cut short")
		}
		r := getRow(buf[:])
		if err := checkRow(&r, owners, text, zoneOf); err != nil {
			return nil, fmt.Errorf("%w: row %d: %s", ErrWire, i, err)
		}
		if s.n&(chunkSize-1) == 0 {
			s.chunks = append(s.chunks, make([]row, 0, chunkSize))
			s.owned = append(s.owned, true)
		}
		last := len(s.chunks) - 1
		s.chunks[last] = append(s.chunks[last], r)
		s.n++
	}

	nw := d.uvarint(1 << 10)
	for i := uint64(0); i < nw && d.err == nil; i++ {
		id := model.ColumnID(d.str())
		w := d.uvarint(math.MaxInt32)
		data.widths[id] = int(w)
	}

	switch d.byte() {
	case 0:
	case 1:
		ranks := make([][]int32, 3)
		for j := range ranks {
			raw := make([]byte, 4*n)
			if _, err := io.ReadFull(d.r, raw); err != nil {
				return nil, d.fail(err, "the name order cut short")
			}
			a := make([]int32, n)
			for i := range a {
				v := binary.LittleEndian.Uint32(raw[4*i:])
				if v >= uint32(n) {
					return nil, d.fail(nil, "a rank out of range")
				}
				a[i] = int32(v)
			}
			ranks[j] = a
		}
		data.byName, data.nameRank, data.foldRank, data.ranksValid = ranks[0], ranks[1], ranks[2], true
	default:
		return nil, d.fail(nil, "a garbled rank mark")
	}
	if end := d.byte(); d.err == nil && end != wireEnd {
		return nil, d.fail(nil, "no end mark")
	}
	if d.err != nil {
		return nil, d.err
	}
	// Nothing may follow the end mark.
	if _, err := d.r.ReadByte(); err != io.EOF {
		return nil, d.fail(nil, "more after the end mark")
	}
	// The index by id: the one thing worked out again, since its hash's
	// seed is this process's.
	data.index = newRowIndex(n)
	for i := range n {
		data.index.x.Set(data.id(int32(i)), int32(i), data.id)
	}
	return &Builder{d: data, n: int(added)}, nil
}

// checkRow checks that r's owner, text and zones are there, and maps its
// zones to this process's numbers.
func checkRow(r *row, owners []ownerInfo, text [][]byte, zoneOf []uint32) error {
	if r.owner < 0 || int(r.owner) >= len(owners) {
		return errors.New("its owner out of range")
	}
	if need := uint64(r.idLen) + uint64(r.nameLen) + uint64(r.hintLen); need > 0 {
		if int(r.block) >= len(text) || uint64(r.at)+need > uint64(len(text[r.block])) {
			return errors.New("its text out of range")
		}
	}
	for _, p := range []*stamp{&r.created, &r.lastUsed, &r.expires} {
		if int(p.zone) >= len(zoneOf) || (p.zone != zoneUTC && zoneOf[p.zone] == 0) {
			return errors.New("its zone out of range")
		}
		if p.zone != zoneUTC {
			p.zone = zoneOf[p.zone]
		}
		if p.ns >= 1e9 {
			return errors.New("its nanoseconds out of range")
		}
	}
	return nil
}

func putRow(b []byte, r *row) {
	le := binary.LittleEndian
	at := 0
	for _, p := range []*stamp{&r.created, &r.lastUsed, &r.expires} {
		le.PutUint64(b[at:], uint64(p.sec))
		le.PutUint32(b[at+8:], p.ns)
		le.PutUint32(b[at+12:], p.zone)
		at += 16
	}
	le.PutUint64(b[at:], uint64(r.calls))
	le.PutUint64(b[at+8:], uint64(r.inactivity))
	at += 16
	for _, v := range []uint32{r.block, r.at, r.idLen, r.nameLen, r.hintLen, uint32(r.owner)} {
		le.PutUint32(b[at:], v)
		at += 4
	}
	le.PutUint16(b[at:], r.flags)
}

func getRow(b []byte) row {
	le := binary.LittleEndian
	var r row
	at := 0
	for _, p := range []*stamp{&r.created, &r.lastUsed, &r.expires} {
		p.sec = int64(le.Uint64(b[at:]))
		p.ns = le.Uint32(b[at+8:])
		p.zone = le.Uint32(b[at+12:])
		at += 16
	}
	r.calls = int64(le.Uint64(b[at:]))
	r.inactivity = int64(le.Uint64(b[at+8:]))
	at += 16
	for _, v := range []*uint32{&r.block, &r.at, &r.idLen, &r.nameLen, &r.hintLen} {
		*v = le.Uint32(b[at:])
		at += 4
	}
	r.owner = int32(le.Uint32(b[at:]))
	r.flags = le.Uint16(b[at+4:])
	return r
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

type wireEncoder struct {
	w   *bufio.Writer
	buf [binary.MaxVarintLen64]byte
}

func (e *wireEncoder) byte(b byte)      { e.w.WriteByte(b) }
func (e *wireEncoder) uvarint(v uint64) { e.w.Write(binary.AppendUvarint(e.buf[:0], v)) }
func (e *wireEncoder) varint(v int64)   { e.w.Write(binary.AppendVarint(e.buf[:0], v)) }
func (e *wireEncoder) u32(v uint32)     { e.w.Write(binary.LittleEndian.AppendUint32(e.buf[:0], v)) }
func (e *wireEncoder) str(s string)     { e.uvarint(uint64(len(s))); e.w.WriteString(s) }

// wireDecoder reads the form's pieces; the first error sticks, and every
// later read returns zero.
type wireDecoder struct {
	r   *bufio.Reader
	err error
}

func (d *wireDecoder) fail(err error, what string) error {
	if d.err == nil {
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			d.err = fmt.Errorf("%w: %s: %v", ErrWire, what, err)
		} else {
			d.err = fmt.Errorf("%w: %s", ErrWire, what)
		}
	}
	return d.err
}

func (d *wireDecoder) byte() byte {
	if d.err != nil {
		return 0
	}
	b, err := d.r.ReadByte()
	if err != nil {
		d.fail(err, "cut short")
		return 0
	}
	return b
}

// uvarint reads a number no greater than most.
func (d *wireDecoder) uvarint(most uint64) uint64 {
	if d.err != nil {
		return 0
	}
	v, err := binary.ReadUvarint(d.r)
	switch {
	case err != nil:
		d.fail(err, "cut short")
		return 0
	case v > most:
		d.fail(nil, "a number out of range")
		return 0
	}
	return v
}

func (d *wireDecoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, err := binary.ReadVarint(d.r)
	if err != nil {
		d.fail(err, "cut short")
		return 0
	}
	return v
}

func (d *wireDecoder) str() string {
	l := d.uvarint(wireMaxString)
	if d.err != nil || l == 0 {
		return ""
	}
	b := make([]byte, l)
	if _, err := io.ReadFull(d.r, b); err != nil {
		d.fail(err, "a string cut short")
		return ""
	}
	return string(b)
}
