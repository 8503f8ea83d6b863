package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"h2ogpte-keys/client"
	"h2ogpte-keys/model"
)

func (a *app) newUsersCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "users",
		Short: "List users",
		Args:  cobra.NoArgs,
		RunE: a.action(func(ctx context.Context, _ *cobra.Command, _ []string) error {
			c, err := a.connect()
			if err != nil {
				return err
			}
			users, err := c.ListUsers(ctx)
			if err != nil {
				return err
			}
			return a.printer().users(users)
		}),
	}
}

func (a *app) newListCmd() *cobra.Command {
	var (
		user string
		all  bool
	)
	cmd := &cobra.Command{
		Use:   "list (--user NAME | --all)",
		Short: "List one user's keys, or everyone's",
		Long: `List API keys with every column: id, name, owner, secret hint, collection,
created, status, expiry, inactivity interval, last use, calls, and when the
key stops working.

JSON output has the API's field names (id, username, name, hint, created_at,
expires_at, last_used_at, inactivity_interval, total_calls, is_active,
collection_name, collection_id, is_global_key) plus "status" (active,
inactive, expired or idle) and "stops_at" (RFC 3339, or null when the key has
no expiry or inactivity interval, or is deactivated). Fields an older server
does not report are left out. CSV has a header row and the same columns.`,
		Example: `  h2ogpte-keys list --user alice
  h2ogpte-keys list --all --output csv > keys.csv`,
		Args: cobra.NoArgs,
		RunE: a.action(func(ctx context.Context, _ *cobra.Command, _ []string) error {
			user = strings.TrimSpace(user)
			switch {
			case user != "" && all:
				return usageErrorf("give --user NAME or --all, not both")
			case user == "" && !all:
				return usageErrorf("give --user NAME or --all")
			}
			c, err := a.connect()
			if err != nil {
				return err
			}
			var keys []model.APIKey
			if all {
				keys, err = c.ListAllKeys(ctx)
			} else {
				keys, err = c.ListKeys(ctx, user)
				if err == nil && len(keys) == 0 {
					// An empty list may hide a typo; only then is the
					// (paged) user lookup worth its cost.
					_, err = findUser(ctx, c, user)
				}
			}
			if err != nil {
				return err
			}
			sortKeys(keys)
			return a.printer().keys(keys)
		}),
	}
	cmd.Flags().StringVar(&user, "user", "", "list this user's keys (exact username)")
	cmd.Flags().BoolVar(&all, "all", false, "list every user's keys")
	_ = cmd.RegisterFlagCompletionFunc("user", a.completeUsers)
	return cmd
}

// findUser looks a user up by exact username. No such user is a usage
// error: the admin named something that is not there, and nothing changed.
func findUser(ctx context.Context, c *client.Client, username string) (model.User, error) {
	u, err := c.FindUser(ctx, username)
	if errors.Is(err, client.ErrNotFound) {
		return u, usageErrorf("no user named %q (see h2ogpte-keys users)", username)
	}
	return u, err
}

