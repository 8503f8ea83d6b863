package ui

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"h2ogpte-keys/history"
	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/common"
	"h2ogpte-keys/ui/components/actions"
	"h2ogpte-keys/ui/components/keytable"
)

// History is the usage history the dashboard records every complete read
// of keys in, and reads calls per day from. *history.Store satisfies it
// (and is safe to share between SSH sessions). Options.History nil turns
// it off: nothing is recorded, and no usage column or filter shows.
type History interface {
	RecordSeq(ctx context.Context, readAt time.Time, keys iter.Seq[*model.APIKey]) error
	UsageEach(ctx context.Context, now time.Time, keyIDs []string, size func(n int), each func(id string, u history.Usage)) error
	Daily(ctx context.Context, keyID string, days int, now time.Time) ([]history.Day, time.Time, error)
}

// A RecordingHistory is a History that records a load and reads its keys'
// usage in one call, elsewhere: the local dashboard's history, recorded by
// a helper process at the lowest priority (cli's history helper), so that
// the seconds of CPU and the garbage of a million keys' recording compete
// neither for the dashboard's processors nor with its collector. It calls
// each, on the caller's goroutine, for the usage of every key whose usage
// shows (UsageShown), once the whole answer is in (no waiting between
// calls); keys with nothing to show are left out. A RecordingHistory that
// cannot start elsewhere answers ErrRecordHere, and the dashboard records
// in this process.
type RecordingHistory interface {
	History
	RecordUsage(ctx context.Context, readAt time.Time, keys iter.Seq[*model.APIKey], each func(id string, u history.Usage)) error
}

// UsageShown reports whether the dashboard shows anything of u: a
// RecordingHistory need not send the rest.
func UsageShown(u history.Usage) bool { return !keyUsage(u).Blank() }

// usageMsg brings the usage of a load's keys, read after the load was
// recorded; err says the recording or the reading failed.
type usageMsg struct {
	tag   loadTag
	usage *keytable.Usage
	err   error
}

// dailyMsg brings a key's daily calls for its details dialog.
type dailyMsg struct {
	keyID string
	view  actions.UsageView
}

// recordUsage records a complete load's keys, read at readAt, in h, then
// reads their usage as of readAt. keys is read three times, off the UI goroutine
// (a million keys take seconds to record: a command's work), and never
// copied whole: at a million keys a copy would be 200 MB. No one waits on
// it, so it runs on bg, handing its turn on every thousand keys. Its turn
// ends before each call into h and is taken again once h holds its locks
// (history.WithLocked): so reading the history's summary of a million
// keys is a turn's work, but waiting for another writer of the file is
// not.
func recordUsage(ctx context.Context, h History, bg *Background, tag loadTag, readAt time.Time, keys iter.Seq[*model.APIKey]) tea.Cmd {
	if rh, ok := h.(RecordingHistory); ok {
		return recordElsewhere(ctx, rh, bg, tag, readAt, keys)
	}
	return func() tea.Msg { return recordHere(ctx, h, bg, tag, readAt, keys) }
}

// ErrRecordHere is a RecordingHistory's answer when it cannot record
// elsewhere (its helper did not start) and nothing was recorded: the
// dashboard then records in this process.
var ErrRecordHere = errors.New("record in this process")

// recordHere is recordUsage in this process.
func recordHere(ctx context.Context, h History, bg *Background, tag loadTag, readAt time.Time, keys iter.Seq[*model.APIKey]) tea.Msg {
	t := bg.turn()
	defer t.end()
	// A bounded heap (the local dashboard) is bound tighter while the
	// recording works: from its first turn, not while it waits for a
	// slot behind a refresh, whose garbage lives longer.
	var tight func()
	defer func() {
		if tight != nil {
			tight()
		}
	}()
	ctx = history.WithLocked(ctx, func() {
		t.step()
		if tight == nil {
			tight = recording()
		}
	})
	err := h.RecordSeq(ctx, readAt, paced(keys, t))
	t.end()
	if err != nil {
		return usageMsg{tag: tag, err: fmt.Errorf("usage history not recorded: %w", err)}
	}
	n := 0
	for range paced(keys, t) {
		n++
	}
	ids := make([]string, 0, n)
	for k := range paced(keys, t) {
		ids = append(ids, k.ID)
	}
	t.end()
	// Keys with nothing to show are left out: after the first read of
	// a million keys that is all of them, a map of about 95 MB saved
	// (the map grows as it fills, not sized for every key ahead).
	out := map[string]model.KeyUsage{}
	err = h.UsageEach(ctx, readAt, ids, func(int) {},
		func(id string, u history.Usage) {
			t.step()
			if ku := keyUsage(u); !ku.Blank() {
				out[id] = ku
			}
		})
	if err != nil {
		return usageMsg{tag: tag, err: fmt.Errorf("usage history not read: %w", err)}
	}
	t.step()
	return usageMsg{tag: tag, usage: keytable.MeasureUsage(out)}
}

