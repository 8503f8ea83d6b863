package model

import (
	"math"
	"strings"
	"time"
)

// Status says whether a key works, and if not, why.
type Status int

const (
	// StatusActive keys work.
	StatusActive Status = iota
	// StatusInactive keys were deactivated (cannot be undone).
	StatusInactive
	// StatusExpired keys are past their expiry date.
	StatusExpired
	// StatusIdle keys went unused for longer than their inactivity interval.
	StatusIdle
)

// String names the status as the table shows it.
func (s Status) String() string {
	switch s {
	case StatusActive:
		return "Active"
	case StatusInactive:
		return "Inactive"
	case StatusExpired:
		return "Expired"
	case StatusIdle:
		return "Idle"
	}
	return "Unknown"
}

// Working reports whether a key with this status still authenticates.
func (s Status) Working() bool { return s == StatusActive }

// ParseStatus reads a status name, case-insensitively.
func ParseStatus(s string) (Status, bool) {
	for st := StatusActive; st <= StatusIdle; st++ {
		if strings.EqualFold(st.String(), strings.TrimSpace(s)) {
			return st, true
		}
	}
	return 0, false
}

const day = 24 * time.Hour

// maxIdleDays is the most days a time.Duration holds (about 292 years); a
// larger interval from the server would overflow into the past and show a
// healthy key as idle.
const maxIdleDays = int(math.MaxInt64 / int64(day))

// IdleCutoff returns when the key stops working for want of use: the last use
// (or, if never used, its creation) plus the inactivity interval. ok is false
// when the key has no interval.
func (k APIKey) IdleCutoff() (t time.Time, ok bool) {
	days, ok := k.InactivityDays.Get()
	if !ok || days <= 0 {
		return time.Time{}, false
	}
	days = min(days, maxIdleDays)
	from := k.Created
	if lu, used := k.LastUsed.Get(); used && lu.After(from) {
		from = lu
	}
	return from.Add(time.Duration(days) * day), true
}

// StopsAt returns when the key stops (or stopped) working: the earlier of its
// expiry and its idle cut-off. ok is false when neither applies. A deactivated
// key has stopped already but has no such time; callers check Status first.
func (k APIKey) StopsAt() (t time.Time, ok bool) {
	if k.Expires != nil {
		t, ok = *k.Expires, true
	}
	if idle, has := k.IdleCutoff(); has && (!ok || idle.Before(t)) {
		t, ok = idle, true
	}
	return t, ok
}

// stoppedLongAgo orders deactivated keys, which stopped at a time the API
// does not report, before every real stop time.
var stoppedLongAgo = time.Unix(0, 0).UTC()

// StopsAtForSort is StopsAt as a sort key: a deactivated key has already
// stopped, so it sorts before every key that stops (or stopped) at a known
// time, matching the "already" its Stops working cell shows.
func (k APIKey) StopsAtForSort() (time.Time, bool) {
	if !k.IsActive {
		return stoppedLongAgo, true
	}
	return k.StopsAt()
}

// StatusAt returns the key's status at now. Deactivation wins over expiry,
// and expiry over idleness, when several apply.
func (k APIKey) StatusAt(now time.Time) Status {
	switch {
	case !k.IsActive:
		return StatusInactive
	case k.Expires != nil && !now.Before(*k.Expires):
		return StatusExpired
	}
	if idle, ok := k.IdleCutoff(); ok && !now.Before(idle) {
		return StatusIdle
	}
	return StatusActive
}
