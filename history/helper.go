package history

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"time"

	"h2ogpte-keys/model"
)

// A recording helper is a second process that records one read of keys in
// the store and reads their usage back (cli's hidden history-helper
// command). The dashboard sends it the read (WriteRecording) and reads the
// usage it answers (ReadUsages); the helper answers with ServeRecording.
// Recording a million keys is seconds of CPU and about 450 MB of garbage:
// in a process of its own, at the lowest priority, none of it competes
// with the screen's goroutines for the dashboard's processors or its
// collector.
//
// The wire form is binary and versioned by its first line: the request is
// the read's time and each key's fields that the history keeps (id, name,
// owner, total calls, last use, expiry, active), then an end mark; the
// answer is one record per key whose usage the helper was asked to keep,
// then an end mark or an error's words. A request without its end mark (a
// dashboard that quit while sending) is never recorded: the helper reads
// the whole request before it records anything.

const (
	helperRequest = "h2ogpte-keys history request 1\n"
	helperAnswer  = "h2ogpte-keys history answer 1\n"

	recEnd   = 0
	recKey   = 1
	recUsage = 2
	recError = 3

	// maxWireString bounds one string of the wire form: a corrupt length
	// is an error, not a huge allocation.
	maxWireString = 1 << 20
)

// Flags of a key on the wire.
const (
	wireTotal = 1 << iota
	wireUsed
	wireExpires
	wireActive
)

// Flags of a usage on the wire.
const (
	wire24h = 1 << iota
	wire7d
	wire30d
	wirePerDay
	wireSince
	wireThrough
	wireEstimated
	wireReset
)

// wireWriter appends the wire form's pieces to a buffered writer.
type wireWriter struct {
	w   *bufio.Writer
	buf [binary.MaxVarintLen64]byte
}

func (e *wireWriter) byte(b byte) { e.w.WriteByte(b) }

func (e *wireWriter) uvarint(v uint64) {
	e.w.Write(binary.AppendUvarint(e.buf[:0], v))
}

func (e *wireWriter) varint(v int64) {
	e.w.Write(binary.AppendVarint(e.buf[:0], v))
}

func (e *wireWriter) string(s string) {
	e.uvarint(uint64(len(s)))
	e.w.WriteString(s)
}

// time is seconds and nanoseconds: an expiry past 2262 still fits.
func (e *wireWriter) time(t time.Time) {
	e.varint(t.Unix())
	e.uvarint(uint64(t.Nanosecond()))
}

// wireReader reads the wire form's pieces.
type wireReader struct {
	r *bufio.Reader
}

func (d *wireReader) byte() (byte, error) { return d.r.ReadByte() }

func (d *wireReader) uvarint() (uint64, error) { return binary.ReadUvarint(d.r) }

func (d *wireReader) varint() (int64, error) { return binary.ReadVarint(d.r) }

