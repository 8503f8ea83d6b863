package demoserver

import (
	"encoding/json"
	"strconv"
	"time"

	"h2ogpte-keys/model"
)

// spelling says how the server writes an APIKeyInfo's optional fields when
// they hold no value. Real servers differ here, and the spec allows both.
type spelling struct {
	// OmitEmpty leaves such fields out; otherwise they are sent as null.
	OmitEmpty bool
	// OldServer leaves out last_used_at, inactivity_interval and
	// total_calls altogether, as servers from before those fields did.
	OldServer bool
}

// wireKey is the API's APIKeyInfo as this server spells it. Every optional
// field carries its own omit flag, so one type covers every spelling.
type wireKey struct {
	ID             string     `json:"id"`
	Username       string     `json:"username"`
	Name           string     `json:"name"`
	Hint           string     `json:"hint"`
	Created        time.Time  `json:"created_at"`
	Expires        wireTime   `json:"expires_at,omitzero"`
	LastUsed       wireTime   `json:"last_used_at,omitzero"`
	InactivityDays wireInt    `json:"inactivity_interval,omitzero"`
	TotalCalls     wireInt    `json:"total_calls,omitzero"`
	IsActive       bool       `json:"is_active"`
	CollectionName wireString `json:"collection_name,omitzero"`
	CollectionID   wireString `json:"collection_id,omitzero"`
	IsGlobal       bool       `json:"is_global_key"`
}

// wireTime, wireInt and wireString write a value, null when unset, and are
// left out (omitzero) when omit is set. They marshal by hand: a listing of
// a million keys goes through them.
type wireTime struct {
	v         time.Time
	set, omit bool
}

func (o wireTime) IsZero() bool { return o.omit }

func (o wireTime) MarshalJSON() ([]byte, error) {
	if !o.set {
		return []byte("null"), nil
	}
	return o.v.MarshalJSON()
}

type wireInt struct {
	v         int64
	set, omit bool
}

func (o wireInt) IsZero() bool { return o.omit }

func (o wireInt) MarshalJSON() ([]byte, error) {
	if !o.set {
		return []byte("null"), nil
	}
	return strconv.AppendInt(nil, o.v, 10), nil
}

type wireString struct {
	v         string
	set, omit bool
}

func (o wireString) IsZero() bool { return o.omit }

func (o wireString) MarshalJSON() ([]byte, error) {
	if !o.set {
		return []byte("null"), nil
	}
	return json.Marshal(o.v)
}

// wire spells k as sp says.
func (sp spelling) wire(k *model.APIKey) wireKey {
	w := wireKey{
		ID: k.ID, Username: k.Username, Name: k.Name, Hint: k.Hint, Created: k.Created,
		IsActive: k.IsActive, IsGlobal: k.IsGlobal,
	}
	if k.Expires != nil {
		w.Expires = wireTime{v: *k.Expires, set: true}
	} else {
		w.Expires.omit = sp.OmitEmpty
	}
	if k.CollectionID != "" {
		w.CollectionID = wireString{v: k.CollectionID, set: true}
		w.CollectionName = wireString{v: k.CollectionName, set: true}
	} else {
		w.CollectionID.omit, w.CollectionName.omit = sp.OmitEmpty, sp.OmitEmpty
	}
	if sp.OldServer {
		w.LastUsed.omit, w.InactivityDays.omit, w.TotalCalls.omit = true, true, true
		return w
	}
	// A field the key does not report (only AddKey stores such a key) is
	// left out, as a server from before it would: a test can hold keys of
	// both kinds on one server.
	if t, ok := k.LastUsed.Get(); ok {
		w.LastUsed = wireTime{v: t, set: true}
	} else {
		w.LastUsed.omit = sp.OmitEmpty || !k.LastUsed.Reported
	}
	if d, ok := k.InactivityDays.Get(); ok {
		w.InactivityDays = wireInt{v: int64(d), set: true}
	} else {
		w.InactivityDays.omit = sp.OmitEmpty || !k.InactivityDays.Reported
	}
	// total_calls is required by the spec: a current server always sends it,
	// for every key it made.
	n, _ := k.TotalCalls.Get()
	w.TotalCalls = wireInt{v: n, set: true, omit: !k.TotalCalls.Reported}
	return w
}

func (sp spelling) wireAll(keys []model.APIKey) []wireKey {
	out := make([]wireKey, len(keys))
	for i := range keys {
		out[i] = sp.wire(&keys[i])
	}
	return out
}
