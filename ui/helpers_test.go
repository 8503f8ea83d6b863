package ui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/common/commontest"
)

// testNow is the fixed clock of every test and golden file.
var testNow = commontest.Now

func TestMain(m *testing.M) { commontest.Main(m) }

// fakeAPI is an in-memory API with controllable failures and blocking.
type fakeAPI struct {
	mu       sync.Mutex
	users    []model.User
	keys     map[string][]model.APIKey // by username
	cols     map[string][]model.Collection
	limit    int
	pageSize int
	// fail maps "Method" or "Method:arg" to the error that call returns.
	fail map[string]error
	// block maps "StreamKeys:user" to a channel; the call waits until it
	// is closed or its ctx ends.
	block map[string]chan struct{}
	calls []string
	// ctxs records each StreamKeys call's ctx, by username, in order.
	ctxs    map[string][]context.Context
	nextKey int
}

func newFakeAPI() *fakeAPI {
	f := &fakeAPI{
		keys:     map[string][]model.APIKey{},
		cols:     map[string][]model.Collection{},
		fail:     map[string]error{},
		block:    map[string]chan struct{}{},
		ctxs:     map[string][]context.Context{},
		limit:    90,
		pageSize: 2,
	}
	for _, name := range []string{"alice", "malice", "bob"} {
		f.users = append(f.users, model.User{ID: "id-" + name, Username: name, Email: name + "@example.com"})
	}
	created := testNow.Add(-40 * 24 * time.Hour)
	used := testNow.Add(-2 * time.Hour)
	exp := testNow.Add(30 * 24 * time.Hour)
	f.keys["alice"] = []model.APIKey{
		{ID: "k1", Username: "alice", Name: "laptop", Hint: "aaaa", Created: created, IsActive: true, IsGlobal: true,
			LastUsed: model.Some(used), TotalCalls: model.Some[int64](1432), Expires: &exp},
		{ID: "k2", Username: "alice", Name: "ci-pipeline", Hint: "bbbb", Created: created, IsActive: true, IsGlobal: true,
			LastUsed: model.Null[time.Time](), TotalCalls: model.Some[int64](0), InactivityDays: model.Some(60)},
		{ID: "k3", Username: "alice", Name: "research-bot", Hint: "cccc", Created: created, IsActive: false,
			CollectionID: "c1", CollectionName: "Research papers", TotalCalls: model.Some[int64](8210)},
		{ID: "k4", Username: "alice", Name: "evil\x1b[2Jname", Hint: "dddd", Created: created, IsActive: true, IsGlobal: true},
	}
	f.keys["bob"] = []model.APIKey{
		{ID: "b1", Username: "bob", Name: "bob-key", Hint: "eeee", Created: created, IsActive: true, IsGlobal: true},
	}
	f.cols["alice"] = []model.Collection{{ID: "c1", Name: "Research papers", Username: "alice"}}
	return f
}

func (f *fakeAPI) record(call string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
	name, _, _ := strings.Cut(call, ":")
	if err, ok := f.fail[call]; ok {
		return err
	}
	return f.fail[name]
}

func (f *fakeAPI) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeAPI) called(prefix string) int {
	n := 0
	for _, c := range f.Calls() {
		if strings.HasPrefix(c, prefix) {
			n++
		}
	}
	return n
}

func (f *fakeAPI) ListUsers(ctx context.Context) ([]model.User, error) {
	if err := f.record("ListUsers"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]model.User(nil), f.users...), nil
}

func (f *fakeAPI) StreamKeys(ctx context.Context, username string, onPage func([]model.APIKey)) error {
	f.mu.Lock()
	f.ctxs[username] = append(f.ctxs[username], ctx)
	block := f.block[username]
	f.mu.Unlock()
	if err := f.record("StreamKeys:" + username); err != nil {
		return err
	}
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	f.mu.Lock()
	keys := append([]model.APIKey(nil), f.keys[username]...)
	if username == "" { // every user's, in user order
		for _, u := range f.users {
			keys = append(keys, f.keys[u.Username]...)
		}
	}
	size := f.pageSize
	f.mu.Unlock()
	for i := 0; i < len(keys); i += size {
		if err := ctx.Err(); err != nil {
			return err
		}
		onPage(keys[i:min(i+size, len(keys))])
	}
	return nil
}

func (f *fakeAPI) ListCollections(ctx context.Context, username string) ([]model.Collection, error) {
	if err := f.record("ListCollections:" + username); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]model.Collection(nil), f.cols[username]...), nil
}