func (d *wireReader) string() (string, error) {
	n, err := d.uvarint()
	if err != nil {
		return "", err
	}
	if n > maxWireString {
		return "", fmt.Errorf("a string of %d bytes", n)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(d.r, b); err != nil {
		return "", err
	}
	return string(b), nil
}

func (d *wireReader) time() (time.Time, error) {
	s, err := d.varint()
	if err != nil {
		return time.Time{}, err
	}
	ns, err := d.uvarint()
	if err != nil {
		return time.Time{}, err
	}
	if ns >= 1e9 {
		return time.Time{}, fmt.Errorf("%d nanoseconds", ns)
	}
	return time.Unix(s, int64(ns)).UTC(), nil
}

func (d *wireReader) header(want string) error {
	b := make([]byte, len(want))
	if _, err := io.ReadFull(d.r, b); err != nil {
		return err
	}
	if string(b) != want {
		return fmt.Errorf("not a %q", want[:len(want)-1])
	}
	return nil
}

// WriteRecording writes a request to record keys, read at readAt, to w.
// It reads keys once and returns w's first error.
func WriteRecording(w io.Writer, readAt time.Time, keys iter.Seq[*model.APIKey]) error {
	e := &wireWriter{w: bufio.NewWriterSize(w, 64<<10)}
	e.w.WriteString(helperRequest)
	e.time(readAt)
	for k := range keys {
		e.byte(recKey)
		e.string(k.ID)
		e.string(k.Name)
		e.string(k.Username)
		var flags byte
		total, hasTotal := k.TotalCalls.Get()
		used, hasUsed := k.LastUsed.Get()
		if hasTotal {
			flags |= wireTotal
		}
		if hasUsed {
			flags |= wireUsed
		}
		if k.Expires != nil {
			flags |= wireExpires
		}
		if k.IsActive {
			flags |= wireActive
		}
		e.byte(flags)
		if hasTotal {
			e.varint(total)
		}
		if hasUsed {
			e.time(used)
		}
		if k.Expires != nil {
			e.time(*k.Expires)
		}
	}
	e.byte(recEnd)
	return e.w.Flush()
}

// recording is a request read whole: the keys' wire form, decoded again
// key by key as the store records them.
type recording struct {
	readAt time.Time
	keys   []byte
	ids    []string
}

// readRecording reads a whole request from r and checks every key in it.
func readRecording(r io.Reader) (*recording, error) {
	var body bytes.Buffer
	if _, err := body.ReadFrom(r); err != nil {
		return nil, fmt.Errorf("read the request: %w", err)
	}
	d := &wireReader{r: bufio.NewReader(bytes.NewReader(body.Bytes()))}
	if err := d.header(helperRequest); err != nil {
		return nil, fmt.Errorf("read the request: %w", err)
	}
	readAt, err := d.time()
	if err != nil {
		return nil, fmt.Errorf("read the request: %w", err)
	}
	rec := &recording{readAt: readAt, keys: body.Bytes()[len(helperRequest):]}
	for k, err := range rec.each() {
		if err != nil {
			return nil, fmt.Errorf("read the request: %w", err)
		}
		rec.ids = append(rec.ids, k.ID)
	}
	return rec, nil
}

// each decodes the request's keys in order, one APIKey reused for all;
// an error ends it (a request cut short, or not the wire form).
func (rec *recording) each() iter.Seq2[*model.APIKey, error] {
	return func(yield func(*model.APIKey, error) bool) {
		d := &wireReader{r: bufio.NewReader(bytes.NewReader(rec.keys))}
		if _, err := d.time(); err != nil {
			yield(nil, err)
			return
		}
		var k model.APIKey
		var expires time.Time
		for {
			tag, err := d.byte()
			if err != nil {
				yield(nil, fmt.Errorf("the request ends without its end mark: %w", err))
				return
			}
			switch tag {
			case recEnd:
				if _, err := d.byte(); err != io.EOF {
					yield(nil, errors.New("bytes after the end mark"))
				}
				return
			case recKey:
			default:
				yield(nil, fmt.Errorf("unknown record %d", tag))
				return
			}
			k = model.APIKey{}
			if err := d.key(&k, &expires); err != nil {
				yield(nil, fmt.Errorf("key %d: %w", len(rec.ids), err))
				return
			}
			if !yield(&k, nil) {
				return
			}
		}
	}
}

func (d *wireReader) key(k *model.APIKey, expires *time.Time) (err error) {
	if k.ID, err = d.string(); err != nil {
		return err
	}
	if k.Name, err = d.string(); err != nil {
		return err
	}
	if k.Username, err = d.string(); err != nil {
		return err
	}
	flags, err := d.byte()
	if err != nil {
		return err
	}
	if flags&wireTotal != 0 {
		v, err := d.varint()
		if err != nil {
			return err
		}
		k.TotalCalls = model.Some(v)
	}
	if flags&wireUsed != 0 {
		t, err := d.time()
		if err != nil {
			return err
		}
		k.LastUsed = model.Some(t)
	}
	if flags&wireExpires != 0 {
		if *expires, err = d.time(); err != nil {
			return err
		}
		k.Expires = expires
	}
	k.IsActive = flags&wireActive != 0
	return nil
}

// ServeRecording answers one request read from r on w: once the whole
// request is in, it opens the store with open, records the read and writes
// the usage of the keys it listed, as of the read's time, for those keep
// accepts (nil keeps all). A failure is written to w as words that say
// whether the read was recorded, and returned; an error writing w is
// returned only.
func ServeRecording(ctx context.Context, open func(context.Context) (*Store, error), r io.Reader, w io.Writer, keep func(Usage) bool) error {
	e := &wireWriter{w: bufio.NewWriterSize(w, 64<<10)}
	e.w.WriteString(helperAnswer)
	fail := func(err error) error {
		e.byte(recError)
		e.string(err.Error())
		if werr := e.w.Flush(); werr != nil {
			return werr
		}
		return err
	}
	notRecorded := func(err error) error { return fail(fmt.Errorf("not recorded: %w", err)) }
	rec, err := readRecording(r)
	if err != nil {
		return notRecorded(err)
	}
	st, err := open(ctx)
	if err != nil {
		return notRecorded(err)
	}
	defer st.Close()
	keys := func(yield func(*model.APIKey) bool) {
		for k, err := range rec.each() {
			// readRecording has checked every key: the same bytes decode
			// again without an error.
			if err != nil || !yield(k) {
				return
			}
		}
	}
	if err := st.RecordSeq(ctx, rec.readAt, keys); err != nil {
		return notRecorded(err)
	}
	err = st.UsageEach(ctx, rec.readAt, rec.ids, func(int) {}, func(id string, u Usage) {
		if keep == nil || keep(u) {
			e.byte(recUsage)
			e.string(id)
			e.usage(u)
		}
	})
	if err != nil {
		return fail(fmt.Errorf("recorded, but its usage not read: %w", err))
	}
	e.byte(recEnd)
	return e.w.Flush()
}

func (e *wireWriter) usage(u Usage) {
	var flags byte
	set := func(ok bool, f byte) {
		if ok {
			flags |= f
		}
	}
	set(u.Calls24h != nil, wire24h)
	set(u.Calls7d != nil, wire7d)
	set(u.Calls30d != nil, wire30d)
	set(u.PerDay7d != nil, wirePerDay)
	set(!u.Since.IsZero(), wireSince)
	set(!u.Through.IsZero(), wireThrough)
	set(u.Estimated, wireEstimated)
	set(u.Reset, wireReset)
	e.byte(flags)
	for _, c := range []*int64{u.Calls24h, u.Calls7d, u.Calls30d} {
		if c != nil {
			e.varint(*c)
		}
	}
	if u.PerDay7d != nil {
		e.uvarint(math.Float64bits(*u.PerDay7d))
	}
	e.varint(int64(u.PerDaySpan))
	if !u.Since.IsZero() {
		e.time(u.Since)
	}
	if !u.Through.IsZero() {
		e.time(u.Through)
	}
	e.varint(int64(u.Change))
}

func (d *wireReader) usage(u *Usage) error {
	flags, err := d.byte()
	if err != nil {
		return err
	}
	for i, c := range []**int64{&u.Calls24h, &u.Calls7d, &u.Calls30d} {
		if flags&(wire24h<<i) != 0 {
			v, err := d.varint()
			if err != nil {
				return err
			}
			*c = &v
		}
	}
	if flags&wirePerDay != 0 {
		b, err := d.uvarint()
		if err != nil {
			return err
		}
		v := math.Float64frombits(b)
		u.PerDay7d = &v
	}
	span, err := d.varint()
	if err != nil {
		return err
	}
	u.PerDaySpan = time.Duration(span)
	if flags&wireSince != 0 {
		if u.Since, err = d.time(); err != nil {
			return err
		}
	}
	if flags&wireThrough != 0 {
		if u.Through, err = d.time(); err != nil {
			return err
		}
	}
	u.Estimated = flags&wireEstimated != 0
	u.Reset = flags&wireReset != 0
	change, err := d.varint()
	if err != nil {
		return err
	}
	u.Change = Change(change)
	return nil
}

// ErrHelperCut is ReadUsages' error when the answer ends before its end
// mark: the helper stopped (killed, crashed) before it finished, and
// whether it recorded the read is unknown.
var ErrHelperCut = errors.New("the history helper stopped before it answered; whether it recorded the read is unknown")

// answerErr is a read error inside an answer: ErrHelperCut where the
// answer ends, else the answer is not the wire form.
func answerErr(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return ErrHelperCut
	}
	return fmt.Errorf("the history helper's answer: %w", err)
}

// ReadUsages reads a helper's answer from r, calling each for every
// usage in it. It returns the helper's failure in its words,
// ErrHelperCut, or what is wrong with an answer that is not the wire form.
func ReadUsages(r io.Reader, each func(id string, u Usage)) error {
	d := &wireReader{r: bufio.NewReaderSize(r, 64<<10)}
	if err := d.header(helperAnswer); err != nil {
		return answerErr(err)
	}
	for {
		tag, err := d.byte()
		if err != nil {
			return answerErr(err)
		}
		switch tag {
		case recEnd:
			return nil
		case recError:
			msg, err := d.string()
			if err != nil {
				return answerErr(err)
			}
			return errors.New(msg)
		case recUsage:
			id, err := d.string()
			if err != nil {
				return answerErr(err)
			}
			var u Usage
			if err := d.usage(&u); err != nil {
				return answerErr(err)
			}
			each(id, u)
		default:
			return fmt.Errorf("the history helper's answer: unknown record %d", tag)
		}
	}
}
