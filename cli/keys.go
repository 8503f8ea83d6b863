package cli

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"h2ogpte-keys/change"
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
		user      string
		all       bool
		withUsage bool
		audit     auditFlags
	)
	cmd := &cobra.Command{
		Use:   "list (--user NAME | --all) [audit filters] [--sort COLUMN [--desc]]",
		Short: "List one user's keys, or everyone's",
		Long: `List API keys with every column: id, name, owner, secret hint, collection,
created, status, expiry, inactivity interval, last use, calls, and when the
key stops working.

Audit filters narrow the list; every one given must hold:
  --expiring-within D  working keys that stop working (expiry or idle
                       cut-off) within D from now: 7d, 48h, 2w, 1mo
  --never-used         keys never used
  --unused-for D       keys last used (never used: created) at least D ago
  --status LIST        keys in any of these statuses: active, inactive,
                       expired, idle, or not-working (inactive, expired or
                       idle); a comma list or the flag repeated
  --global-only        global keys, not collection keys
  --filter TEXT        name, collection or owner contains TEXT (any case)
They apply the same rules as the dashboard's quick filters, and work with
--user and --all alike.

Keys are listed by owner, then creation, unless --sort names a column: name,
user, collection, created, status, expires, inactivity, last-used,
total-calls or stops-at; --desc reverses it. Keys without a value (never
used, no expiry) come last either way.

"Stops at" is when a key stops working: the earlier of its expiry and its
idle cut-off (last use, or creation, plus the inactivity interval). Tables
and CSV show "already" for keys that have stopped (inactive, expired or
idle); a table shows "never" when nothing will stop a key ("-" when an older
server does not report the inactivity interval), CSV leaves it empty.

With --all and --output json or csv, the default order is written owner
by owner as each owner's keys are read, not after the whole listing, so
memory stays small however many keys there are (a table and --sort need
every key first). Every key's owner must be a listed user (see users): a
key whose owner is not is left out of this order.

--unsorted keeps the server's order instead, read in one pass: with
--output json or csv each key is written as its page arrives; the
records are the same bytes, only in the server's order. It takes fewer
requests when there are many users with few keys each, and it also shows
keys whose owner is not a listed user.

If a streamed listing fails midway, what was written is cut short and the
exit code is 1.

A listing read whole (a table, --user, --sort, --with-usage) is recorded in
the usage history (see history; --no-history turns it off); a streamed one
is not: it never holds the whole set (run snapshot for that). --with-usage
adds calls_24h, calls_7d and calls_30d (null where the history does not
cover the window) and usage_since.

JSON output has the API's field names (id, username, name, hint, created_at,
expires_at, last_used_at, inactivity_interval, total_calls, is_active,
collection_name, collection_id, is_global_key) plus "status" (active,
inactive, expired or idle) and "stops_at": RFC 3339, past for expired and
idle keys, or null when the key has no expiry or inactivity interval, or is
deactivated (its status says inactive). Fields an older server does not
report are left out. CSV has a header row and the same columns.`,
		Example: `  h2ogpte-keys list --user alice
  h2ogpte-keys list --all --output csv > keys.csv
  h2ogpte-keys list --all --output json --unsorted > keys.json
  h2ogpte-keys list --all --expiring-within 7d --sort stops-at
  h2ogpte-keys list --all --unused-for 90d --global-only
  h2ogpte-keys list --all --status expired,idle --sort last-used --desc`,
		Args: cobra.NoArgs,
		RunE: a.action(func(ctx context.Context, cmd *cobra.Command, _ []string) error {
			user = strings.TrimSpace(user)
			if !all && user == "" {
				return usageErrorf("--user needs a username")
			}
			// One clock reading judges filters, sort and the printed
			// statuses alike, so a key on a boundary cannot be filtered
			// as one status and shown as another.
			p := a.printer()
			aud, err := audit.parse(p.now, cmd.Flags().Changed("status"))
			if err != nil {
				return err
			}
			if audit.unsorted && aud.sorted {
				return usageErrorf("--unsorted and --sort contradict each other: give one")
			}
			if withUsage && !a.cfg.History {
				return usageErrorf("--with-usage reads the usage history, which is off (%s)", a.cfg.HistoryFrom)
			}
			c, err := a.connect()
			if err != nil {
				return err
			}
			// A streamed listing holds no whole set to record in the
			// usage history or to join with it: --with-usage collects.
			if audit.unsorted && p.format != formatTable && !withUsage {
				if all {
					user = ""
				}
				return a.streamKeys(ctx, c, p, user, aud)
			}
			if all && !audit.unsorted && !aud.sorted && p.format != formatTable && !withUsage {
				// The default order can be met owner by owner; a table
				// (column widths) and --sort need every key first.
				return a.streamByOwner(ctx, c, p, aud)
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
			a.recordKeys(ctx, keys)
			a.warnUnjudged(aud.filter.Unjudged(keys))
			var shown []model.APIKey
			if audit.unsorted {
				shown = aud.filterOnly(keys, p.now)
			} else {
				shown = aud.apply(keys, p.now)
			}
			if withUsage {
				usage, err := a.keyUsage(ctx, shown)
				if err != nil {
					return err
				}
				return p.keysWithUsage(shown, usage)
			}
			return p.keys(shown)
		}),
	}
	cmd.Flags().StringVar(&user, "user", "", "list this user's keys (exact username)")
	cmd.Flags().BoolVar(&all, "all", false, "list every user's keys")
	cmd.Flags().BoolVar(&withUsage, "with-usage", false, "add calls_24h, calls_7d, calls_30d and usage_since from the usage history (null where it does not cover the window)")
	cmd.MarkFlagsMutuallyExclusive("user", "all")
	cmd.MarkFlagsOneRequired("user", "all")
	_ = cmd.RegisterFlagCompletionFunc("user", a.completeUsers)
	audit.register(cmd)
	return cmd
}