func (f *fakeAPI) GlobalExpiryLimit(ctx context.Context) (int, error) {
	if err := f.record("GlobalExpiryLimit"); err != nil {
		return 0, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.limit, nil
}

func (f *fakeAPI) CreateKey(ctx context.Context, k model.NewKey) (model.CreatedKey, error) {
	if err := f.record("CreateKey:" + k.Name); err != nil {
		return model.CreatedKey{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var owner string
	for _, u := range f.users {
		if u.ID == k.UserID {
			owner = u.Username
		}
	}
	f.nextKey++
	key := model.APIKey{ID: fmt.Sprintf("new%d", f.nextKey), Username: owner, Name: k.Name, Hint: "wxyz",
		Created: testNow, IsActive: true, IsGlobal: k.CollectionID == "", CollectionID: k.CollectionID,
		LastUsed: model.Null[time.Time](), TotalCalls: model.Some[int64](0)}
	f.keys[owner] = append(f.keys[owner], key)
	return model.CreatedKey{Key: key, Secret: model.NewSecret("sk-" + strings.Repeat("Z", 44) + "wxyz")}, nil
}

func (f *fakeAPI) mutateKey(call, id string, fn func(*model.APIKey)) error {
	if err := f.record(call + ":" + id); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for user, keys := range f.keys {
		for i := range keys {
			if keys[i].ID == id {
				if fn == nil {
					f.keys[user] = append(keys[:i:i], keys[i+1:]...)
				} else {
					fn(&keys[i])
				}
				return nil
			}
		}
	}
	return errors.New("not found (404): no such key")
}

func (f *fakeAPI) Deactivate(ctx context.Context, id string) error {
	return f.mutateKey("Deactivate", id, func(k *model.APIKey) { k.IsActive = false })
}

func (f *fakeAPI) SetExpiry(ctx context.Context, id string, e model.Expiry) error {
	return f.mutateKey("SetExpiry", id, func(k *model.APIKey) {
		if e.Never {
			k.Expires = nil
		} else {
			at := e.At
			k.Expires = &at
		}
	})
}

func (f *fakeAPI) SetInactivity(ctx context.Context, id string, days int) error {
	return f.mutateKey("SetInactivity", id, func(k *model.APIKey) {
		if days == 0 {
			k.InactivityDays = model.Null[int]()
		} else {
			k.InactivityDays = model.Some(days)
		}
	})
}

func (f *fakeAPI) Delete(ctx context.Context, id string) error {
	return f.mutateKey("Delete", id, nil)
}

// newApp returns an App sized w x h, not yet started.
func newApp(t *testing.T, api API, opts Options, w, h int) *App {
	t.Helper()
	if opts.Now == nil {
		opts.Now = commontest.Clock
	}
	if opts.Copier == nil {
		opts.Copier = &fakeCopier{}
	}
	if opts.Address == "" {
		opts.Address = "https://h2ogpte.example.com"
	}
	a := New(api, opts)
	t.Cleanup(a.cancel)
	a.Update(tea.WindowSizeMsg{Width: w, Height: h})
	return a
}

// startApp runs Init and everything it leads to.
func startApp(t *testing.T, api API, opts Options, w, h int) *App {
	t.Helper()
	a := newApp(t, api, opts, w, h)
	drive(t, a, a.Init())
	return a
}

type fakeCopier struct {
	mu     sync.Mutex
	copies int
}

func (c *fakeCopier) Copy(string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.copies++
	return []string{"test clipboard"}
}

// driver runs commands, and every command that follows from them,
// through a.Update as the Bubble Tea runtime would. A real program (no
// terminal, see loop) runs each command, so batches and sequences are
// unpacked by the runtime itself; every message it would hand a model
// comes back here and goes to a.Update on the test's goroutine.
type driver struct {
	t    *testing.T
	a    *App
	loop *loop
	// pending counts commands whose messages have not all come back.
	pending int
	// hold, when set, keeps the messages it matches from a.Update; they
	// collect in held.
	hold func(tea.Msg) bool
	held []tea.Msg
}

func newDriver(t *testing.T, a *App) *driver {
	return &driver{t: t, a: a, loop: startLoop(t)}
}

func (d *driver) run(c tea.Cmd) {
	if c == nil {
		return
	}
	d.pending++
	d.loop.run(c)
}

// step handles one message; false after quiet (nothing came back).
func (d *driver) step(quiet time.Duration) bool {
	select {
	case msg := <-d.loop.out:
		if _, ok := msg.(ranMsg); ok {
			d.pending--
			return true
		}
		if d.hold != nil && d.hold(msg) {
			d.held = append(d.held, msg)
			return true
		}
		d.run(deliver(d.a, msg))
		return true
	case <-time.After(quiet):
		return false
	}
}

// until handles messages until cond holds.
func (d *driver) until(what string, cond func() bool) {
	d.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			d.t.Fatalf("gave up waiting for %s; screen:\n%s", what, plainView(d.a))
		}
		d.step(20 * time.Millisecond)
	}
}

// settle returns once no request is in flight (the status bar is idle)
// and nothing has come back for a moment: what may still be pending then
// are timers (spinner ticks, cursor blinks), whose messages would only
// schedule more of themselves.
func (d *driver) settle() {
	d.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for d.pending > 0 {
		if time.Now().After(deadline) {
			d.t.Fatalf("requests still running after 10s; screen:\n%s", plainView(d.a))
		}
		if !d.step(60*time.Millisecond) && !d.a.status.Busy() && d.a.load == nil {
			return
		}
	}
}

// press sends each key and handles what follows, without settling.
func (d *driver) press(keys ...string) {
	for _, k := range keys {
		_, cmd := d.a.Update(commontest.Key(k))
		d.run(cmd)
	}
}

// drive runs cmd and everything that follows until the App settles.
func drive(t *testing.T, a *App, cmd tea.Cmd) {
	t.Helper()
	d := newDriver(t, a)
	d.run(cmd)
	d.settle()
}

// deliver hands msg to a and returns the command that follows; the
// timers' messages (spinner ticks, cursor blinks), which would only
// schedule more of themselves, stop here.
func deliver(a *App, msg tea.Msg) tea.Cmd {
	switch msg.(type) {
	case nil, spinner.TickMsg, cursor.BlinkMsg:
		return nil
	}
	_, cmd := a.Update(msg)
	return cmd
}

// loop is a Bubble Tea program without a terminal whose model only
// relays: it runs the commands it is given as the runtime runs any
// command (batches at once, sequences in order, nested ones too) and
// sends every message the runtime would hand a model to out, followed by
// a ranMsg once a command and all it led to are done.
type loop struct {
	p   *tea.Program
	out chan tea.Msg
}

// ranMsg says a command given to loop.run has finished.
type ranMsg struct{}

// execMsg asks the relay to hand cmd to the runtime.
type execMsg struct{ cmd tea.Cmd }

type relay struct {
	out  chan<- tea.Msg
	done <-chan struct{}
}

func (r relay) Init() tea.Cmd { return nil }

func (r relay) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if m, ok := msg.(execMsg); ok {
		return r, m.cmd
	}
	select {
	case r.out <- msg:
	case <-r.done:
	}
	return r, nil
}

