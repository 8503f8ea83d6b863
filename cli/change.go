package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"h2ogpte-keys/change"
	"h2ogpte-keys/client"
	"h2ogpte-keys/model"
)

// bulkOp is deactivate or delete: several ids, one confirmation, one
// outcome line per id. The change itself is the shared descriptor.
type bulkOp struct {
	change  change.Change
	warning string // the prompt's second sentence
}

var (
	opDelete     = bulkOp{change: change.Delete(), warning: "This cannot be undone"}
	opDeactivate = bulkOp{change: change.Deactivate(), warning: "Deactivation cannot be undone: there is no way to reactivate a key"}
)

// runner is the shared change pipeline over c; progress, when set, sees
// each key's outcome as it is known. One key at a time, so the lines come
// out in the order the ids were given.
func (a *app) runner(c *client.Client, progress func(change.Result)) *change.Runner {
	return change.NewRunner(c, change.Options{ReadOnly: a.cfg.ReadOnly, Recorder: a.recorder(), Concurrency: 1, Now: a.Now, Progress: progress})
}

func (a *app) newDeleteCmd() *cobra.Command {
	return a.newBulkCmd(opDelete, "Delete keys (cannot be undone)",
		"Delete API keys by id. Asks first on a terminal; elsewhere --yes is required.")
}

func (a *app) newDeactivateCmd() *cobra.Command {
	return a.newBulkCmd(opDeactivate, "Deactivate keys (cannot be undone)",
		`Deactivate API keys by id: they stop working at once but stay listed.
There is no reactivation. Asks first on a terminal; elsewhere --yes is required.`)
}

func (a *app) newBulkCmd(op bulkOp, short, long string) *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:               op.change.Verb + " ID... [--yes]",
		Short:             short,
		Long:              long,
		Annotations:       map[string]string{annChanges: "true"},
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: a.completeKeyIDs,
		RunE: a.action(func(ctx context.Context, _ *cobra.Command, args []string) error {
			ids, err := uniqueIDs(args)
			if err != nil {
				return err
			}
			// The question goes to stderr and the answer comes from stdin;
			// stdout may well be a file (delete ID -o json > out.json).
			interactive := a.StdinTTY() && a.StderrTTY()
			if !yes && !interactive {
				return usageErrorf("refusing to %s %s without confirmation: not on a terminal; add --yes", op.change.Verb, countKeys(len(ids)))
			}
			c, err := a.connect()
			if err != nil {
				return err
			}
			// With --yes nothing is listed: the ids are sent as given and
			// the server's answer for each is what counts (an unknown id
			// comes back not found). Only a person being asked needs the
			// keys named.
			var known map[string]model.APIKey
			if !yes {
				if known, err = a.lookupKeys(ctx, c, ids); err != nil {
					return err
				}
				ok, err := a.confirm(ctx, op, ids, known)
				if err != nil {
					return exitError{code: exitFail, msg: "interrupted at the question; nothing was changed"}
				}
				if !ok {
					return exitError{code: exitFail, msg: "cancelled; nothing was changed"}
				}
			}
			return a.runBulk(ctx, c, op, ids, known)
		}),
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

