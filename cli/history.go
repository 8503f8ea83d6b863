package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/spf13/cobra"

	"h2ogpte-keys/history"
	"h2ogpte-keys/model"
)

// dayLayout prints the history's days, which are UTC days.
const dayLayout = "2006-01-02"

// historyPath is where the usage history lives: the host's file for a
// command sent over SSH (whose environment is not the host's), else from
// this process's environment.
func (a *app) historyPath() (string, error) {
	if a.remote != nil {
		return a.remote.historyPath, nil
	}
	path, err := history.DefaultPath(a.Getenv)
	if err != nil {
		return "", fmt.Errorf("usage history: %w", err)
	}
	return path, nil
}

// historyStore opens the usage history of the configured server (keyed by
// the address as the settings give it). It returns nil, nil when history
// is off (--no-history or history: false): then no file is created or
// read. The caller closes the Store.
func (a *app) historyStore(ctx context.Context) (*history.Store, error) {
	if !a.cfg.History {
		return nil, nil
	}
	if a.cfg.Address == "" {
		return nil, usageErrorf("the usage history is kept per server: set the server address (%s or --address)", envAddress)
	}
	path, err := a.historyPath()
	if err != nil || path == "" {
		return nil, err
	}
	st, err := history.Open(ctx, path, a.cfg.Address, history.Options{
		Now:            a.Now,
		RawRetention:   a.cfg.HistoryRaw,
		DailyRetention: a.cfg.HistoryDaily,
	})
	if err != nil {
		return nil, fmt.Errorf("usage history: %w", err)
	}
	return st, nil
}

// recordKeys records one read of keys, just made, in the usage history.
// History is a by-product of reading: a failure is one warning line on
// stderr and never fails the command that read the keys.
func (a *app) recordKeys(ctx context.Context, keys []model.APIKey) {
	if err := a.record(ctx, keys); err != nil {
		warnf(a.Stderr, "%s", oneLine(err.Error()))
	}
}

// record is recordKeys that returns the failure (snapshot fails on it).
func (a *app) record(ctx context.Context, keys []model.APIKey) error {
	st, err := a.historyStore(ctx)
	if err != nil || st == nil {
		return err
	}
	defer st.Close()
	if err := st.Record(ctx, a.Now(), keys); err != nil {
		return fmt.Errorf("usage history not recorded: %w", err)
	}
	return nil
}

// keyUsage returns what the history says of keys' calls now, by key id:
// the data of list --with-usage. A key the history has never seen is
// absent. nil, nil when history is off.
func (a *app) keyUsage(ctx context.Context, keys []model.APIKey) (map[string]history.Usage, error) {
	st, err := a.historyStore(ctx)
	if err != nil || st == nil {
		return nil, err
	}
	defer st.Close()
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.ID
	}
	m, err := st.Usage(ctx, a.Now(), ids)
	if err != nil {
		return nil, fmt.Errorf("usage history: %w", err)
	}
	return m, nil
}

// usageColumns are the column names list --with-usage adds, in CSV and
// JSON alike.
func usageColumns() []string {
	return []string{"calls_24h", "calls_7d", "calls_30d", "usage_since"}
}

// UsageFields is the JSON of the usage columns of one key: a window the
// history does not cover (or a key it has never seen) is null, never 0.
type UsageFields struct {
	Calls24h   *int64     `json:"calls_24h"`
	Calls7d    *int64     `json:"calls_7d"`
	Calls30d   *int64     `json:"calls_30d"`
	UsageSince *time.Time `json:"usage_since"`
}

// usageFields picks one key's usage columns out of keyUsage's map.
func usageFields(m map[string]history.Usage, id string) UsageFields {
	u, ok := m[id]
	if !ok {
		return UsageFields{}
	}
	f := UsageFields{Calls24h: u.Calls24h, Calls7d: u.Calls7d, Calls30d: u.Calls30d}
	if !u.Since.IsZero() {
		s := u.Since
		f.UsageSince = &s
	}
	return f
}

// usageCells is one key's usage columns for CSV (empty where not covered)
// or, with dash, for a table ("-" where not covered).
func usageCells(f UsageFields, dash bool) []string {
	none := ""
	if dash {
		none = "-"
	}
	num := func(p *int64) string {
		if p == nil {
			return none
		}
		return strconv.FormatInt(*p, 10)
	}
	since := none
	if f.UsageSince != nil {
		since = f.UsageSince.UTC().Format(time.RFC3339)
		if dash {
			since = f.UsageSince.UTC().Format(dayLayout)
		}
	}
	return []string{num(f.Calls24h), num(f.Calls7d), num(f.Calls30d), since}
}