func (r relay) View() string { return "" }

func startLoop(t *testing.T) *loop {
	t.Helper()
	out, done := make(chan tea.Msg), make(chan struct{})
	p := tea.NewProgram(relay{out: out, done: done},
		tea.WithInput(nil), tea.WithOutput(io.Discard), tea.WithoutRenderer(), tea.WithoutSignalHandler())
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		_, _ = p.Run()
	}()
	t.Cleanup(func() {
		close(done)
		p.Kill()
		<-ended
	})
	return &loop{p: p, out: out}
}

// run hands c to the program; its messages, then a ranMsg, come to out.
// A quit is dropped: the test, not the App, ends the program.
func (l *loop) run(c tea.Cmd) {
	cmd := tea.Sequence(noQuit(c), func() tea.Msg { return ranMsg{} })
	// Send from another goroutine: the relay may be waiting for the test's
	// goroutine, which is here, to read out.
	go l.p.Send(execMsg{cmd: cmd})
}

// noQuit is c with any tea.QuitMsg it or a batch in it returns dropped.
func noQuit(c tea.Cmd) tea.Cmd {
	return func() tea.Msg {
		switch msg := c().(type) {
		case tea.QuitMsg:
			return nil
		case tea.BatchMsg:
			out := make(tea.BatchMsg, 0, len(msg))
			for _, inner := range msg {
				if inner != nil {
					out = append(out, noQuit(inner))
				}
			}
			return out
		default:
			return msg
		}
	}
}

// press sends keys (a name like "enter", "ctrl+a", or runes) and drives what follows.
func press(t *testing.T, a *App, keys ...string) {
	t.Helper()
	for _, k := range keys {
		_, cmd := a.Update(commontest.Key(k))
		drive(t, a, cmd)
	}
}

// typeText types s rune by rune.
func typeText(t *testing.T, a *App, s string) {
	t.Helper()
	for _, r := range s {
		_, cmd := a.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
		drive(t, a, cmd)
	}
}

// plainView is the view without escape sequences and with any secret
// redacted: tests print it when they fail, and test logs are logs.
func plainView(a *App) string { return secretRE.ReplaceAllString(ansi.Strip(a.View()), "[SECRET]") }
