package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"h2ogpte-keys/change"
	"h2ogpte-keys/client"
	"h2ogpte-keys/model"
)

func (a *app) newRotateCmd() *cobra.Command {
	var expires, then, name string
	var yes bool
	cmd := &cobra.Command{
		Use:   "rotate KEY_ID [--name NAME] [--expires VALUE|never] [--then keep|deactivate|delete] [--yes]",
		Short: "Replace a key with a new one of the same reach and print its secret once",
		Long: `Replace a key: create a new key for the same owner with the same name, the
same collection (or global) and the same inactivity interval, and an expiry as
long as the old key's lifetime (expires_at - created_at), capped at the
server's global expiry limit. --expires sets another expiry (a date, a
duration such as 30d, or never). --name gives the new key another name: the
way to rotate a key whose name a new key may not have (a control or invisible
character in it, from before such names were refused). A deactivated key is
not rotated.

The new secret is printed once, alone, on stdout, so
  h2ogpte-keys rotate KEY_ID > secret.txt
keeps it in a file; the plan and the report go to stderr. With --output json,
stdout is the new key's record with its secret_key instead.

--then says what happens to the old key once the new key exists and its
secret is held: keep (the default: deploy the new secret, then retire the old
key yourself), deactivate or delete. Deactivate and delete ask first on a
terminal; elsewhere --yes is required. If anything goes wrong part way, the
report says exactly what exists and which command finishes the job (exit 1).`,
		Example: `  h2ogpte-keys rotate 0b1c... > new-secret.txt
  h2ogpte-keys rotate 0b1c... --then deactivate --yes
  h2ogpte-keys rotate 0b1c... --expires 30d --then delete --output json
  h2ogpte-keys rotate 0b1c... --name payroll-export > new-secret.txt`,
		Annotations:       map[string]string{annChanges: "true"},
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeKeyIDs,
		RunE: a.action(func(ctx context.Context, cmd *cobra.Command, args []string) error {
			id, err := keyIDArg(args[0])
			if err != nil {
				return err
			}
			retire, err := change.ParseRetire(then)
			if err != nil {
				return usageErrorf("--then %w", err)
			}
			// Every value is checked before the first request.
			now := a.Now()
			var asked *model.Expiry
			if cmd.Flags().Changed("expires") {
				e, err := model.ParseExpiry(expires, now)
				if err != nil {
					return usageErrorf("--expires: %w", err)
				}
				asked = &e
			}
			var newName *string
			if cmd.Flags().Changed("name") {
				if err := keyNameFlag(name); err != nil {
					return err
				}
				newName = &name
			}
			// The question goes to stderr and the answer comes from stdin;
			// stdout is where the secret goes, often a file.
			interactive := a.StdinTTY() && a.StderrTTY()
			if retire != change.RetireKeep && !yes && !interactive {
				return usageErrorf("refusing to rotate and then %s key %s without confirmation: not on a terminal; add --yes", retire, cell(id))
			}
			c, err := a.connect()
			if err != nil {
				return err
			}
			plan, err := a.planRotation(ctx, c, id, newName, asked, now)
			if err != nil {
				return err
			}
			a.describeRotation(plan, retire)
			if retire != change.RetireKeep && !yes {
				ok, err := a.confirmRotation(ctx, plan, retire)
				if err != nil {
					return exitError{code: exitFail, msg: "interrupted at the question; nothing was changed"}
				}
				if !ok {
					return exitError{code: exitFail, msg: "cancelled; nothing was changed"}
				}
			}
			stopNote := a.noteInterrupt(ctx)
			rep, err := a.runner(c, nil).Rotate(ctx, plan, retire)
			stopNote()
			if errors.Is(err, change.ErrReadOnly) {
				return usageErrorf("rotate changes keys and is refused in read-only mode")
			}
			// The report comes first whatever err is: a secret that arrived
			// is shown now or never. err is then the Recorder's.
			if rerr := a.reportRotation(cmd, rep); rerr != nil {
				return failAlsoUnrecorded(rerr, err)
			}
			if err != nil {
				return unrecorded(err)
			}
			return nil
		}),
	}
	f := cmd.Flags()
	f.StringVar(&name, "name", "", "the new key's name instead of the old key's")
	f.StringVar(&expires, "expires", "", "the new key's expiry instead of the old key's lifetime: a date (2026-12-31), a duration (30d, 12h, 6 months) or never")
	f.StringVar(&then, "then", "keep", "what happens to the old key once the new one exists: keep, deactivate or delete")
	f.BoolVarP(&yes, "yes", "y", false, "do not ask before deactivating or deleting the old key")
	_ = cmd.RegisterFlagCompletionFunc("then", cobra.FixedCompletions(
		[]string{"keep", "deactivate", "delete"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// planRotation finds the key id among every user's keys (the command line
// knows only its id, and the owner is what a read back and a create need),
// reads the server's expiry limit and plans the replacement, with the name
// and the expiry the admin asked for, if any.
func (a *app) planRotation(ctx context.Context, c *client.Client, id string, name *string, asked *model.Expiry, now time.Time) (change.RotationPlan, error) {
	found, err := change.FindKey(ctx, c, "", id)
	if err != nil {
		return change.RotationPlan{}, fmt.Errorf("find key %s: %w", cell(id), err)
	}
	if found == nil {
		// As delete reports an unknown id: the server has no such key, exit 1.
		return change.RotationPlan{}, exitError{code: exitFail, msg: fmt.Sprintf("no key with id %s (see h2ogpte-keys list --all)", cell(id))}
	}
	limit, err := c.GlobalExpiryLimit(ctx)
	if err != nil {
		return change.RotationPlan{}, err
	}
	plan, err := change.PlanRotation(*found, limit, now)
	if name != nil && (err == nil || errors.Is(err, change.ErrNameNotReusable)) {
		// --name was checked before the first request.
		plan, err = plan.WithName(*name)
	}
	switch {
	case errors.Is(err, change.ErrNameNotReusable):
		return change.RotationPlan{}, exitError{code: exitFail, msg: err.Error() + "; give the new key a name with --name"}
	case err != nil:
		return change.RotationPlan{}, exitError{code: exitFail, msg: err.Error()}
	}
	if asked != nil {
		if plan, err = plan.WithExpiry(*asked, now); err != nil {
			return change.RotationPlan{}, usageErrorf("--expires: %w", err)
		}
	}
	return plan, nil
}

// describeRotation states the plan on stderr before anything is changed.
func (a *app) describeRotation(plan change.RotationPlan, then change.Retire) {
	p := a.printer()
	old := plan.Old
	w := a.Stderr
	fmt.Fprintf(w, "Rotate key %s %s of %s:\n", cell(old.ID), strconv.Quote(cell(old.Name)), cell(old.Username))
	named := strconv.Quote(cell(plan.Name))
	if plan.Renamed {
		named += ", as asked with --name"
	}
	fmt.Fprintf(w, "  new key     for %s, named %s\n", cell(old.Username), named)
	scope := "global"
	if !plan.Global() {
		scope = "collection " + cell(plan.CollectionID)
		if old.CollectionName != "" {
			scope = fmt.Sprintf("collection %s (%s)", strconv.Quote(cell(old.CollectionName)), cell(plan.CollectionID))
		}
	}
	fmt.Fprintf(w, "  reach       %s, as the old key\n", scope)
	if plan.InactivityDays > 0 {
		fmt.Fprintf(w, "  inactivity  stops after %s unused, as the old key\n", model.PluralDays(plan.InactivityDays))
	} else {
		fmt.Fprintln(w, "  inactivity  none, as the old key")
	}
	fmt.Fprintf(w, "  expiry      %s\n", expiryWords(p, plan))
	fmt.Fprintf(w, "  old key     %s\n", retireWords(then))
}

// expiryWords says the new key's expiry and where it comes from.
func expiryWords(p printer, plan change.RotationPlan) string {
	limit := "no global expiry limit"
	if plan.LimitDays > 0 {
		limit = fmt.Sprintf("the server's limit is %s", model.PluralDays(plan.LimitDays))
	}
	switch {
	case plan.Edited && plan.Expiry.Never:
		return "never, as asked with --expires (" + limit + ")"
	case plan.Edited:
		return fmt.Sprintf("%s, as asked with --expires (%s)", p.time(plan.Expiry.At), limit)
	case plan.Expiry.Never:
		return "never, as the old key (" + limit + ")"
	case plan.Capped:
		return fmt.Sprintf("%s: %s from now, capped at the server's limit (the old key's lifetime was %s)",
			p.time(plan.Expiry.At), model.PluralDays(plan.LimitDays), lifetimeWords(plan.Lifetime))
	}
	return fmt.Sprintf("%s: the old key's lifetime (%s) from now", p.time(plan.Expiry.At), lifetimeWords(plan.Lifetime))
}

// lifetimeWords is a lifetime in days and hours, or hours and minutes when
// shorter than a day.
func lifetimeWords(d time.Duration) string {
	days, rest := int(d/(24*time.Hour)), d%(24*time.Hour)
	hours, mins := int(rest/time.Hour), int(rest%time.Hour/time.Minute)
	switch {
	case days > 0 && hours > 0:
		return fmt.Sprintf("%s %s", model.PluralDays(days), plural(hours, "hour"))
	case days > 0:
		return model.PluralDays(days)
	case hours > 0 && mins > 0:
		return fmt.Sprintf("%s %s", plural(hours, "hour"), plural(mins, "minute"))
	case hours > 0:
		return plural(hours, "hour")
	}
	return plural(mins, "minute")
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

func retireWords(then change.Retire) string {
	switch then {
	case change.RetireDeactivate:
		return "deactivated once the new key exists and its secret is held"
	case change.RetireDelete:
		return "deleted once the new key exists and its secret is held"
	}
	return "kept: it stays active until you retire it (--then deactivate or delete to do it now)"
}

// confirmRotation asks on the terminal, naming the old key, and defaults
// to no.
func (a *app) confirmRotation(ctx context.Context, plan change.RotationPlan, then change.Retire) (bool, error) {
	op := opDeactivate
	if then == change.RetireDelete {
		op = opDelete
	}
	old := plan.Old
	fmt.Fprintf(a.Stderr, "Create the new key, then %s key %s %s of %s? %s [y/N] ",
		then, cell(old.ID), strconv.Quote(cell(old.Name)), cell(old.Username), op.warning)
	ok, err := askYes(ctx, a.Stdin)
	if err != nil || !ok {
		fmt.Fprintln(a.Stderr)
	}
	return ok, err
}

// rotatedJSON is rotate's JSON answer: the new key's record and its secret
// (the only place the plain value is written), and what became of the old
// key.
type rotatedJSON struct {
	SecretKey string          `json:"secret_key"`
	APIKey    model.KeyRecord `json:"api_key"`
	OldKey    oldKeyJSON      `json:"old_key"`
}

// oldKeyJSON is the old key's fate: Then is what was asked (keep,
// deactivate, delete); Outcome is "kept", or done / not done / unknown.
type oldKeyJSON struct {
	ID      string `json:"id"`
	Then    string `json:"then"`
	Outcome string `json:"outcome"`
	Error   string `json:"error,omitempty"`
}

// reportRotation prints what happened. The new secret, when held, goes to
// stdout alone (or in the JSON/CSV record when that was asked for
// explicitly); everything else goes to stderr. Anything short of a
// complete rotation ends in exit 1 with the commands that finish the job.
func (a *app) reportRotation(cmd *cobra.Command, rep change.RotationReport) error {
	old := rep.Plan.Old
	oldID, owner := cell(old.ID), cell(old.Username)
	w := a.Stderr
	newKey := rep.NewKey()
	name := strconv.Quote(cell(rep.Plan.Name))
	cr := rep.Create()

	if rep.Refused != nil {
		return exitError{code: exitFail, msg: fmt.Sprintf("nothing was created and key %s was left as it was: %s", oldID, oneLine(rep.Refused.Error()))}
	}
	switch {
	case cr.Outcome == model.NotDone && cr.ReadBack:
		return exitError{code: exitFail, msg: fmt.Sprintf("the new key was not created (the answer was lost; read back, it is not there): %s; key %s was left as it was",
			failureReason(cr.Err), oldID)}
	case cr.Outcome == model.NotDone:
		return exitError{code: exitFail, msg: fmt.Sprintf("the new key was not created: %s; key %s was left as it was", failureReason(cr.Err), oldID)}
	case cr.Outcome == model.Unknown:
		fmt.Fprintf(w, "h2ogpte-keys: unknown whether the new key %s was created for %s: %s\n", name, owner, lostReason(cr.Err))
		fmt.Fprintf(w, "h2ogpte-keys: check before doing anything else: h2ogpte-keys list --user %s (a second key named %s created just now means it was; its secret is then lost)\n", owner, name)
		fmt.Fprintf(w, "h2ogpte-keys: the old key %s was NOT retired: it is still active\n", oldID)
		return exitError{code: exitFail, msg: fmt.Sprintf("unknown whether key %s was rotated", oldID)}
	case rep.SecretLost():
		newID := cell(newKey.ID)
		fmt.Fprintf(w, "h2ogpte-keys: the answer to create was lost (%s), but the new key exists: %s %s of %s\n", lostReason(cr.Err), newID, name, owner)
		fmt.Fprintln(w, "h2ogpte-keys: its secret cannot be shown again. Keep the new key unused, or remove it with one of:")
		fmt.Fprintf(w, "  h2ogpte-keys deactivate %s --yes\n", newID)
		fmt.Fprintf(w, "  h2ogpte-keys delete %s --yes\n", newID)
		fmt.Fprintf(w, "h2ogpte-keys: the old key %s was NOT retired: it is still active, and its secret is the one that works\n", oldID)
		return exitError{code: exitFail, msg: fmt.Sprintf("key %s was not rotated: new key %s was created but its secret is lost", oldID, newID)}
	}

	// The new key exists and its secret is held: show it before anything
	// else can fail.
	created := rep.Created.Key
	if created.Username == "" {
		created.Username = old.Username
	}
	oldRes := oldKeyJSON{ID: old.ID, Then: rep.Then.String(), Outcome: "kept"}
	if res, ok := rep.Retirement(); ok {
		oldRes.Outcome = res.Outcome.String()
		if res.Outcome != model.Done {
			oldRes.Error = failureReason(res.Err)
		}
	}
	if err := a.printRotated(cmd, rep.Secret(), created, oldRes); err != nil {
		return err
	}
	fmt.Fprintf(w, "h2ogpte-keys: created key %s %s of %s; its secret is on stdout, shown only once: store it now\n", cell(created.ID), name, owner)

	res, ok := rep.Retirement()
	past := map[change.Retire]string{change.RetireDeactivate: "deactivated", change.RetireDelete: "deleted"}[rep.Then]
	retireCmd := fmt.Sprintf("h2ogpte-keys %s %s --yes", rep.Then, oldID)
	switch {
	case !ok:
		fmt.Fprintf(w, "h2ogpte-keys: the old key %s is kept and still active; once the new secret is deployed, retire it with:\n", oldID)
		fmt.Fprintf(w, "  h2ogpte-keys deactivate %s --yes\n", oldID)
		return nil
	case res.Outcome == model.Done:
		fmt.Fprintf(w, "h2ogpte-keys: %s the old key %s\n", past, oldID)
		return nil
	case res.Outcome == model.Unknown:
		fmt.Fprintf(w, "h2ogpte-keys: unknown whether the old key %s was %s: %s\n", oldID, past, lostReason(res.Err))
		fmt.Fprintf(w, "h2ogpte-keys: it may still be active; check with h2ogpte-keys list --user %s, and if it is still active:\n", owner)
		fmt.Fprintf(w, "  %s\n", retireCmd)
		return exitError{code: exitFail, msg: fmt.Sprintf("rotated key %s, but unknown whether it was %s", oldID, past)}
	}
	fmt.Fprintf(w, "h2ogpte-keys: the old key %s was NOT %s (%s): it is still active; retire it with:\n", oldID, past, failureReason(res.Err))
	fmt.Fprintf(w, "  %s\n", retireCmd)
	return exitError{code: exitFail, msg: fmt.Sprintf("rotated key %s, but it is still active: it was not %s", oldID, past)}
}

// printRotated writes the new secret to stdout: alone on its line, unless
// --output json or csv was given explicitly. Without --output the secret
// stays alone even when stdout is a file or a pipe (where other commands
// default to JSON), so `rotate ID > secret.txt` keeps just the secret.
func (a *app) printRotated(cmd *cobra.Command, secret model.Secret, k model.APIKey, old oldKeyJSON) error {
	p := a.printer()
	format := formatTable
	if f := cmd.Flags().Lookup("output"); f != nil && f.Changed {
		format = p.format
	}
	switch format {
	case formatJSON:
		return writeJSON(p.w, rotatedJSON{SecretKey: a.shownSecret(secret), APIKey: model.NewKeyRecord(k, p.now), OldKey: old})
	case formatCSV:
		return writeCSV(p.w, append([]string{"secret_key"}, model.KeyColumns()...),
			[][]string{append([]string{a.shownSecret(secret)}, model.KeyCSVRow(k, p.now)...)})
	}
	_, err := io.WriteString(p.w, a.shownSecret(secret)+"\n")
	return err
}

// lostReason says in a few words how an answer was lost: the client's full
// error repeats the request (and names the owner by id), which the lines
// around it already say.
func lostReason(err error) string {
	var ae *client.APIError
	switch {
	case errors.As(err, &ae):
		return fmt.Sprintf("the server answered %s (%d)", strings.ToLower(http.StatusText(ae.Status)), ae.Status)
	case errors.Is(err, client.ErrTimeout):
		return "the request timed out"
	case errors.Is(err, client.ErrNetwork):
		return "the connection failed"
	case errors.Is(err, context.Canceled):
		return "interrupted"
	}
	return failureReason(err)
}
