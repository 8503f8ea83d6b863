package ui

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"golang.org/x/term"

	"h2ogpte-keys/change"
	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/common"
	"h2ogpte-keys/ui/components/keytable"
	"h2ogpte-keys/ui/components/secret"
	"h2ogpte-keys/ui/components/statusbar"
)

// Options configure the dashboard.
type Options struct {
	// Context is the parent of every request the dashboard sends: they
	// end with it (Run's context, an SSH session's). nil means
	// context.Background; quitting ends them either way.
	Context context.Context
	// Address is the server address shown in the header.
	Address string
	// User opens the dashboard on this user (exact username); empty opens
	// the user picker first ("All users" is its first entry).
	User string
	// ReadOnly hides and refuses every change.
	ReadOnly bool
	// Insecure shows the INSECURE TLS badge (certificate checks are off).
	Insecure bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Styles is the theme; nil means the default theme built for Renderer.
	Styles *common.Styles
	// Renderer is the terminal the dashboard draws on (an SSH session's,
	// from its pty); nil means the process's own terminal.
	Renderer *lipgloss.Renderer
	// ClipboardOut receives OSC 52 copies of a new key's secret (an SSH
	// session's channel), and nothing else: the system clipboard here is
	// not the session's. nil means stderr when it is a terminal, plus the
	// system clipboard. Ignored when Copier is set.
	ClipboardOut io.Writer
	// Recorder, when set, is given the report of every change (the audit
	// log); read-only refusals are reported too.
	Recorder change.Recorder
	// Copier copies a new key's secret; nil means OSC 52 on stderr plus
	// the system clipboard where there is one.
	Copier secret.Copier
	// History, when set, records every complete read of keys and gives
	// the calls-per-day column, the use-changed filter and the details'
	// daily calls; nil turns the usage history off.
	History History
	// Table tunes the key table: from how many keys it sorts and filters
	// off Update (the zero value: keytable.DefaultAsyncRows).
	Table keytable.Options
	// LoadLog, when set, is given a line at the end of each complete read
	// of keys: how many, whose, and how long from the request to the last
	// row in the table (the dashboard's log file; a slow server shows
	// there).
	LoadLog func(line string)
	// NoExport, when set, turns export to a file off and is what e says
	// instead: an SSH session's file would be written on the service's
	// host, where the person cannot choose files, not on their machine.
	NoExport string
	// AfterQuit, when set, is where Run writes what became of changes on
	// their way when the dashboard quit (ReportAfterQuit): the terminal
	// once the dashboard has left it. nil: Run does not wait for them.
	AfterQuit io.Writer
	// Background runs the work the admin need not wait for: a refresh
	// while the old rows are on screen, the usage history's recordings,
	// the name order after a load. nil means one of this dashboard's own
	// (NewBackground(0); Run sizes one before it adds its spare
	// processor); the SSH service shares one between its sessions.
	Background *Background
	// Refresher, when set, reads and builds a refresh's keys (r, and the
	// reload after a change) while the old rows are on screen; nil: in
	// this process. A first load, which the admin waits for, is always
	// read here, page by page onto the screen.
	Refresher Refresher
}

// App is the dashboard's root model. It only routes: an open dialog
// first, then the filter input, then the global keys, then the table
// Use New.
type App struct {
	// mu serialises Update and View with Close, which an SSH session's end
	// calls from its own goroutine while the program may still be drawing.
	mu sync.Mutex

	api    API
	runner *change.Runner
	// flight holds the changes under way and those whose results Update
	// has not had yet (see ReportAfterQuit).
	flight *flight
	opts   Options
	c      common.Common
	copier secret.Copier

	// ctx is cancelled on quit; every request derives from it.
	ctx    context.Context
	cancel context.CancelFunc

	keys      keyMap
	table     *keytable.Model
	status    *statusbar.Model
	filter    textinput.Model
	filtering bool
	dialogs   []frame

	width, height int
	lay           layout

	users        []model.User
	usersLoaded  bool
	usersLoading bool
	// afterUsers is what waits for the users to arrive (resolve --user,
	// open the picker, open the owner picker): the latest request wins.
	afterUsers func() tea.Cmd
	// The table shows user's keys, or every user's when allUsers; hasUser
	// says either was chosen.
	user      model.User
	allUsers  bool
	hasUser   bool
	limitDays int
	// noInactivity: the server answered that it does not support
	// inactivity intervals, so they are no longer offered.
	noInactivity bool
	// limitKnown: the server's expiry limit was read. Until then no expiry
	// is offered, since "no limit" and "not known" must not look alike.
	limitKnown bool

	load *keyLoad
	seq  int
	// reads are the other reads in flight (users, limit, collections), by
	// status-bar task: esc stops them too.
	reads map[int]*pendingRead
	// partial: the last load stopped (esc) or failed part-way, so the
	// table may lack keys; an export says so.
	partial bool
	focusID string // move the cursor here after the next load
	// pendingOwner is the id of the user whose New API key form is
	// being prepared; a reply for anyone else is stale.
	pendingOwner string
	// usageSeq is the load whose usage the table shows: older replies
	// are dropped.
	usageSeq int
	// workTask is the status bar's task for the table's sort or filter
	// being worked out off Update (0: none).
	workTask int
}

