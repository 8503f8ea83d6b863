package model

import (
	"bytes"
	"encoding/json"
	"time"
)

// User is an h2oGPTe user (the API's UserInfo). ID, not Username, is what a
// create request names.
type User struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	Email    string `json:"email"`
}

// Collection is the part of the API's Collection that the tool uses. Username
// is the owner: a collection key may only name a collection of its own user.
type Collection struct {
	ID            string    `json:"id"`
	Name          string    `json:"name"`
	Description   string    `json:"description"`
	Username      string    `json:"username"`
	DocumentCount int64     `json:"document_count"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// Opt is a field that a server may leave out (older servers do) or send as
// null. Reported is false when the field was absent; Set is false when it was
// null (or absent). It marshals as null when not Set and, with the
// `omitzero` tag, is left out when not Reported.
type Opt[T any] struct {
	Reported bool
	Set      bool
	V        T
}

// Some returns a reported, set Opt holding v.
func Some[T any](v T) Opt[T] { return Opt[T]{Reported: true, Set: true, V: v} }

// Null returns a reported Opt that holds no value (the server sent null).
func Null[T any]() Opt[T] { return Opt[T]{Reported: true} }

// Get returns the value and whether one is set.
func (o Opt[T]) Get() (T, bool) { return o.V, o.Set }

// IsZero reports whether the field was absent, so `omitzero` leaves it out.
// A value that is Set counts as reported even if Reported was not filled in.
func (o Opt[T]) IsZero() bool { return !o.Reported && !o.Set }

// UnmarshalJSON records that the field was present; null leaves it unset.
func (o *Opt[T]) UnmarshalJSON(b []byte) error {
	*o = Opt[T]{Reported: true}
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		return nil
	}
	if err := json.Unmarshal(b, &o.V); err != nil {
		return err
	}
	o.Set = true
	return nil
}

// MarshalJSON writes the value, or null when none is set.
func (o Opt[T]) MarshalJSON() ([]byte, error) {
	if !o.Set {
		return []byte("null"), nil
	}
	return json.Marshal(o.V)
}

// APIKey is one API key as the server describes it (the API's APIKeyInfo),
// with the API's JSON field names.
type APIKey struct {
	ID       string    `json:"id"`
	Username string    `json:"username"`
	Name     string    `json:"name"`
	Hint     string    `json:"hint"`
	Created  time.Time `json:"created_at"`
	// Expires is nil when the key never expires.
	Expires *time.Time `json:"expires_at"`
	// LastUsed is reported-but-unset for a key never used.
	LastUsed Opt[time.Time] `json:"last_used_at,omitzero"`
	// InactivityDays is reported-but-unset when the key has no interval.
	InactivityDays Opt[int]   `json:"inactivity_interval,omitzero"`
	TotalCalls     Opt[int64] `json:"total_calls,omitzero"`
	IsActive       bool       `json:"is_active"`
	CollectionName string     `json:"collection_name,omitempty"`
	CollectionID   string     `json:"collection_id,omitempty"`
	IsGlobal       bool       `json:"is_global_key"`
}

// UsageReported reports whether the server reports this key's usage at all.
// total_calls is required in the current spec, so a key that carries it
// comes from a current server, where a missing last_used_at means never
// used; only servers from before usage tracking leave total_calls out.
// A last use that is set is reported whatever else is missing.
func (k APIKey) UsageReported() bool {
	return k.TotalCalls.Reported || k.TotalCalls.Set || k.LastUsed.Set
}

// InactivityReported reports whether the server reports this key's
// inactivity interval: a current server (one that sends total_calls) has
// none when it leaves the field out or sends null; an older server's key
// reports one only by giving it (null and absent mean the same there too).
func (k APIKey) InactivityReported() bool {
	return k.InactivityDays.Set || k.TotalCalls.Reported || k.TotalCalls.Set
}

// Normalize makes absent and null mean the same for a key from a current
// server: when total_calls is there, a missing last_used_at or
// inactivity_interval reads as reported with no value (never used, no
// interval), as if the server had sent null. Keys from older servers (no
// total_calls) keep their usage "not reported": there a null last_used_at
// or inactivity_interval reads as left out.
// The client normalizes every key it decodes.
func (k *APIKey) Normalize() {
	if !k.TotalCalls.Reported && !k.TotalCalls.Set {
		// An older server's null says no more than a field it left out.
		k.LastUsed.Reported = k.LastUsed.Set
		k.InactivityDays.Reported = k.InactivityDays.Set
		return
	}
	k.TotalCalls.Reported = true
	k.LastUsed.Reported = true
	k.InactivityDays.Reported = true
}

// UsageUnknown reports whether k's usage is not reported (an older server):
// such a key can be counted neither as never used nor as used.
func UsageUnknown(k APIKey) bool { return !k.UsageReported() }

// CountUsageUnknown counts the keys whose usage is not reported, for the
// "N keys have unknown usage" notes beside never-used and unused-for
// audits.
func CountUsageUnknown(keys []APIKey) int {
	n := 0
	for i := range keys {
		if !keys[i].UsageReported() {
			n++
		}
	}
	return n
}

// NewKey is what an admin asks for when creating a key for a user.
type NewKey struct {
	// UserID is the owner's User.ID (not the username).
	UserID string
	// Owner is the owner's username, for messages only: the API takes the
	// id, but an admin knows people by name.
	Owner string
	Name  string
	// CollectionID is empty for a global key.
	CollectionID string
	// Expiry is nil or Never for a key that does not expire.
	Expiry *Expiry
	// InactivityDays is 0 for no inactivity interval.
	InactivityDays int
}

// CreatedKey is the answer to a create: the key and its secret, shown once.
type CreatedKey struct {
	Secret Secret
	Key    APIKey
}