func uniqueIDs(args []string) ([]string, error) {
	seen := make(map[string]bool, len(args))
	ids := make([]string, 0, len(args))
	for _, raw := range args {
		id, err := keyIDArg(raw)
		if err != nil {
			return nil, err
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids, nil
}

func countKeys(n int) string {
	if n == 1 {
		return "1 key"
	}
	return fmt.Sprintf("%d keys", n)
}

// lookupKeys finds ids among the server's keys so that the prompt can name
// them, reading pages only until every id is found. The names are a
// courtesy: if the listing fails, a warning says so and the prompt names the
// keys by id alone (nil map).
func (a *app) lookupKeys(ctx context.Context, c *client.Client, ids []string) (map[string]model.APIKey, error) {
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	found := make(map[string]model.APIKey, len(ids))
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	err := c.StreamKeys(sctx, "", func(page []model.APIKey) {
		for _, k := range page {
			if want[k.ID] {
				found[k.ID] = k
			}
		}
		if len(found) == len(want) {
			stop() // all named: the rest of the listing is not needed
		}
	})
	switch {
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case err != nil && sctx.Err() == nil:
		warnf(a.Stderr, "cannot look the keys up to name them (%s); asking by id", oneLine(err.Error()))
		return nil, nil
	}
	return found, nil
}

// confirm asks on the terminal, naming the keys, and defaults to no.
func (a *app) confirm(ctx context.Context, op bulkOp, ids []string, known map[string]model.APIKey) (bool, error) {
	const show = 5
	names := make([]string, 0, min(len(ids), show+1))
	for i, id := range ids {
		if i == show {
			names = append(names, fmt.Sprintf("and %d more", len(ids)-show))
			break
		}
		names = append(names, describeKey(id, known))
	}
	verb := strings.ToUpper(op.change.Verb[:1]) + op.change.Verb[1:]
	fmt.Fprintf(a.Stderr, "%s %s (%s)? %s [y/N] ", verb, countKeys(len(ids)), strings.Join(names, ", "), op.warning)
	ok, err := askYes(ctx, a.Stdin)
	if err != nil || !ok {
		fmt.Fprintln(a.Stderr)
	}
	return ok, err
}

// describeKey names a key for the prompt: its name and owner, or its id
// when the listing does not have it (or could not be read: known is nil).
func describeKey(id string, known map[string]model.APIKey) string {
	k, ok := known[id]
	switch {
	case known == nil:
		return cell(id)
	case !ok:
		return cell(id) + ": not found"
	}
	return fmt.Sprintf("%s of %s", cell(k.Name), cell(k.Username))
}

// bulkResult is one id's outcome, as JSON and CSV report it. OK is true
// only when the change is done; Outcome says done, not done or unknown.
type bulkResult struct {
	ID       string `json:"id"`
	Name     string `json:"name,omitempty"`
	Username string `json:"username,omitempty"`
	OK       bool   `json:"ok"`
	Outcome  string `json:"outcome"`
	Error    string `json:"error,omitempty"`
}

func (a *app) runBulk(ctx context.Context, c *client.Client, op bulkOp, ids []string, known map[string]model.APIKey) error {
	p := a.printer()
	keys := make([]model.APIKey, 0, len(ids))
	for _, id := range ids {
		k, ok := known[id]
		if !ok {
			k = model.APIKey{ID: id}
		}
		keys = append(keys, k)
	}
	past := op.change.Past
	var progress func(change.Result)
	recorded := a.recorder() != nil
	if p.format == formatTable && !recorded {
		// Each line as it happens, so an admin watching a long run sees
		// progress, and an interrupted run still shows what was done.
		// Not when an audit log records the run: a result is shown only
		// once it is on record, so the lines wait for the report.
		progress = func(r change.Result) { fmt.Fprintln(p.w, outcomeLine(past, r)) }
	}
	// err is ErrReadOnly (nothing sent) or the Recorder's: then the
	// changes were sent and are reported all the same.
	stopNote := a.noteInterrupt(ctx)
	rep, err := a.runner(c, progress).Run(ctx, op.change, keys)
	stopNote()
	if errors.Is(err, change.ErrReadOnly) {
		return err
	}
	if p.format == formatTable && recorded {
		for _, r := range rep.Results {
			fmt.Fprintln(p.w, outcomeLine(past, r))
		}
	}
	recErr := err
	if ctx.Err() != nil && noneSent(rep) {
		return failAlsoUnrecorded(ctx.Err(), recErr) // interrupted before anything was sent
	}
	results := make([]bulkResult, 0, len(rep.Results))
	for _, r := range rep.Results {
		br := bulkResult{ID: r.Key.ID, Name: r.Key.Name, Username: r.Key.Username, OK: r.Outcome == model.Done, Outcome: r.Outcome.String()}
		if r.Outcome != model.Done {
			br.Error = failureReason(r.Err)
		}
		results = append(results, br)
	}
	switch p.format {
	case formatJSON:
		if err := writeJSON(p.w, results); err != nil {
			return err
		}
	case formatCSV:
		rows := make([][]string, 0, len(results))
		for _, r := range results {
			rows = append(rows, []string{model.CleanText(r.ID), model.CleanText(r.Name), model.CleanText(r.Username), fmt.Sprint(r.OK), r.Outcome, r.Error})
		}
		if err := writeCSV(p.w, []string{"id", "name", "username", "ok", "outcome", "error"}, rows); err != nil {
			return err
		}
	}
	if !rep.AllDone() {
		return failAlsoUnrecorded(exitError{code: exitFail, msg: bulkSummary(past, rep)}, recErr)
	}
	if p.format == formatTable {
		fmt.Fprintf(p.w, "%s %s\n", past, countKeys(len(ids)))
	}
	if recErr != nil {
		return unrecorded(recErr)
	}
	return nil
}

// outcomeLine is one id's line in a table report.
func outcomeLine(past string, r change.Result) string {
	id := cell(r.Key.ID)
	switch r.Outcome {
	case model.Done:
		if r.Key.Name != "" {
			return fmt.Sprintf("%s %s (%s)", past, id, cell(r.Key.Name))
		}
		return past + " " + id
	case model.Unknown:
		return fmt.Sprintf("unknown %s: %s (it may have been %s; check with list)", id, failureReason(r.Err), past)
	}
	return fmt.Sprintf("not done %s: %s", id, failureReason(r.Err))
}

// bulkSummary is the closing line of a run that did not do everything.
func bulkSummary(past string, rep change.Report) string {
	s := fmt.Sprintf("%s %d of %s", past, rep.Count(model.Done), countKeys(len(rep.Results)))
	if n := rep.Count(model.NotDone); n > 0 {
		s += fmt.Sprintf("; %d not done", n)
	}
	if n := rep.Count(model.Unknown); n > 0 {
		s += fmt.Sprintf("; %d unknown (check with list)", n)
	}
	return s
}

// failureReason is why one id failed, short enough for its outcome line:
// the common answers in a word, anything else as the client words it.
func failureReason(err error) string {
	var ae *client.APIError
	switch {
	case errors.Is(err, client.ErrNotFound):
		return "not found"
	case errors.Is(err, client.ErrConflict) && errors.As(err, &ae) && ae.Message != "":
		return "conflict: " + oneLine(ae.Message)
	case errors.Is(err, change.ErrNotSent):
		return "not sent: interrupted"
	}
	return oneLine(err.Error())
}

func (a *app) newExpireCmd() *cobra.Command {
	var (
		expires string
		never   bool
	)
	cmd := &cobra.Command{
		Use:   "expire ID (--expires VALUE | --never)",
		Short: "Set or remove a key's expiry",
		Long: `Set a key's expiry to a date (2026-12-31, the end of that day, local time)
or a duration from now (30d, 12h, 2w, 90 days, 6 months), or remove it with
--never. A date or duration past the server's global expiry limit is
refused before anything is sent. --never is sent under a limit too (nothing
published says a server refuses it); there the key is read back, and if the
server kept an expiry, that is what is shown (exit 1).`,
		Example:           "  h2ogpte-keys expire 0b1c... --expires 2026-12-31\n  h2ogpte-keys expire 0b1c... --never",
		Annotations:       map[string]string{annChanges: "true"},
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeKeyIDs,
		RunE: a.action(func(ctx context.Context, _ *cobra.Command, args []string) error {
			id, err := keyIDArg(args[0])
			if err != nil {
				return err
			}
			now := a.Now()
			e := model.Expiry{Never: true}
			if !never {
				var err error
				if e, err = model.ParseExpiry(expires, now); err != nil {
					return usageError{err}
				}
			}
			c, err := a.connect()
			if err != nil {
				return err
			}
			if err := checkLimit(ctx, c, e, now); err != nil {
				return err
			}
			unrec, err := a.changeOne(ctx, c, change.SetExpiry(e), id)
			if err != nil {
				return err
			}
			var at *time.Time
			if !e.Never {
				at = &e.At
			}
			kept, err := a.expiryKept(ctx, c, e, id)
			if err != nil {
				warnf(a.Stderr, "%v", err)
			}
			if kept != nil {
				at = kept
			}
			if err := a.printChange(changeResult{ID: id, ExpiresAt: at, setExpiry: true}); err != nil {
				return err
			}
			if kept != nil {
				return exitError{code: exitFail, msg: fmt.Sprintf("the server accepted the removal, but key %s still expires %s: it keeps an expiry under its global limit", cell(id), a.printer().time(*kept))}
			}
			return unrec
		}),
	}
	cmd.Flags().StringVar(&expires, "expires", "", "new expiry: a date (2026-12-31) or a duration (30d, 12h, 6 months)")
	cmd.Flags().BoolVar(&never, "never", false, "remove the expiry")
	cmd.MarkFlagsMutuallyExclusive("expires", "never")
	cmd.MarkFlagsOneRequired("expires", "never")
	return cmd
}

func (a *app) newInactivityCmd() *cobra.Command {
	var (
		days string
		none bool
	)
	cmd := &cobra.Command{
		Use:               "inactivity ID (--days N | --none)",
		Short:             "Set or remove a key's inactivity interval",
		Long:              "Make a key stop working after N days without use, or remove that rule with --none.",
		Example:           "  h2ogpte-keys inactivity 0b1c... --days 60\n  h2ogpte-keys inactivity 0b1c... --none",
		Annotations:       map[string]string{annChanges: "true"},
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeKeyIDs,
		RunE: a.action(func(ctx context.Context, _ *cobra.Command, args []string) error {
			id, err := keyIDArg(args[0])
			if err != nil {
				return err
			}
			n := 0
			if !none {
				var err error
				if n, err = model.ParseInactivityDays(days); err != nil {
					return usageError{err}
				}
			}
			c, err := a.connect()
			if err != nil {
				return err
			}
			unrec, err := a.changeOne(ctx, c, change.SetInactivity(n), id)
			if err != nil {
				return err
			}
			var d *int
			if n > 0 {
				d = &n
			}
			if err := a.printChange(changeResult{ID: id, InactivityDays: d, setInactivity: true}); err != nil {
				return err
			}
			return unrec
		}),
	}
	cmd.Flags().StringVar(&days, "days", "", "stop the key after N days without use")
	cmd.Flags().BoolVar(&none, "none", false, "remove the inactivity interval")
	cmd.MarkFlagsMutuallyExclusive("days", "none")
	cmd.MarkFlagsOneRequired("days", "none")
	return cmd
}

// changeOne applies ch to the key id through the shared pipeline: err is
// nil when done (read back or not), the server's error when not done, and
// an exit error saying so when the outcome stays unknown. When done but
// not recorded, unrec is the error to return once the change is printed.
func (a *app) changeOne(ctx context.Context, c *client.Client, ch change.Change, id string) (unrec, err error) {
	stopNote := a.noteInterrupt(ctx)
	rep, err := a.runner(c, nil).Run(ctx, ch, []model.APIKey{{ID: id}})
	stopNote()
	if errors.Is(err, change.ErrReadOnly) {
		return nil, err
	}
	recErr := err
	r := rep.Results[0]
	switch r.Outcome {
	case model.Done:
		if recErr != nil {
			return unrecorded(recErr), nil
		}
		return nil, nil
	case model.Unknown:
		return nil, failAlsoUnrecorded(exitError{code: exitFail, msg: fmt.Sprintf("unknown whether key %s was changed: %s; check with list", cell(id), failureReason(r.Err))}, recErr)
	}
	if r.ReadBack {
		return nil, failAlsoUnrecorded(fmt.Errorf("key %s was not changed (read back after the answer was lost): %w", cell(id), r.Err), recErr)
	}
	return nil, failAlsoUnrecorded(r.Err, recErr)
}

// changeResult is what expire and inactivity report. ExpiresAt is the
// expiry as computed here from the request time; the server counts from its
// own clock, so `list` may differ by the request's latency.
type changeResult struct {
	ID             string
	ExpiresAt      *time.Time // nil: removed
	InactivityDays *int       // nil: removed

	setExpiry, setInactivity bool
}

func (a *app) printChange(r changeResult) error {
	p := a.printer()
	switch p.format {
	case formatJSON:
		// Only the field that changed is present; null means removed.
		m := map[string]any{"id": r.ID}
		if r.setExpiry {
			m["expires_at"] = r.ExpiresAt
		}
		if r.setInactivity {
			m["inactivity_interval"] = r.InactivityDays
		}
		return writeJSON(p.w, m)
	case formatCSV:
		header, row := []string{"id"}, []string{model.CleanText(r.ID)}
		if r.setExpiry {
			v := ""
			if r.ExpiresAt != nil {
				v = r.ExpiresAt.Format(time.RFC3339)
			}
			header, row = append(header, "expires_at"), append(row, v)
		}
		if r.setInactivity {
			v := ""
			if r.InactivityDays != nil {
				v = fmt.Sprint(*r.InactivityDays)
			}
			header, row = append(header, "inactivity_interval"), append(row, v)
		}
		return writeCSV(p.w, header, [][]string{row})
	}
	switch {
	case r.setExpiry && r.ExpiresAt != nil:
		fmt.Fprintf(p.w, "key %s now expires %s\n", cell(r.ID), p.time(*r.ExpiresAt))
	case r.setExpiry:
		fmt.Fprintf(p.w, "key %s no longer expires\n", cell(r.ID))
	case r.InactivityDays != nil:
		fmt.Fprintf(p.w, "key %s now stops after %s without use\n", cell(r.ID), model.PluralDays(*r.InactivityDays))
	default:
		fmt.Fprintf(p.w, "key %s no longer stops for inactivity\n", cell(r.ID))
	}
	return nil
}

// noteInterrupt tells the admin, once ctx ends (Ctrl+C) while changes run,
// that nothing more is sent, that what is in flight is read back, and how
// to quit at once. The returned function ends the watch; once the note
// has begun, it waits for it to be written, so the report that follows
// comes after the note, never before it.
func (a *app) noteInterrupt(ctx context.Context) (stop func()) {
	written := make(chan struct{})
	stopWatch := context.AfterFunc(ctx, func() {
		defer close(written)
		fmt.Fprintf(a.Stderr, "Interrupted: nothing more is sent; changes in flight are read back (at most %d s). Ctrl+C again quits at once.\n",
			int(change.ReadBackGrace/time.Second))
	})
	return func() {
		if !stopWatch() {
			<-written // the note has begun (or ended): let it end
		}
	}
}

// noneSent reports whether no key's request of rep was sent.
func noneSent(rep change.Report) bool {
	for _, r := range rep.Results {
		if !errors.Is(r.Err, change.ErrNotSent) {
			return false
		}
	}
	return true
}

// expiryReadBackLimit bounds expiryKept's read back.
const expiryReadBackLimit = 15 * time.Second

// expiryKept reads key id back after its expiry was removed (e.Never) on a
// server with a global expiry limit, where a server may keep an expiry:
// the expiry it kept, or nil (removed, or nothing to check). Without a
// limit the server's 204 is taken at its word; the read back lists keys
// until id is found, which at a million keys takes seconds.
func (a *app) expiryKept(ctx context.Context, c *client.Client, e model.Expiry, id string) (*time.Time, error) {
	if !e.Never {
		return nil, nil
	}
	limit, err := c.GlobalExpiryLimit(ctx)
	switch {
	case err != nil:
		return nil, fmt.Errorf("could not read the server's expiry limit, so key %s was not read back to see whether the server kept an expiry: %w", cell(id), err)
	case limit <= 0:
		return nil, nil
	}
	// Bounded: the owner is not known, so every key is listed until id
	// turns up, and a server whose paging never ends would hold the
	// command until the listing cap (millions of keys).
	rctx, cancel := context.WithTimeout(ctx, expiryReadBackLimit)
	defer cancel()
	k, err := change.FindKey(rctx, c, "", id)
	switch {
	case err != nil && ctx.Err() == nil && rctx.Err() != nil:
		return nil, fmt.Errorf("could not read key %s back within %v to see what the server stored", cell(id), expiryReadBackLimit)
	case err != nil:
		return nil, fmt.Errorf("could not read key %s back to see what the server stored: %w", cell(id), err)
	case k == nil || k.Expires == nil:
		return nil, nil
	}
	return k.Expires, nil
}