// New builds the dashboard as a tea.Model for any program: Run's on the
// local terminal, or an SSH session's (give it Renderer, ClipboardOut,
// ReadOnly and Recorder for that session). Nothing is loaded until the
// program runs Init; quitting cancels every request it started.
func New(api API, opts Options) *App {
	if opts.Background == nil {
		opts.Background = NewBackground(0)
	}
	if opts.Table.Background == nil {
		opts.Table.Background = opts.Background.Run
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Styles == nil {
		if opts.Renderer != nil {
			opts.Styles = common.NewStylesFor(opts.Renderer, common.DefaultTheme())
		} else {
			opts.Styles = common.NewStyles(common.DefaultTheme())
		}
	}
	copier := opts.Copier
	switch {
	case copier != nil:
	case opts.ClipboardOut != nil:
		copier = secret.NewOSC52Copier(opts.ClipboardOut, nil)
	default:
		copier = stderrCopier(os.Stderr, term.IsTerminal)
	}
	c := common.Common{Styles: opts.Styles, Now: opts.Now, ReadOnly: opts.ReadOnly}
	parent := opts.Context
	if parent == nil {
		parent = context.Background()
	}
	ctx, cancel := context.WithCancel(parent)
	fl := &flight{}

	f := textinput.New()
	f.Prompt = "/ "
	f.Placeholder = "name, collection or user"
	f.PromptStyle = c.Styles.ToolbarKey
	f.PlaceholderStyle = c.Styles.Hint
	f.TextStyle = c.Styles.Input
	f.CharLimit = 200
	f.Cursor.SetMode(cursor.CursorStatic)

	a := &App{
		api: api, opts: opts, c: c, copier: copier,
		flight: fl,
		runner: change.NewRunner(api, change.Options{ReadOnly: opts.ReadOnly, Recorder: flightRecorder{next: opts.Recorder, f: fl}, Now: opts.Now}),
		ctx:    ctx, cancel: cancel,
		keys:   newKeyMap(),
		table:  keytable.NewWithOptions(c, opts.Table),
		status: statusbar.New(c),
		filter: f,
		reads:  map[int]*pendingRead{},
	}
	a.afterUsers = a.openPicker
	if opts.User != "" {
		a.afterUsers = func() tea.Cmd { return a.resolveUser(opts.User) }
	}
	a.table.SetSelectable(!opts.ReadOnly)
	a.table.SetEmptyText("No user chosen: press u to choose one.")
	a.updateKeys()
	return a
}

// stderrCopier is the default copier. OSC 52 goes to stderr only when
// stderr is a terminal: redirected (`2>debug.log`), the sequence would put
// the secret, base64-encoded, into the file, and the dialog would claim a
// terminal clipboard that never saw it. isTerminal is term.IsTerminal,
// injected for tests.
func stderrCopier(stderr *os.File, isTerminal func(fd int) bool) secret.Copier {
	var w io.Writer // a nil interface, not a nil *os.File: the copier skips OSC 52
	if stderr != nil && isTerminal(int(stderr.Fd())) {
		w = stderr
	}
	return secret.NewCopier(w)
}

// Close ends the dashboard's requests and wipes every secret still on
// its dialog stack. A program that ends without the admin quitting (its
// context ended, an SSH session was cut) closes no dialog, so whoever ran
// it calls Close, from any goroutine, even while the program is still
// drawing; calling it again does nothing more.
func (a *App) Close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.wipeSecrets()
	a.cancelLoad()
	a.cancel()
}