// auditFlags are list's audit flags as typed.
type auditFlags struct {
	expiringWithin, unusedFor string
	neverUsed, globalOnly     bool
	statuses                  []string
	text                      string
	sort                      string
	desc                      bool
	unsorted                  bool
}

// register defines the audit flags on cmd, with their completions.
func (f *auditFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.expiringWithin, "expiring-within", "", "only working keys that stop working within `DURATION` (7d, 48h, 2w)")
	fs.BoolVar(&f.neverUsed, "never-used", false, "only keys never used")
	fs.StringVar(&f.unusedFor, "unused-for", "", "only keys unused for at least `DURATION` (90d); never-used keys count from creation")
	fs.StringSliceVar(&f.statuses, "status", nil, "only keys in any of these `STATUSES`: "+strings.Join(statusWords(), ", "))
	fs.BoolVar(&f.globalOnly, "global-only", false, "only global keys")
	fs.StringVar(&f.text, "filter", "", "only keys whose name, collection or owner contains `TEXT` (any case)")
	fs.StringVar(&f.sort, "sort", "", "sort by `COLUMN`: "+strings.Join(sortColumnNames(), ", "))
	fs.BoolVar(&f.desc, "desc", false, "with --sort: descending (keys without a value stay last)")
	fs.BoolVar(&f.unsorted, "unsorted", false, "keep the server's order, read in one pass; with --output json or csv, write keys as pages arrive")
	_ = cmd.RegisterFlagCompletionFunc("sort", completeSortColumns)
	_ = cmd.RegisterFlagCompletionFunc("status", completeStatuses)
	for _, name := range []string{"expiring-within", "unused-for", "filter"} {
		_ = cmd.RegisterFlagCompletionFunc(name, cobra.NoFileCompletions)
	}
}

// auditQuery is what the audit flags ask for, checked. The rules themselves
// live in model.Filter and model.Compare, shared with the dashboard.
type auditQuery struct {
	filter model.Filter
	// sorted is false for the default order (owner, then creation).
	sorted bool
	sortBy model.SortColumn
	desc   bool
}

// notWorking is --status's word for model.Filter.NotWorking.
const notWorking = "not-working"

