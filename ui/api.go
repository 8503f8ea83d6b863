// Package ui is the h2ogpte-keys dashboard: a Bubble Tea program whose root
// App routes keys and messages between the key table, the user picker and a
// stack of dialogs.
package ui

import (
	"context"

	"h2ogpte-keys/model"
)

// API is what the dashboard needs from the server. *client.Client satisfies
// it; tests pass the real client pointed at a demoserver.
type API interface {
	ListUsers(ctx context.Context) ([]model.User, error)
	// StreamKeys delivers every key of username ("" = all users) page by
	// page, in order, as pages arrive.
	StreamKeys(ctx context.Context, username string, onPage func([]model.APIKey)) error
	ListCollections(ctx context.Context, username string) ([]model.Collection, error)
	GlobalExpiryLimit(ctx context.Context) (days int, err error)
	CreateKey(ctx context.Context, k model.NewKey) (model.CreatedKey, error)
	Deactivate(ctx context.Context, keyID string) error
	SetExpiry(ctx context.Context, keyID string, e model.Expiry) error
	SetInactivity(ctx context.Context, keyID string, days int) error
	Delete(ctx context.Context, keyID string) error
}