func (a *app) newSnapshotCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "snapshot",
		Short: "Record every key's call count in the usage history, quietly (for cron)",
		Long: `Read every user's keys and record them in the usage history, printing
nothing. Meant for cron or a systemd timer: run it daily or hourly so that
history shows calls per day also on days nobody opens the dashboard.

Exit 0 when recorded; 1 with one line on stderr when the keys could not be
read or recorded; 2 when settings are missing or history is off.`,
		Example: `  # crontab: every hour
  0 * * * * H2OGPTE_ADDRESS=https://gpte.example.com h2ogpte-keys --api-key-file ~/.h2ogpte-admin-key snapshot`,
		Args: cobra.NoArgs,
		RunE: a.action(func(ctx context.Context, _ *cobra.Command, _ []string) error {
			if !a.cfg.History {
				return usageErrorf("the usage history is off (%s): nothing to record", a.cfg.HistoryFrom)
			}
			c, err := a.connect()
			if err != nil {
				return err
			}
			keys, err := c.ListAllKeys(ctx)
			if err != nil {
				return fmt.Errorf("snapshot: %w", err)
			}
			return a.record(ctx, keys)
		}),
	}
}

// historyDay is one day of `history` output; Calls is nil for a day the
// history does not cover.
type historyDay struct {
	Date      string `json:"date"`
	Calls     *int64 `json:"calls"`
	Estimated bool   `json:"estimated"`
	Reset     bool   `json:"reset"`
}

// historyReport is the JSON of `history KEY_ID`.
type historyReport struct {
	KeyID    string `json:"key_id"`
	Name     string `json:"name"`
	Username string `json:"username"`
	Server   string `json:"server"`
	// Since is when the history of the key's calls begins; days before it
	// have null calls.
	Since   *time.Time   `json:"history_since"`
	Through time.Time    `json:"last_seen_at"`
	Days    []historyDay `json:"days"`
}