// recordElsewhere is recordUsage by a RecordingHistory: this process only
// sends the keys and gathers the usage that shows, on bg, handing its
// turn on every thousand keys like a recording in this process.
func recordElsewhere(ctx context.Context, h RecordingHistory, bg *Background, tag loadTag, readAt time.Time, keys iter.Seq[*model.APIKey]) tea.Cmd {
	return func() tea.Msg {
		t := bg.turn()
		defer t.end()
		out := map[string]model.KeyUsage{}
		// The turn ends once the keys are sent: the helper's seconds of
		// work are not this process's, and no slot is held meanwhile.
		sent := func(yield func(*model.APIKey) bool) {
			defer t.end()
			for k := range paced(keys, t) {
				if !yield(k) {
					return
				}
			}
		}
		err := h.RecordUsage(ctx, readAt, sent, func(id string, u history.Usage) {
			t.step()
			if ku := keyUsage(u); !ku.Blank() {
				out[id] = ku
			}
		})
		if errors.Is(err, ErrRecordHere) {
			t.end()
			return recordHere(ctx, h, bg, tag, readAt, keys)
		}
		if err != nil {
			return usageMsg{tag: tag, err: fmt.Errorf("usage history: %w", err)}
		}
		t.step()
		return usageMsg{tag: tag, usage: keytable.MeasureUsage(out)}
	}
}

// keyUsage is the history's figures as the dashboard shows them.
func keyUsage(u history.Usage) model.KeyUsage {
	k := model.KeyUsage{Estimated: u.Estimated, Since: u.Since}
	if u.PerDay7d != nil {
		k.PerDay, k.PerDayKnown = *u.PerDay7d, true
	}
	if u.Calls24h != nil {
		k.Calls24h, k.Calls24hKnown = *u.Calls24h, true
	}
	switch u.Change {
	case history.ChangeSpike:
		k.Change = model.UsageSpike
	case history.ChangeSilent:
		k.Change = model.UsageSilent
	}
	return k
}

// onUsage hands a load's usage to the table. A reply for another scope,
// or older than the usage shown, is dropped; a failure is one warning on
// the status bar and leaves the table as it is.
func (a *App) onUsage(msg usageMsg) tea.Cmd {
	if msg.tag.user != a.user.Username || msg.tag.all != a.allUsers || msg.tag.seq < a.usageSeq {
		return nil
	}
	a.usageSeq = msg.tag.seq
	if msg.err != nil {
		if !errors.Is(msg.err, context.Canceled) {
			a.status.SetError(msg.err)
		}
		return nil
	}
	a.table.SetUsage(msg.usage)
	return nil
}

// readDaily reads key id's daily calls for its details, as of now.
func readDaily(ctx context.Context, h History, id string, now time.Time) tea.Cmd {
	return func() tea.Msg {
		days, since, err := h.Daily(ctx, id, actions.UsageDays, now)
		v := actions.UsageView{Since: since}
		switch {
		case errors.Is(err, history.ErrNoHistory):
			v.None = true
		case err != nil:
			v.Err = err
		}
		for _, d := range days {
			v.Days = append(v.Days, model.UsageDay{Date: d.Date, Calls: d.Calls, Estimated: d.Estimated})
		}
		return dailyMsg{keyID: id, view: v}
	}
}

// withUsage starts reading the daily calls of the key m shows, when the
// dashboard keeps a usage history.
func (a *App) withUsage(m *actions.Model) tea.Cmd {
	if a.opts.History == nil {
		return nil
	}
	k := m.Key()
	v := actions.UsageView{Loading: true}
	v.Usage, v.HasUsage = a.table.UsageOf(k.ID)
	m.SetUsage(v)
	return readDaily(a.ctx, a.opts.History, k.ID, a.c.Now())
}

// onDaily shows daily calls in the details dialog of their key, if it is
// still open.
func (a *App) onDaily(msg dailyMsg) tea.Cmd {
	for _, f := range a.dialogs {
		if m, ok := f.d.(*actions.Model); ok && !m.Bulk() && m.Key().ID == msg.keyID {
			v := msg.view
			v.Usage, v.HasUsage = a.table.UsageOf(msg.keyID)
			m.SetUsage(v)
		}
	}
	return nil
}

// noteUseChanged says how many keys the use-changed filter found.
func (a *App) noteUseChanged() {
	n := a.table.ChangedCount()
	if n == 0 {
		a.status.SetInfo("Use changed: no key (no spike over 10× the usual daily calls, no silence after steady use).")
		return
	}
	a.status.SetInfo(fmt.Sprintf("Use changed: %s (a spike over 10× the usual daily calls, or silence after steady use); enter shows why.",
		common.Count(n, "key")))
}