// Init loads users and the expiry limit; keys follow once a user is known.
func (a *App) Init() tea.Cmd {
	return tea.Batch(a.loadUsersCmd(), a.loadLimitCmd())
}

// Update routes msg and then brings keys and sizes up to date.
func (a *App) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	a.mu.Lock()
	defer a.mu.Unlock()
	cmd := a.update(msg)
	return a, tea.Batch(cmd, a.tableWork())
}

// tableWork starts the sort or filter a big table works out off Update,
// once per Update (a burst of typed letters starts one), and keeps the
// status bar's "sorting…"/"filtering…" in step with it.
func (a *App) tableWork() tea.Cmd {
	work := a.table.Work()
	var tick tea.Cmd
	switch label := a.table.Working(); {
	case label != "" && a.workTask == 0:
		a.workTask, tick = a.status.Start(label)
	case label != "":
		a.status.SetLabel(a.workTask, label)
	case a.workTask != 0:
		a.status.Stop(a.workTask)
		a.workTask = 0
	default:
		return work
	}
	a.relayout()
	return tea.Batch(work, tick)
}

func (a *App) update(msg tea.Msg) tea.Cmd {
	if keys, ok := splitRunes(msg); ok {
		cmds := make([]tea.Cmd, 0, len(keys))
		for _, k := range keys {
			cmds = append(cmds, a.update(k))
		}
		return tea.Batch(cmds...)
	}
	cmd := a.route(msg)
	a.updateKeys()
	a.status.SetHelp(a.focusedHelp())
	a.relayout()
	return cmd
}

// splitRunes splits letters that arrived together into one key each.
// Bubble Tea v1 reads whatever the terminal has sent as one KeyRunes
// message ("jj" when j is held, on a laggy SSH link, or from tmux
// send-keys), and such a message matches no binding, so the keys would be
// lost. A paste stays whole: it is text for an input, never commands.
func splitRunes(msg tea.Msg) ([]tea.KeyMsg, bool) {
	km, ok := msg.(tea.KeyMsg)
	if !ok || km.Type != tea.KeyRunes || km.Paste || len(km.Runes) < 2 {
		return nil, false
	}
	keys := make([]tea.KeyMsg, len(km.Runes))
	for i, r := range km.Runes {
		k := km
		k.Runes = []rune{r}
		if r == ' ' {
			k.Type = tea.KeySpace // as Bubble Tea reports a lone space
		}
		keys[i] = k
	}
	return keys, true
}

// route sends each message to the one helper that owns it.
func (a *App) route(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		a.width, a.height = msg.Width, msg.Height
		return nil
	case tea.KeyMsg:
		return a.handleKey(msg)
	case common.Result:
		// A dialog's result as a message, for parents that embed it. The
		// root reads each dialog's result after Update instead (updateDialog).
		return nil
	case common.ErrMsg:
		a.status.SetError(msg.Err)
		return nil
	case common.InfoMsg:
		a.status.SetInfo(msg.Text)
		return nil
	case taskDoneMsg:
		a.status.Stop(msg.task)
		inner := msg.msg
		if fd, ok := inner.(flightDoneMsg); ok {
			a.flight.shown(fd.e) // its result is shown now
			inner = fd.msg
		}
		if !a.onRead(msg.task) {
			return nil // stopped by esc
		}
		return a.route(inner)
	case spinner.TickMsg:
		if cmd := a.status.Update(msg); cmd != nil {
			return cmd
		}
	}
	if cmd, ok := a.handleReply(msg); ok {
		return cmd
	}
	return a.forward(msg)
}