func (a *app) newHistoryCmd() *cobra.Command {
	var days int
	cmd := &cobra.Command{
		Use:   "history KEY_ID",
		Short: "Show a key's calls per day from the usage history",
		Long: `Show one key's calls per UTC day over the last --days days, from the usage
history this tool records whenever it reads keys (list, the dashboard,
snapshot). Nothing is asked of the server.

Calls between two reads are the difference of the key's call totals. When
reads are days apart, the calls are spread over those days in proportion to
time and the days are marked estimated. A total that went down (the key was
re-created or its counter reset) starts over; that day is marked reset and
the calls in between are not counted. Days before the history begins are
not shown in a table ("history since DATE" says where it starts) and are
null in JSON and empty in CSV: numbers are never invented.`,
		Example: `  h2ogpte-keys history 3f2a9c1e-1c4e-4b8a-9f2d-0123456789ab
  h2ogpte-keys history 3f2a9c1e-1c4e-4b8a-9f2d-0123456789ab --days 7 -o csv`,
		Args: cobra.ExactArgs(1),
		RunE: a.action(func(ctx context.Context, _ *cobra.Command, args []string) error {
			if days < 1 || days > 3660 {
				return usageErrorf("--days must be between 1 and 3660")
			}
			if !a.cfg.History {
				return usageErrorf("the usage history is off (%s)", a.cfg.HistoryFrom)
			}
			st, err := a.historyStore(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			rep, err := keyHistory(ctx, st, args[0], days, a.Now())
			if err != nil {
				return err
			}
			return a.printer().history(rep, days)
		}),
	}
	cmd.Flags().IntVar(&days, "days", 30, "show this many days, today (UTC) included")
	_ = cmd.RegisterFlagCompletionFunc("days", cobra.NoFileCompletions)
	return cmd
}

// keyHistory reads the report of one key: every asked day, with nil calls
// where the history does not cover it.
func keyHistory(ctx context.Context, st *history.Store, keyID string, days int, now time.Time) (historyReport, error) {
	info, err := st.Key(ctx, keyID)
	if errors.Is(err, history.ErrNoHistory) {
		return historyReport{}, fmt.Errorf("no usage history for key %s on %s: it has not been read by this tool yet (list, dashboard or snapshot record it)", model.CleanText(keyID), st.Server())
	}
	if err != nil {
		return historyReport{}, fmt.Errorf("usage history: %w", err)
	}
	rep := historyReport{KeyID: info.ID, Name: info.Name, Username: info.Username, Server: st.Server(), Through: info.Through}
	covered := map[string]history.Day{}
	daily, since, err := st.Daily(ctx, keyID, days, now)
	switch {
	case errors.Is(err, history.ErrNoHistory):
		// Seen, but its server never reported a call total.
	case err != nil:
		return historyReport{}, fmt.Errorf("usage history: %w", err)
	default:
		rep.Since = &since
		for _, d := range daily {
			covered[d.Date.Format(dayLayout)] = d
		}
	}
	today := now.UTC().Truncate(24 * time.Hour)
	for i := days - 1; i >= 0; i-- {
		date := today.AddDate(0, 0, -i).Format(dayLayout)
		hd := historyDay{Date: date}
		if d, ok := covered[date]; ok {
			calls := d.Calls
			hd.Calls, hd.Estimated, hd.Reset = &calls, d.Estimated, d.Reset
		}
		rep.Days = append(rep.Days, hd)
	}
	return rep, nil
}

// history prints a key's report: JSON and CSV list every asked day; a table
// lists the covered ones and says where the history begins when that is
// later than the first asked day.
func (p printer) history(rep historyReport, days int) error {
	switch p.format {
	case formatJSON:
		return writeJSON(p.w, rep)
	case formatCSV:
		rows := make([][]string, 0, len(rep.Days))
		for _, d := range rep.Days {
			calls := ""
			if d.Calls != nil {
				calls = strconv.FormatInt(*d.Calls, 10)
			}
			rows = append(rows, []string{d.Date, calls, strconv.FormatBool(d.Estimated), strconv.FormatBool(d.Reset)})
		}
		return writeCSV(p.w, []string{"date", "calls", "estimated", "reset"}, rows)
	}
	name := model.Cut(model.CleanText(rep.Name), maxCell)
	user := model.Cut(model.CleanText(rep.Username), maxCell)
	fmt.Fprintf(p.w, "Key %s (%s) of %s on %s, calls per UTC day\n", name, model.CleanText(rep.KeyID), user, rep.Server)
	switch {
	case rep.Since == nil:
		fmt.Fprintln(p.w, "No call counts: the server does not report total_calls for this key.")
		return nil
	case len(rep.Days) > 0 && rep.Since.UTC().Format(dayLayout) > rep.Days[0].Date:
		fmt.Fprintf(p.w, "history since %s (%d days asked)\n", rep.Since.UTC().Format(dayLayout), days)
	}
	var rows [][]string
	for _, d := range rep.Days {
		if d.Calls == nil {
			continue
		}
		note := ""
		switch {
		case d.Estimated && d.Reset:
			note = "estimated, reset"
		case d.Estimated:
			note = "estimated"
		case d.Reset:
			note = "reset"
		}
		calls := strconv.FormatInt(*d.Calls, 10)
		if d.Estimated {
			calls = "~" + calls
		}
		rows = append(rows, []string{d.Date, calls, note})
	}
	if err := p.table([]string{"DAY", "CALLS", "NOTE"}, rows, func(_, col int, st lipgloss.Style) lipgloss.Style {
		if col == 1 {
			return st.Align(lipgloss.Right)
		}
		return st
	}); err != nil {
		return err
	}
	fmt.Fprintf(p.w, "last read %s; ~ estimated: calls between reads days apart, spread over those days\n", p.time(rep.Through))
	return nil
}

// keysWithUsage prints keys as printer.keys does with the usage columns
// added (list --with-usage): JSON records gain calls_24h, calls_7d,
// calls_30d and usage_since (null where history does not cover them), CSV
// the same columns (empty there), a table 24H, 7D, 30D and USAGE SINCE
// ("-" there). m is keyUsage's map.
func (p printer) keysWithUsage(keys []model.APIKey, m map[string]history.Usage) error {
	switch p.format {
	case formatJSON:
		recs := make([]json.RawMessage, 0, len(keys))
		for _, k := range keys {
			rec, err := json.Marshal(model.NewKeyRecord(k, p.now))
			if err != nil {
				return fmt.Errorf("write keys as JSON: %w", err)
			}
			use, err := json.Marshal(usageFields(m, k.ID))
			if err != nil {
				return fmt.Errorf("write keys as JSON: %w", err)
			}
			// Both are JSON objects: splice the usage fields in.
			rec = append(append(rec[:len(rec)-1], ','), use[1:]...)
			recs = append(recs, rec)
		}
		if err := writeJSON(p.w, recs); err != nil {
			return fmt.Errorf("write keys as JSON: %w", err)
		}
		return nil
	case formatCSV:
		rows := make([][]string, 0, len(keys))
		for _, k := range keys {
			rows = append(rows, append(model.KeyCSVRow(k, p.now), usageCells(usageFields(m, k.ID), false)...))
		}
		return writeCSV(p.w, append(model.KeyColumns(), usageColumns()...), rows)
	}
	cols := model.Columns()
	headers := make([]string, 0, len(cols)+4)
	for _, c := range cols {
		headers = append(headers, c.Header)
	}
	headers = append(headers, "24H", "7D", "30D", "USAGE SINCE")
	rows := make([][]string, len(keys))
	statuses := make([]model.Status, len(keys))
	for r, k := range keys {
		row := make([]string, 0, len(headers))
		for _, c := range cols {
			row = append(row, model.Cut(c.Cell(k, p.now), maxCell))
		}
		rows[r] = append(row, usageCells(usageFields(m, k.ID), true)...)
		statuses[r] = k.StatusAt(p.now)
	}
	return p.table(headers, rows, func(row, col int, st lipgloss.Style) lipgloss.Style {
		if col >= len(cols) {
			if col < len(cols)+3 {
				st = st.Align(lipgloss.Right)
			}
			return st
		}
		if cols[col].Align == model.AlignRight {
			st = st.Align(lipgloss.Right)
		}
		if row >= 0 && cols[col].ID == model.ColStatus {
			st = st.Foreground(statusColor[statuses[row]])
		}
		return st
	})
}