// parse checks every audit flag before anything is sent, so a typo is a
// usage error and not a request. Durations are measured back or forward
// from now, so "1mo" means a calendar month. statusGiven is whether
// --status was on the command line (an empty --status is a mistake).
func (f auditFlags) parse(now time.Time, statusGiven bool) (auditQuery, error) {
	q := auditQuery{filter: model.Filter{NeverUsed: f.neverUsed, GlobalOnly: f.globalOnly, Text: f.text}}
	var err error
	if q.filter.ExpiringWithin, err = flagDuration("--expiring-within", f.expiringWithin, now); err != nil {
		return auditQuery{}, err
	}
	if q.filter.UnusedFor, err = flagDuration("--unused-for", f.unusedFor, now); err != nil {
		return auditQuery{}, err
	}
	if statusGiven && len(f.statuses) == 0 {
		return auditQuery{}, usageErrorf("--status needs a value: %s", strings.Join(statusWords(), ", "))
	}
	var stopped bool
	for _, s := range f.statuses {
		word := strings.ToLower(strings.TrimSpace(s))
		if st, ok := model.ParseStatus(word); ok {
			if !slices.Contains(q.filter.Statuses, st) {
				q.filter.Statuses = append(q.filter.Statuses, st)
			}
			continue
		}
		if strings.NewReplacer("_", "-", " ", "-").Replace(word) == notWorking {
			stopped = true
			continue
		}
		return auditQuery{}, usageErrorf("--status %s: want %s (a comma list, or the flag repeated)", echo(s), strings.Join(statusWords(), ", "))
	}
	if stopped {
		if len(q.filter.Statuses) == 0 {
			q.filter.NotWorking = true
		} else {
			// The list means "any of": not-working joins the statuses
			// named beside it rather than narrowing them (Filter wants
			// every field to hold).
			for _, st := range allStatuses() {
				if !st.Working() && !slices.Contains(q.filter.Statuses, st) {
					q.filter.Statuses = append(q.filter.Statuses, st)
				}
			}
		}
	}
	if f.sort != "" {
		col, err := model.ParseSortColumn(f.sort)
		if err != nil {
			return auditQuery{}, usageErrorf("--sort: %w", err)
		}
		q.sorted, q.sortBy = true, col
	}
	if f.desc && !q.sorted {
		return auditQuery{}, usageErrorf("--desc needs --sort COLUMN (%s)", strings.Join(sortColumnNames(), ", "))
	}
	q.desc = f.desc
	return q, nil
}

// flagDuration reads a duration flag (7d, 48h, 2w, 1mo) as the time from
// now that it spans; "" is zero, meaning the filter is off.
func flagDuration(name, s string, now time.Time) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	iv, err := model.ParseInterval(s)
	if err != nil {
		return 0, usageErrorf("%s %w", name, err)
	}
	return iv.AddTo(now).Sub(now), nil
}

// apply filters keys and orders what is left.
func (q auditQuery) apply(keys []model.APIKey, now time.Time) []model.APIKey {
	if q.filter.Active() {
		keys = q.filter.Apply(keys, now)
	}
	if !q.sorted {
		sortKeys(keys)
		return keys
	}
	slices.SortFunc(keys, func(a, b model.APIKey) int { return model.Compare(&a, &b, q.sortBy, q.desc, now) })
	return keys
}

// filterOnly filters keys and keeps their order.
func (q auditQuery) filterOnly(keys []model.APIKey, now time.Time) []model.APIKey {
	if q.filter.Active() {
		keys = q.filter.Apply(keys, now)
	}
	return keys
}

// recordWriter writes keys as JSON or CSV one at a time, through a
// buffer: byte for byte what printer.keys writes for the same keys in the
// same order, holding one record at a time.
type recordWriter struct {
	bw     *bufio.Writer
	jw     *model.KeyJSONWriter
	cw     *csv.Writer
	now    time.Time
	header bool
}