// handleReply handles the answers to the root's own requests.
func (a *App) handleReply(msg tea.Msg) (tea.Cmd, bool) {
	switch msg := msg.(type) {
	case usersLoadedMsg:
		return a.onUsers(msg), true
	case limitLoadedMsg:
		return a.onLimit(msg), true
	case keysPageMsg:
		return a.onKeysPage(msg), true
	case newKeyReadyMsg:
		return a.onNewKeyReady(msg), true
	case createdMsg:
		return a.onCreated(msg), true
	case rotatedMsg:
		return a.onRotated(msg), true
	case changeDoneMsg:
		return a.onChangeDone(msg), true
	case exportDoneMsg:
		return a.onExported(msg), true
	case usageMsg:
		return a.onUsage(msg), true
	case keytable.ReorderedMsg:
		a.table.Reordered(msg)
		return nil, true
	case keytable.RankedMsg:
		a.table.Ranked(msg)
		return nil, true
	case dailyMsg:
		return a.onDaily(msg), true
	}
	return nil, false
}

// forward gives any other message (cursor blinks, a form's inner
// messages, a copy's outcome) to the top dialog and the filter input.
func (a *App) forward(msg tea.Msg) tea.Cmd {
	var cmds []tea.Cmd
	if len(a.dialogs) > 0 {
		cmds = append(cmds, a.updateDialog(msg))
	}
	if a.filtering {
		var cmd tea.Cmd
		a.filter, cmd = a.filter.Update(msg)
		cmds = append(cmds, cmd)
	}
	return tea.Batch(cmds...)
}

// handleKey routes a key: ctrl+c always quits; otherwise the top dialog,
// the filter input, the global keys and the table, in that order, each
// getting it only when nothing before it does.
func (a *App) handleKey(msg tea.KeyMsg) tea.Cmd {
	a.status.ClearNotice()
	if key.Matches(msg, a.keys.ForceQuit) {
		return a.quit()
	}
	if len(a.dialogs) > 0 {
		return a.updateDialog(msg)
	}
	if a.filtering {
		return a.updateFilter(msg)
	}
	if cmd, ok := a.globalKey(msg); ok {
		return cmd
	}
	before, changedBefore := a.table.AuditFilter(), a.table.QuickOn(keytable.QuickUseChanged)
	cmd := a.table.Update(msg)
	if after := a.table.AuditFilter(); after.NeverUsed != before.NeverUsed || after.UnusedFor != before.UnusedFor {
		a.noteUnjudged()
	}
	if a.table.QuickOn(keytable.QuickUseChanged) && !changedBefore {
		a.noteUseChanged()
	}
	return cmd
}

// noteUnjudged says how many keys a never-used or unused-for filter could
// not judge (their server does not report usage), so that they do not
// vanish from the audit without a word.
func (a *App) noteUnjudged() {
	if n := a.table.Unjudged(); n > 0 {
		a.status.SetInfo(fmt.Sprintf("%s unknown usage (not reported by the server): not counted as used or unused.",
			common.Count(n, "key")+" "+hasHave(n)))
	}
}

func hasHave(n int) string {
	if n == 1 {
		return "has"
	}
	return "have"
}

// globalKey handles the keys that work when no dialog or input has focus.
func (a *App) globalKey(msg tea.KeyMsg) (tea.Cmd, bool) {
	k := a.keys
	switch {
	case key.Matches(msg, k.CancelLoad):
		a.stopLoad()
		return nil, true
	case key.Matches(msg, k.Quit):
		return a.quit(), true
	case key.Matches(msg, k.Help):
		a.status.SetFullHelp(!a.status.ShowsFullHelp())
		return nil, true
	case key.Matches(msg, k.User):
		return a.openPicker(), true
	case key.Matches(msg, k.Refresh):
		return a.refresh(), true
	case key.Matches(msg, k.Filter):
		a.filtering = true
		return a.filter.Focus(), true
	case key.Matches(msg, k.ClearFilter):
		a.setFilter("")
		a.table.ClearFilters()
		return nil, true
	case key.Matches(msg, k.Actions):
		return a.openActions(), true
	case key.Matches(msg, k.New):
		return a.startNewKey(), true
	case key.Matches(msg, k.Delete):
		return a.confirmPlan(deletePlan(a.table.SelectedOrCurrent())), true
	case key.Matches(msg, k.Rotate), key.Matches(msg, k.RotateRefused):
		if cur, ok := a.table.Current(); ok {
			return a.startRotate(cur), true
		}
		return nil, true
	case key.Matches(msg, k.Export):
		return a.openExport(), true
	}
	return nil, false
}

