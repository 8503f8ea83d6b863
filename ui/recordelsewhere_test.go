package ui

import (
	"context"
	"errors"
	"iter"
	"strings"
	"testing"
	"time"

	"h2ogpte-keys/history"
	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/common/commontest"
	"h2ogpte-keys/ui/components/keytable"
)

// elsewhere is a RecordingHistory whose "helper" is this test: it reads
// the keys, says how many on sent, waits for release, then answers usages
// (or err) through each.
type elsewhere struct {
	*history.Store
	sent    chan int
	release chan struct{}
	usages  map[string]history.Usage
	err     error
}

func (e *elsewhere) RecordUsage(ctx context.Context, readAt time.Time, keys iter.Seq[*model.APIKey], each func(string, history.Usage)) error {
	if errors.Is(e.err, ErrRecordHere) {
		return e.err
	}
	n := 0
	for range keys {
		n++
	}
	e.sent <- n
	<-e.release
	if e.err != nil {
		return e.err
	}
	for id, u := range e.usages {
		each(id, u)
	}
	return nil
}

func newElsewhere(t *testing.T) *elsewhere {
	return &elsewhere{
		Store:   openHistory(t, "https://h2ogpte.example", func() time.Time { return testNow }),
		sent:    make(chan int, 1),
		release: make(chan struct{}),
	}
}

// A recording elsewhere holds the Background's slot only while it sends
// the keys: while the helper works, other background work (a refresh)
// goes on. The usage that shows reaches the table; blank usage does not.
func TestRecordElsewhereHoldsNoSlotWhileTheHelperWorks(t *testing.T) {
	e := newElsewhere(t)
	perDay, calls := 12.5, int64(40)
	e.usages = map[string]history.Usage{
		"k00001": {PerDay7d: &perDay, Calls24h: &calls, Change: history.ChangeSpike},
		"k00002": {}, // nothing to show
	}
	bg := NewBackground(1)
	got := make(chan any, 1)
	go func() { got <- recordUsage(context.Background(), e, bg, loadTag{}, testNow, numberedKeys(10))() }()
	if n := <-e.sent; n != 10 {
		t.Fatalf("the helper got %d keys, want 10", n)
	}
	ran := make(chan struct{})
	go bg.Run(func() { close(ran) })
	select {
	case <-ran:
	case <-time.After(5 * time.Second):
		t.Fatal("background work waited for the helper: the recording held its slot")
	}
	close(e.release)
	var msg usageMsg
	select {
	case m := <-got:
		msg = m.(usageMsg)
	case <-time.After(10 * time.Second):
		t.Fatal("no usage after the helper answered")
	}
	if msg.err != nil {
		t.Fatal(msg.err)
	}
	tbl := keytable.New(commontest.Common())
	tbl.SetUsage(msg.usage)
	u, ok := tbl.UsageOf("k00001")
	if !ok || !u.PerDayKnown || u.PerDay != perDay || u.Calls24h != calls || u.Change != model.UsageSpike {
		t.Errorf("k00001's usage: %+v (%v)", u, ok)
	}
	if u, ok := tbl.UsageOf("k00002"); ok {
		t.Errorf("blank usage kept: %+v", u)
	}
	if len(bg.slots) != 0 {
		t.Errorf("%d slots still held after the recording", len(bg.slots))
	}
}

// A helper that fails says why on the status bar's message; one that did
// not start has the dashboard record in its own process.
func TestRecordElsewhereFailures(t *testing.T) {
	t.Run("failed", func(t *testing.T) {
		e := newElsewhere(t)
		e.err = errors.New("the history helper stopped before it answered")
		close(e.release)
		msg := recordUsage(context.Background(), e, NewBackground(1), loadTag{}, testNow, numberedKeys(3))().(usageMsg)
		if msg.err == nil || !strings.Contains(msg.err.Error(), "usage history: the history helper stopped") {
			t.Errorf("err %v", msg.err)
		}
	})
	t.Run("not started", func(t *testing.T) {
		e := newElsewhere(t)
		e.err = ErrRecordHere
		msg := recordUsage(context.Background(), e, NewBackground(1), loadTag{}, testNow, numberedKeys(3))().(usageMsg)
		if msg.err != nil {
			t.Fatal(msg.err)
		}
		n := 0
		if err := e.UsageEach(context.Background(), testNow, nil, func(int) {}, func(string, history.Usage) { n++ }); err != nil {
			t.Fatal(err)
		}
		if n != 3 {
			t.Errorf("recorded in this process: %d keys, want 3", n)
		}
	})
}