func newRecordWriter(p printer) *recordWriter {
	rw := &recordWriter{bw: bufio.NewWriterSize(p.w, 64<<10), now: p.now}
	if p.format == formatJSON {
		rw.jw = model.NewKeyJSONWriter(rw.bw, p.now)
	} else {
		rw.cw = csv.NewWriter(rw.bw)
	}
	return rw
}

func (rw *recordWriter) write(k model.APIKey) error {
	if rw.jw != nil {
		return rw.jw.Write(k)
	}
	if err := rw.csvHeader(); err != nil {
		return err
	}
	if err := rw.cw.Write(model.CSVRow(model.KeyCSVRow(k, rw.now))); err != nil {
		return fmt.Errorf("write CSV: %w", err)
	}
	return nil
}

func (rw *recordWriter) csvHeader() error {
	if rw.header {
		return nil
	}
	rw.header = true
	if err := rw.cw.Write(model.CSVRow(model.KeyColumns())); err != nil {
		return fmt.Errorf("write CSV: %w", err)
	}
	return nil
}

// flush pushes what was written so far to the output, so a reader of a
// pipe sees progress.
func (rw *recordWriter) flush() error {
	if rw.cw != nil {
		rw.cw.Flush() // csv.Writer buffers on its own
		if err := rw.cw.Error(); err != nil {
			return fmt.Errorf("write CSV: %w", err)
		}
	}
	return rw.bw.Flush()
}

// finish ends the output (the JSON array's close, or a CSV header for an
// empty listing) and flushes it.
func (rw *recordWriter) finish() error {
	if rw.jw != nil {
		if err := rw.jw.Close(); err != nil {
			return err
		}
	} else if err := rw.csvHeader(); err != nil {
		return err
	}
	return rw.flush()
}

// warnUnjudged says how many keys --never-used and --unused-for could not
// judge. An older server leaves usage out: saying nothing would make
// "never used: none" look like an answer.
func (a *app) warnUnjudged(n int) {
	if n > 0 {
		warnf(a.Stderr, "%s %s unknown usage (the server does not report it), so --never-used and --unused-for cannot judge %s: left out",
			countKeys(n), hasHave(n), itThem(n))
	}
}

// streamKeys writes user's keys (everyone's when user is "") as JSON or CSV
// record by record as pages arrive, filtered but in the server's order:
// one page is held at a time, never the whole listing. Each page is
// flushed, so a reader of the pipe sees progress.
func (a *app) streamKeys(ctx context.Context, c *client.Client, p printer, user string, aud auditQuery) error {
	rw := newRecordWriter(p)
	var (
		werr     error
		seen     int
		unjudged int
	)
	lower := strings.ToLower(aud.filter.Text)
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	err := c.StreamKeys(sctx, user, func(page []model.APIKey) {
		if werr != nil {
			return
		}
		seen += len(page)
		unjudged += aud.filter.Unjudged(page)
		for i := range page {
			if aud.filter.Active() && !aud.filter.Match(&page[i], p.now, lower) {
				continue
			}
			if werr = rw.write(page[i]); werr != nil {
				stop() // stdout is gone: reading on is pointless
				return
			}
		}
		werr = rw.flush()
	})
	if werr != nil {
		return werr
	}
	if err != nil {
		// What was written is cut short: say so beside the error.
		_ = rw.flush()
		return fmt.Errorf("the listing stopped midway, so the output is incomplete: %w", err)
	}
	if user != "" && seen == 0 {
		// An empty list may hide a typo: the lookup is worth it only now,
		// and nothing has been written yet.
		if _, err := findUser(ctx, c, user); err != nil {
			return err
		}
	}
	a.warnUnjudged(unjudged)
	return rw.finish()
}