// updateFilter edits the filter; the table narrows with every key.
func (a *App) updateFilter(msg tea.KeyMsg) tea.Cmd {
	switch {
	case key.Matches(msg, a.keys.FilterCancel):
		a.setFilter("")
		a.endFilter()
		return nil
	case key.Matches(msg, a.keys.FilterDone):
		a.endFilter()
		return nil
	}
	var cmd tea.Cmd
	a.filter, cmd = a.filter.Update(msg)
	a.table.SetFilter(a.filter.Value())
	return cmd
}

func (a *App) setFilter(s string) {
	a.filter.SetValue(s)
	a.table.SetFilter(s)
}

func (a *App) endFilter() {
	a.filtering = false
	a.filter.Blur()
	if a.table.Filter() == "" {
		a.filter.SetValue("")
	}
}

func (a *App) quit() tea.Cmd {
	a.wipeSecrets()
	a.cancelLoad()
	a.cancel()
	return tea.Quit
}

// push opens d on top of the stack; then runs once d is done (see
// updateDialog).
func (a *App) push(d common.Dialog, then func() tea.Cmd) tea.Cmd {
	d.SetSize(a.lay.dialogW, a.lay.dialogH)
	a.dialogs = append(a.dialogs, frame{d: d, then: then})
	return d.Init()
}

// updateDialog gives msg to the top dialog and reads, after Update, whether
// it is done (as huh's form.State is read): then it leaves the stack,
// before its continuation runs, so it can act neither twice nor on another
// dialog's behalf.
func (a *App) updateDialog(msg tea.Msg) tea.Cmd {
	top := len(a.dialogs) - 1
	f := a.dialogs[top]
	d, cmd := f.d.Update(msg)
	a.dialogs[top].d = d
	if !d.Done() {
		return cmd
	}
	a.dialogs = a.dialogs[:top]
	if f.then == nil {
		return cmd
	}
	return tea.Batch(cmd, f.then())
}

// dialogCommon is the Common a new dialog gets: the dialog area's size.
func (a *App) dialogCommon() common.Common {
	c := a.c
	c.Width, c.Height = a.lay.dialogW, a.lay.dialogH
	return c
}

// focusedHelp is the keymap of whatever has focus, for the help line.
func (a *App) focusedHelp() help.KeyMap {
	switch {
	case len(a.dialogs) > 0:
		return a.dialogs[len(a.dialogs)-1].d
	case a.filtering:
		return filterHelp{app: a.keys}
	}
	t := a.table.KeyMap()
	if a.keys.CancelLoad.Enabled() {
		// esc stops the load first; it clears the selection only after.
		t.ClearSelection.SetEnabled(false)
	}
	return mainHelp{app: a.keys, table: t}
}

func (a *App) updateKeys() {
	cur, hasRow := a.table.Current()
	a.keys.update(keyState{
		readOnly:      a.opts.ReadOnly,
		hasUser:       a.hasUser,
		hasRow:        hasRow,
		rowActive:     hasRow && cur.IsActive,
		hasRows:       a.table.Len() > 0,
		hasShown:      a.table.Shown() > 0,
		hasSelection:  a.table.SelectedCount() > 0,
		filterApplied: a.table.Filtered(),
		stoppable:     (a.load != nil && !a.load.auto) || a.liveReads(),
		refreshing:    a.load != nil && a.load.refresh,
	})
}

// wipeSecrets destroys every secret still on the dialog stack. Quitting
// (ctrl+c, or the context ending) closes no dialog, so without this the
// secret would outlive the screen that showed it.
func (a *App) wipeSecrets() {
	for _, f := range a.dialogs {
		if s, ok := f.d.(*secret.Model); ok {
			s.Wipe()
		}
	}
}

// frame is an open dialog and the root's continuation for it: what to do
// once the dialog is done, reading the dialog's own typed result (see
// whenChosen). A nil then does nothing (a report to acknowledge).
type frame struct {
	d    common.Dialog
	then func() tea.Cmd
}

// whenChosen is the usual continuation: then with the dialog's result
// when it ended with one; nothing when it was cancelled. Any dialog with
// a typed Result method fits (common.Ending gives one).
func whenChosen[T any](d interface{ Result() (T, bool) }, then func(T) tea.Cmd) func() tea.Cmd {
	return func() tea.Cmd {
		if r, ok := d.Result(); ok {
			return then(r)
		}
		return nil
	}
}