func (a *app) newCreateCmd() *cobra.Command {
	var user, name, coll, expires, inactivityDays string
	cmd := &cobra.Command{
		Use:   "create --user NAME --name NAME [--collection NAME-or-ID] [--expires VALUE] [--inactivity-days N]",
		Short: "Create a key for a user and print its secret once",
		Long: `Create an API key for a user. Without --collection the key is global; with
it, the key works only for that collection, which must be one of the user's
own.

--expires takes a date (2026-12-31, the end of that day, local time) or a
duration from now (30d, 12h, 2w, 90 days, 6 months); the server's global
expiry limit is checked before anything is created. --inactivity-days makes
the key stop working after that many days without use.

The secret is printed once, on stdout, and cannot be shown again.`,
		Example: `  h2ogpte-keys create --user alice --name ci --expires 30d
  h2ogpte-keys create --user alice --name reports --collection "Q3 reports" --inactivity-days 60`,
		Annotations: map[string]string{annChanges: "true"},
		Args:        cobra.NoArgs,
		RunE: a.action(func(ctx context.Context, _ *cobra.Command, _ []string) error {
			user, name, coll = strings.TrimSpace(user), strings.TrimSpace(name), strings.TrimSpace(coll)
			if user == "" || name == "" {
				return usageErrorf("create needs --user NAME and --name NAME")
			}
			// Every value is checked before the first request, so a typo
			// never leaves half a change behind.
			now := a.now()
			var exp *model.Expiry
			if expires != "" {
				e, err := model.ParseExpiry(expires, now)
				if err != nil {
					return usageError{err}
				}
				exp = &e
			}
			var days int
			if inactivityDays != "" {
				d, err := model.ParseInactivityDays(inactivityDays)
				if err != nil {
					return usageError{err}
				}
				days = d
			}

			c, err := a.connect()
			if err != nil {
				return err
			}
			u, err := findUser(ctx, c, user)
			if err != nil {
				return err
			}
			nk := model.NewKey{UserID: u.ID, Name: name, Expiry: exp, InactivityDays: days}
			if coll != "" {
				cl, err := resolveCollection(ctx, c, u.Username, coll)
				if err != nil {
					return err
				}
				nk.CollectionID = cl.ID
			}
			// Under a global expiry limit a key without expiry would outlive
			// the cap, so one is required (model.CheckExpiry refuses Never).
			want := model.Expiry{Never: true}
			if exp != nil {
				want = *exp
			}
			if err := checkLimit(ctx, c, want, now); err != nil {
				var ue usageError
				if exp == nil && errors.As(err, &ue) {
					return usageErrorf("%v: pass --expires", ue.err)
				}
				return err
			}
			created, err := c.CreateKey(ctx, nk)
			if err != nil {
				return err
			}
			return a.printCreated(created)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&user, "user", "", "the key's owner (exact username)")
	f.StringVar(&name, "name", "", "a name for the key")
	f.StringVar(&coll, "collection", "", "limit the key to this collection of the user's (name or id)")
	f.StringVar(&expires, "expires", "", "expiry: a date (2026-12-31) or a duration (30d, 12h, 6 months); required when the server has an expiry limit")
	f.StringVar(&inactivityDays, "inactivity-days", "", "stop the key after N days without use; default none")
	_ = cmd.RegisterFlagCompletionFunc("user", a.completeUsers)
	_ = cmd.RegisterFlagCompletionFunc("collection", a.completeCollections)
	return cmd
}

// resolveCollection finds one of owner's collections by id or exact name.
func resolveCollection(ctx context.Context, c *client.Client, owner, want string) (model.Collection, error) {
	colls, err := c.ListCollections(ctx, owner)
	if err != nil {
		return model.Collection{}, err
	}
	var byName []model.Collection
	for _, cl := range colls {
		if cl.ID == want {
			return cl, nil
		}
		if cl.Name == want {
			byName = append(byName, cl)
		}
	}
	switch len(byName) {
	case 1:
		return byName[0], nil
	case 0:
		return model.Collection{}, usageErrorf("collection %q is not one of %s's collections (a collection key may only name its owner's collection); %s",
			want, owner, listCollections(owner, colls))
	}
	ids := make([]string, 0, len(byName))
	for _, cl := range byName {
		ids = append(ids, cl.ID)
	}
	return model.Collection{}, usageErrorf("%s has %d collections named %q; give the id (%s)",
		owner, len(byName), want, strings.Join(ids, ", "))
}

// listCollections names a few of the owner's collections for an error
// message, so the admin can see what would have been accepted.
func listCollections(owner string, colls []model.Collection) string {
	if len(colls) == 0 {
		return owner + " has none"
	}
	const show = 5
	var names []string
	for i, cl := range colls {
		if i == show {
			names = append(names, fmt.Sprintf("and %d more", len(colls)-show))
			break
		}
		names = append(names, fmt.Sprintf("%q (%s)", cl.Name, cl.ID))
	}
	return owner + "'s are: " + strings.Join(names, ", ")
}

// checkLimit asks the server for its global expiry limit and refuses an
// expiry past it (or no expiry under one) before anything is sent.
func checkLimit(ctx context.Context, c *client.Client, e model.Expiry, now time.Time) error {
	limit, err := c.GlobalExpiryLimit(ctx)
	if err != nil {
		return err
	}
	if err := model.CheckExpiry(e, limit, now); err != nil {
		return usageError{err}
	}
	return nil
}

// createdJSON is create's JSON answer. The secret is the only place the
// plain value is ever written.
type createdJSON struct {
	SecretKey string    `json:"secret_key"`
	APIKey    keyRecord `json:"api_key"`
}

func (a *app) printCreated(ck model.CreatedKey) error {
	p := a.printer()
	k := ck.Key
	// Stderr, so the warning reaches the admin even when stdout goes to a
	// file or a pipe.
	defer warnf(a.stderr, "the secret key is shown only once and will not be shown again: store it now")
	switch p.format {
	case formatJSON:
		return writeJSON(p.w, createdJSON{SecretKey: ck.Secret.Reveal(), APIKey: newKeyRecord(k, p.now)})
	case formatCSV:
		return writeCSV(p.w, append([]string{"secret_key"}, keyColumns...),
			[][]string{append([]string{ck.Secret.Reveal()}, keyCSVRow(k, p.now)...)})
	}
	scope := "global"
	if k.CollectionName != "" || k.CollectionID != "" {
		scope = "collection " + cell(k.CollectionName)
		if k.CollectionName == "" {
			scope = "collection " + cell(k.CollectionID)
		}
	}
	fmt.Fprintf(p.w, "Created key %s %q for %s (%s, expires %s", cell(k.ID), cell(k.Name), cell(k.Username), scope, p.expires(k))
	if d, ok := k.InactivityDays.Get(); ok && d > 0 {
		fmt.Fprintf(p.w, ", stops after %s unused", pluralDays(d))
	}
	fmt.Fprintln(p.w, ")")
	_, err := fmt.Fprintln(p.w, "Secret key (shown once, store it now): "+ck.Secret.Reveal())
	return err
}
