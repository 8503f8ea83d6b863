package demoserver

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"h2ogpte-keys/model"
)

// A listing of a million keys goes through the encoder below: through
// encoding/json (reflection, a MarshalJSON call and a compaction per
// optional field) it was the largest single cost of serving one. It writes
// exactly the bytes json.Marshal(sp.wireAll(keys)) writes, and hands
// anything it is not sure of (a string that needs escaping, a time
// encoding/json refuses) to that path instead.

// appendKeys appends the JSON array of keys as sp spells them. A key the
// fast encoder gives up on is written by encoding/json, which writes each
// element of a slice as it writes the element alone. ok is false when
// encoding/json refuses a key too; b is then to be discarded.
func (sp spelling) appendKeys(b []byte, keys []*model.APIKey) ([]byte, bool) {
	b = append(b, '[')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		mark := len(b)
		var ok bool
		if b, ok = sp.appendKey(b, k); ok {
			continue
		}
		one, err := json.Marshal(sp.wire(k))
		if err != nil {
			return b, false
		}
		b = append(b[:mark], one...)
	}
	return append(b, ']'), true
}

// appendKey appends one APIKeyInfo in wireKey's field order and omissions.
func (sp spelling) appendKey(b []byte, k *model.APIKey) ([]byte, bool) {
	ok := true
	str := func(name, v string) {
		b = append(b, name...)
		if !plainJSON(v) {
			ok = false
			return
		}
		b = append(b, '"')
		b = append(b, v...)
		b = append(b, '"')
	}
	tm := func(name string, t time.Time) {
		b = append(b, name...)
		if y := t.Year(); y < 0 || y > 9999 {
			ok = false
			return
		}
		if _, off := t.Zone(); off <= -24*60*60 || off >= 24*60*60 {
			ok = false
			return
		}
		b = append(b, '"')
		b = t.AppendFormat(b, time.RFC3339Nano)
		b = append(b, '"')
	}
	null := func(name string) { b = append(b, name...); b = append(b, "null"...) }
	boolean := func(name string, v bool) { b = append(b, name...); b = strconv.AppendBool(b, v) }

	str(`{"id":`, k.ID)
	str(`,"username":`, k.Username)
	str(`,"name":`, k.Name)
	str(`,"hint":`, k.Hint)
	tm(`,"created_at":`, k.Created)
	switch {
	case k.Expires != nil:
		tm(`,"expires_at":`, *k.Expires)
	case !sp.OmitEmpty:
		null(`,"expires_at":`)
	}
	if !sp.OldServer {
		if t, set := k.LastUsed.Get(); set {
			tm(`,"last_used_at":`, t)
		} else if !sp.OmitEmpty && k.LastUsed.Reported {
			null(`,"last_used_at":`)
		}
		if d, set := k.InactivityDays.Get(); set {
			b = append(b, `,"inactivity_interval":`...)
			b = strconv.AppendInt(b, int64(d), 10)
		} else if !sp.OmitEmpty && k.InactivityDays.Reported {
			null(`,"inactivity_interval":`)
		}
		if n, _ := k.TotalCalls.Get(); k.TotalCalls.Reported {
			b = append(b, `,"total_calls":`...)
			b = strconv.AppendInt(b, n, 10)
		}
	}
	boolean(`,"is_active":`, k.IsActive)
	switch {
	case k.CollectionID != "":
		str(`,"collection_name":`, k.CollectionName)
		str(`,"collection_id":`, k.CollectionID)
	case !sp.OmitEmpty:
		null(`,"collection_name":`)
		null(`,"collection_id":`)
	}
	boolean(`,"is_global_key":`, k.IsGlobal)
	return append(b, '}'), ok
}

// plainJSON reports whether json.Marshal writes s as it is between quotes:
// printable ASCII without the characters it escapes (quote, backslash and,
// for HTML safety, <, > and &).
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		if plainByte[s[i]] != '1' {
			return false
		}
	}
	return true
}

// plainByte marks with '1' the bytes plainJSON lets through; a constant, so
// a table lookup replaces a chain of comparisons per byte.
const plainByte = "0000000000000000000000000000000011011101111111111111111111110101111111111111111111111111111101111111111111111111111111111111111000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"

// encodeKeysLocked encodes keys as a listing answer, answering 500 as
// encoding/json did when a key cannot be written. The caller holds s.mu (read or write) so the keys do not change
// while they are encoded; the answer is written after the caller lets go.
func (s *Server) encodeKeysLocked(keys []*model.APIKey) (answer func(http.ResponseWriter)) {
	bp, _ := s.bufs.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	b, ok := s.spelling.appendKeys((*bp)[:0], keys)
	if !ok {
		s.bufs.Put(bp)
		wire := make([]wireKey, len(keys))
		for i, k := range keys {
			wire[i] = s.spelling.wire(k)
		}
		return func(w http.ResponseWriter) { writeJSON(w, http.StatusOK, wire) }
	}
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(b)
		if cap(b) <= maxPooledBuf { // one huge listing should not stay pinned
			*bp = b
			s.bufs.Put(bp)
		}
	}
}

// maxPooledBuf is the largest encoding buffer kept for reuse: a few
// default pages' worth.
const maxPooledBuf = 1 << 20