// streamByOwner writes everyone's keys as JSON or CSV in the default order
// (owner, then creation) without collecting them: the users are listed
// and ordered by username as sortKeys orders owners (byte order), then
// each owner's keys are read (client.StreamKeysByOwner), filtered, sorted
// by sortKeys and written, and dropped. Memory is a few owners' keys, not
// the listing. The bytes are those of collecting every key and printing
// them sorted, given what this relies on: every key's owner is a user
// that /users lists. A key whose username no listed user has (an
// inconsistent server; a key with no username) is not read this way and
// does not appear; list --all --unsorted, which reads the whole listing,
// shows it. A key id listed under two owners appears under each.
func (a *app) streamByOwner(ctx context.Context, c *client.Client, p printer, aud auditQuery) error {
	users, err := c.ListUsers(ctx)
	if err != nil {
		return err
	}
	owners := ownerNames(users)
	rw := newRecordWriter(p)
	var werr error // stdout failed: reported as it is
	unjudged, wrote := 0, false
	err = c.StreamKeysByOwner(ctx, owners, func(_ string, keys []model.APIKey) error {
		unjudged += aud.filter.Unjudged(keys)
		for _, k := range aud.apply(keys, p.now) {
			if werr = rw.write(k); werr != nil {
				return werr
			}
			wrote = true
		}
		werr = rw.flush()
		return werr
	})
	switch {
	case werr != nil:
		return werr
	case err != nil && !wrote:
		return err
	case err != nil:
		// What was written is cut short: say so beside the error.
		_ = rw.flush()
		return fmt.Errorf("the listing stopped midway, so the output is incomplete: %w", err)
	}
	a.warnUnjudged(unjudged)
	return rw.finish()
}

