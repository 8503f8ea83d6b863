// Package change is the one path every change to API keys takes, from the
// dashboard and the command line alike. A change is a value (Change: verb,
// past tense, danger, how to apply it and how to recognise it applied); a
// Runner applies one to any number of keys (one key is a bulk of one) and
// returns a Report that says, per key, done, not done or unknown. When a
// request's answer is lost (model.ErrOutcomeUnknown) the Runner reads the
// key back before it reports anything, so nothing is called failed that
// happened, nor done that did not.
package change

import (
	"context"
	"fmt"
	"time"

	"h2ogpte-keys/model"
)

// API is what changes need from the server. *client.Client satisfies it.
type API interface {
	// StreamKeys delivers every key of username ("" = all users) page by
	// page; the read back after a lost answer uses it.
	StreamKeys(ctx context.Context, username string, onPage func([]model.APIKey)) error
	CreateKey(ctx context.Context, k model.NewKey) (model.CreatedKey, error)
	Deactivate(ctx context.Context, keyID string) error
	SetExpiry(ctx context.Context, keyID string, e model.Expiry) error
	SetInactivity(ctx context.Context, keyID string, days int) error
	Delete(ctx context.Context, keyID string) error
	// ListUsers and ListCollections serve the checks before a rotation:
	// the owner's user id, and whether a collection is still the owner's.
	ListUsers(ctx context.Context) ([]model.User, error)
	ListCollections(ctx context.Context, username string) ([]model.Collection, error)
}

// Change is one kind of change to a key, described once for every caller.
type Change struct {
	// Verb is the imperative, lower case: "deactivate".
	Verb string
	// Past is the past tense, lower case: "deactivated".
	Past string
	// Value describes the new value for the changes that set one
	// ("expiry 2026-12-31 23:59 UTC", "inactivity none"); empty otherwise.
	Value string
	// Danger marks a change that cannot be undone; Note says why, as a
	// sentence for a confirmation.
	Danger bool
	Note   string
	// Apply sends the change for one key.
	Apply func(ctx context.Context, api API, key model.APIKey) error
	// Applied tells from a key as read back (nil: no longer listed)
	// whether the change took effect; sent is when the server can have
	// received the request, by its own clock.
	Applied func(read *model.APIKey, sent Window) bool
}

// Window is a span of time: when a request can have reached the server,
// widened by the clock skew allowed between this machine and the server.
type Window struct {
	From, To time.Time
}

// Deactivate stops a key for good: the API has no way back.
func Deactivate() Change {
	return Change{
		Verb: "deactivate", Past: "deactivated", Danger: true,
		Note: "Deactivation cannot be undone: there is no way to reactivate a key",
		Apply: func(ctx context.Context, api API, k model.APIKey) error {
			return api.Deactivate(ctx, k.ID)
		},
		Applied: func(read *model.APIKey, _ Window) bool { return read != nil && !read.IsActive },
	}
}

// Delete removes a key.
func Delete() Change {
	return Change{
		Verb: "delete", Past: "deleted", Danger: true,
		Note: "This cannot be undone",
		Apply: func(ctx context.Context, api API, k model.APIKey) error {
			return api.Delete(ctx, k.ID)
		},
		Applied: func(read *model.APIKey, _ Window) bool { return read == nil },
	}
}

// SetExpiry sets a key's expiry to e, or removes it (e.Never).
func SetExpiry(e model.Expiry) Change {
	value := "expiry none"
	if !e.Never {
		value = "expiry " + e.At.UTC().Format("2006-01-02 15:04 MST")
	}
	return Change{
		Verb: "set the expiry of", Past: "set the expiry of", Value: value,
		Apply: func(ctx context.Context, api API, k model.APIKey) error {
			return api.SetExpiry(ctx, k.ID, e)
		},
		Applied: func(read *model.APIKey, sent Window) bool {
			if read == nil {
				return false
			}
			if e.Never {
				return read.Expires == nil
			}
			if read.Expires == nil {
				return false
			}
			// The server counts the interval from when the request
			// reached it, not from when the admin chose the value.
			at := *read.Expires
			return !at.Before(e.In.AddTo(sent.From)) && !at.After(e.In.AddTo(sent.To))
		},
	}
}

// SetInactivity sets a key's inactivity interval in days; 0 removes it.
func SetInactivity(days int) Change {
	value := "inactivity none"
	if days > 0 {
		value = fmt.Sprintf("inactivity %d days", days)
	}
	return Change{
		Verb: "set the inactivity interval of", Past: "set the inactivity interval of", Value: value,
		Apply: func(ctx context.Context, api API, k model.APIKey) error {
			return api.SetInactivity(ctx, k.ID, days)
		},
		Applied: func(read *model.APIKey, _ Window) bool {
			if read == nil {
				return false
			}
			got, set := read.InactivityDays.Get()
			if days == 0 {
				return !set || got == 0
			}
			return set && got == days
		},
	}
}
