package keytable

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// stamp is a time as a row holds it, with no pointer: Unix seconds and
// nanoseconds, and its location as a number (zoneUTC, or one the zones
// list keeps). It gives back the same time.Time but for a monotonic clock
// reading.
type stamp struct {
	sec      int64
	ns, zone uint32
}

// zoneUTC is UTC's number: no look-up for the zone nearly every time from a
// server is in.
const zoneUTC = 0

// time is the stamp as a time.Time. It inlines for UTC: a sort reads
// three times of each of a million rows.
func (p stamp) time() time.Time {
	if p.zone == zoneUTC {
		return time.Unix(p.sec, int64(p.ns)).UTC()
	}
	return p.zoned()
}

func (p stamp) zoned() time.Time {
	return time.Unix(p.sec, int64(p.ns)).In((*zones.list.Load())[p.zone-1])
}

// lastZone is the location a store stamped last and its number, or, for
// an unnamed fixed zone (a new one each time time.Parse reads an offset),
// its offset: times of one listing share one, so it is looked up in zones
// once, not once a time.
type lastZone struct {
	loc      *time.Location
	zone     uint32
	offset   int
	byOffset bool
}

// stampOf is t as a stamp.
func (s *store) stampOf(t time.Time) stamp {
	p := stamp{sec: t.Unix(), ns: uint32(t.Nanosecond())}
	loc := t.Location()
	switch {
	case loc == time.UTC:
	case loc == s.zone.loc:
		p.zone = s.zone.zone
	default:
		if s.zone.byOffset && loc.String() == "" {
			if name, offset := t.Zone(); name == "" && offset == s.zone.offset {
				p.zone = s.zone.zone
				break
			}
		}
		var byOffset bool
		p.zone, byOffset = zones.number(t)
		if byOffset {
			_, offset := t.Zone()
			s.zone = lastZone{zone: p.zone, offset: offset, byOffset: true}
		} else {
			s.zone = lastZone{loc: loc, zone: p.zone}
		}
	}
	return p
}

// zones numbers the locations of the table's times other than UTC, for
// every table of the process: there are few of them. A time decoded from
// the API is in UTC, in time.Local, or in a fixed zone of its offset with
// no name (time.Parse makes one a time, each a new *time.Location): those
// are numbered by offset, so a listing whose times carry offsets makes one
// number an offset (RFC 3339 allows under 3,000), not one a time. Any other
// location (a named one, from Go code) is numbered as itself.
var zones zoneList

type zoneList struct {
	mu    sync.Mutex
	list  atomic.Pointer[[]*time.Location] // number-1 → location; copied on append
	named map[*time.Location]uint32
	fixed map[int]uint32
}

// number is the number of t's location; byOffset says it was numbered by
// its offset.
func (z *zoneList) number(t time.Time) (n uint32, byOffset bool) {
	loc := t.Location()
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.named == nil {
		z.named, z.fixed = map[*time.Location]uint32{}, map[int]uint32{}
		z.list.Store(new([]*time.Location))
	}
	if n, ok := z.named[loc]; ok {
		return n, false
	}
	name, offset := t.Zone()
	unnamed := loc != time.Local && loc.String() == "" && name == ""
	if unnamed {
		if n, ok := z.fixed[offset]; ok {
			return n, true
		}
		loc = time.FixedZone("", offset)
	}
	// A new list, never an append to the one readers may hold.
	list := append(slices.Clip(*z.list.Load()), loc)
	n = uint32(len(list))
	z.list.Store(&list)
	if unnamed {
		z.fixed[offset] = n
	} else {
		z.named[loc] = n
	}
	return n, unnamed
}