// ownerNames returns each username once, without the empty one, in the
// order sortKeys puts owners in.
func ownerNames(users []model.User) []string {
	names := make([]string, 0, len(users))
	for _, u := range users {
		if u.Username != "" {
			names = append(names, u.Username)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// allStatuses lists every status, in model's order.
func allStatuses() []model.Status {
	var out []model.Status
	for st := model.StatusActive; st <= model.StatusIdle; st++ {
		out = append(out, st)
	}
	return out
}

// statusWords are the values --status takes.
func statusWords() []string {
	var out []string
	for _, st := range allStatuses() {
		out = append(out, model.StatusName(st))
	}
	return append(out, notWorking)
}

func sortColumnNames() []string {
	var out []string
	for _, c := range model.SortColumns() {
		out = append(out, c.String())
	}
	return out
}

func completeSortColumns(_ *cobra.Command, _ []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
	var out []cobra.Completion
	for _, name := range sortColumnNames() {
		if strings.HasPrefix(name, strings.ToLower(prefix)) {
			out = append(out, name)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

var statusHelp = map[string]string{
	"active":   "works",
	"inactive": "deactivated",
	"expired":  "past its expiry",
	"idle":     "unused for longer than its inactivity interval",
	notWorking: "inactive, expired or idle",
}

// completeStatuses completes the last word of a comma list, keeping the
// words before it and leaving out those already chosen.
func completeStatuses(_ *cobra.Command, _ []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
	head, last := "", prefix
	if i := strings.LastIndex(prefix, ","); i >= 0 {
		head, last = prefix[:i+1], prefix[i+1:]
	}
	chosen := strings.Split(strings.ToLower(head), ",")
	var out []cobra.Completion
	for _, w := range statusWords() {
		if strings.HasPrefix(w, strings.ToLower(last)) && !slices.Contains(chosen, w) {
			out = append(out, cobra.CompletionWithDesc(head+w, statusHelp[w]))
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// findUser looks a user up by exact username. No such user is a usage
// error: the admin named something that is not there, and nothing changed.
func findUser(ctx context.Context, c *client.Client, username string) (model.User, error) {
	u, err := c.FindUser(ctx, username)
	if errors.Is(err, client.ErrNotFound) {
		return u, usageErrorf("no user named %s (see h2ogpte-keys users)", echo(username))
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
duration from now (30d, 12h, 2w, 90 days, 6 months); an expiry past the
server's global expiry limit is refused before anything is created. Without
--expires the key is sent without expiry; the expiry shown afterwards is the
one the server stored, so a server that applies its own default says so.
--inactivity-days makes the key stop working after that many days without
use.

--name is 1 to 100 characters, without control, bidi-override or zero-width
characters. --collection, when given, must name a collection.

The secret is printed once, on stdout, and cannot be shown again.`,
		Example: `  h2ogpte-keys create --user alice --name ci --expires 30d
  h2ogpte-keys create --user alice --name reports --collection "Q3 reports" --inactivity-days 60`,
		Annotations: map[string]string{annChanges: "true"},
		Args:        cobra.NoArgs,
		RunE: a.action(func(ctx context.Context, cmd *cobra.Command, _ []string) error {
			user, name = strings.TrimSpace(user), strings.TrimSpace(name)
			if user == "" || name == "" {
				return usageErrorf("create needs --user NAME and --name NAME")
			}
			if err := keyNameFlag(name); err != nil {
				return err
			}
			coll, err := collectionFlag(cmd, coll)
			if err != nil {
				return err
			}
			// Every value is checked before the first request, so a typo
			// never leaves half a change behind.
			now := a.Now()
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
			// Only an explicit expiry past a global limit is refused here;
			// a key without expiry is sent, and a server that refuses it
			// says why in its answer.
			if exp != nil {
				if err := checkLimit(ctx, c, *exp, now); err != nil {
					return err
				}
			}
			// Through the change pipeline, never retried: an answer lost
			// after sending is read back, so the report says what the
			// server holds rather than guessing.
			stopNote := a.noteInterrupt(ctx)
			rep, err := a.runner(c, nil).Create(ctx, u.Username, nk)
			stopNote()
			if errors.Is(err, change.ErrReadOnly) {
				return usageErrorf("create changes keys and is refused in read-only mode")
			}
			// The report comes first whatever err is: a secret that
			// arrived is shown now or never. err is then the Recorder's.
			if rerr := a.reportCreate(rep, u.Username, exp == nil); rerr != nil {
				return failAlsoUnrecorded(rerr, err)
			}
			if err != nil {
				return unrecorded(err)
			}
			return nil
		}),
	}
	f := cmd.Flags()
	f.StringVar(&user, "user", "", "the key's owner (exact username)")
	f.StringVar(&name, "name", "", "a name for the key")
	f.StringVar(&coll, "collection", "", "limit the key to this collection of the user's (name or id)")
	f.StringVar(&expires, "expires", "", "expiry: a date (2026-12-31) or a duration (30d, 12h, 6 months); within the server's expiry limit, if it has one")
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
		return model.Collection{}, usageErrorf("collection %s is not one of %s's collections (a collection key may only name its owner's collection); %s",
			echo(want), owner, listCollections(owner, colls))
	}
	ids := make([]string, 0, len(byName))
	for _, cl := range byName {
		ids = append(ids, cl.ID)
	}
	return model.Collection{}, usageErrorf("%s has %d collections named %s; give the id (%s)",
		owner, len(byName), echo(want), strings.Join(ids, ", "))
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

// reportCreate prints a create's outcome. Done with its answer prints the
// key and its secret; every other outcome is exit 1 with a report on
// stderr that says what the server holds. A key that exists without its
// answer is named with the exact commands to remove it; an outcome still
// unknown after the read back says how to check, and never suggests
// creating the key again (that could make a second one).
func (a *app) reportCreate(rep change.CreateReport, owner string, noExpiryAsked bool) error {
	k := rep.Key()
	if k.Username == "" {
		// Messages name a person by username, never by UUID.
		k.Username = owner
	}
	name, user := strconv.Quote(cell(k.Name)), cell(owner)
	switch {
	case rep.Outcome() == model.Done && !rep.SecretLost():
		rep.Created.Key.Username = k.Username
		return a.printCreated(rep.Created, noExpiryAsked)
	case rep.SecretLost():
		id := cell(k.ID)
		fmt.Fprintf(a.Stderr, "h2ogpte-keys: the answer to create was lost (%s), but the key exists: %s %s of %s\n", failureReason(rep.Err()), id, name, user)
		fmt.Fprintln(a.Stderr, "h2ogpte-keys: its secret cannot be shown again. Keep the key unused, or remove it with one of:")
		fmt.Fprintf(a.Stderr, "  h2ogpte-keys deactivate %s --yes\n", id)
		fmt.Fprintf(a.Stderr, "  h2ogpte-keys delete %s --yes\n", id)
		return exitError{code: exitFail, msg: fmt.Sprintf("key %s %s of %s was created but its secret is lost", id, name, user)}
	case rep.Outcome() == model.Unknown:
		fmt.Fprintf(a.Stderr, "h2ogpte-keys: unknown whether key %s was created for %s: %s\n", name, user, failureReason(rep.Err()))
		fmt.Fprintf(a.Stderr, "h2ogpte-keys: check before doing anything else: h2ogpte-keys list --user %s (a key named %s created just now means it was; its secret is then lost)\n", user, name)
		return exitError{code: exitFail, msg: fmt.Sprintf("unknown whether key %s was created for %s", name, user)}
	}
	if rep.Results[0].ReadBack {
		// Not there when read back; a server behind a gateway may still
		// be working on it, so the way on is a look, not a resend.
		fmt.Fprintf(a.Stderr, "h2ogpte-keys: before creating it again, check that it has not appeared since: h2ogpte-keys list --user %s\n", user)
		return exitError{code: exitFail, msg: fmt.Sprintf("key %s was not created for %s (the answer was lost; read back, it is not there): %s",
			name, user, failureReason(rep.Err()))}
	}
	return rep.Err()
}

// createdJSON is create's JSON answer. The secret is the only place the
// plain value is ever written.
type createdJSON struct {
	SecretKey string          `json:"secret_key"`
	APIKey    model.KeyRecord `json:"api_key"`
}

// printCreated shows the key as the server stored it. noExpiryAsked is true when
// the admin gave no expiry: an expiry in the answer is then the server's
// own default, and the table line says so.
func (a *app) printCreated(ck model.CreatedKey, noExpiryAsked bool) error {
	p := a.printer()
	k := ck.Key
	// Stderr, so the warning reaches the admin even when stdout goes to a
	// file or a pipe.
	defer warnf(a.Stderr, "the secret key is shown only once and will not be shown again: store it now")
	switch p.format {
	case formatJSON:
		return writeJSON(p.w, createdJSON{SecretKey: a.shownSecret(ck.Secret), APIKey: model.NewKeyRecord(k, p.now)})
	case formatCSV:
		return writeCSV(p.w, append([]string{"secret_key"}, model.KeyColumns()...),
			[][]string{append([]string{a.shownSecret(ck.Secret)}, model.KeyCSVRow(k, p.now)...)})
	}
	scope := "global"
	if k.CollectionName != "" || k.CollectionID != "" {
		scope = "collection " + cell(k.CollectionName)
		if k.CollectionName == "" {
			scope = "collection " + cell(k.CollectionID)
		}
	}
	fmt.Fprintf(p.w, "Created key %s %q for %s (%s, expires %s", cell(k.ID), cell(k.Name), cell(k.Username), scope, p.expires(k))
	if noExpiryAsked && k.Expires != nil {
		fmt.Fprint(p.w, ", the server's default: no expiry was asked for")
	}
	if d, ok := k.InactivityDays.Get(); ok && d > 0 {
		fmt.Fprintf(p.w, ", stops after %s unused", model.PluralDays(d))
	}
	fmt.Fprintln(p.w, ")")
	_, err := fmt.Fprintln(p.w, "Secret key (shown once, store it now): "+a.shownSecret(ck.Secret))
	return err
}

func hasHave(n int) string {
	if n == 1 {
		return "has"
	}
	return "have"
}

func itThem(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

// shownSecret is a new key's secret as the command line shows it: like the
// dashboard, without the control and formatting characters a hostile
// server could use to drive the terminal (a real secret is "sk-" and
// letters). When any had to go, stderr says so: the secret shown is then
// not the server's, and may not work.
func (a *app) shownSecret(s model.Secret) string {
	shown := model.CleanText(s.Reveal())
	if shown != s.Reveal() {
		warnf(a.Stderr, "the server's secret key held control or formatting characters; they were left out, so it may not work")
	}
	return shown
}
