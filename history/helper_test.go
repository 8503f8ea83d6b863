package history

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"h2ogpte-keys/model"
)

// helperKeys are n keys as read at hour h: totals climbing at different
// paces, one key with every optional field left out, one expiring past
// 2262 (beyond nanoseconds since 1970), names that are not plain ASCII.
func helperKeys(n, h int) []model.APIKey {
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	keys := make([]model.APIKey, n)
	for i := range keys {
		k := model.APIKey{ID: fmt.Sprintf("id-%04d", i), Name: fmt.Sprintf("key %d \u202e\x1b[2J ✓", i), Username: "user" + fmt.Sprint(i%3), IsActive: i%5 != 0}
		switch i {
		case 0:
			// nothing reported
		case 1:
			far := time.Date(3000, 1, 2, 3, 4, 5, 6, time.UTC)
			k.Expires = &far
			k.TotalCalls = model.Some(int64(h))
			k.LastUsed = model.Null[time.Time]()
		default:
			exp := base.Add(time.Duration(90*24+i) * time.Hour)
			k.Expires = &exp
			// Key 2 is quiet, then busy in the last hours: a spike.
			calls := int64(i * h)
			if i == 2 && h >= 200 {
				calls += int64(5000 * (h - 199))
			}
			k.TotalCalls = model.Some(calls)
			k.LastUsed = model.Some(base.Add(time.Duration(h)*time.Hour - time.Duration(i)*time.Second + 123456789))
		}
		keys[i] = k
	}
	return keys
}

func ptrs(keys []model.APIKey) []*model.APIKey {
	out := make([]*model.APIKey, len(keys))
	for i := range keys {
		out[i] = &keys[i]
	}
	return out
}

// The wire form carries every field the history keeps, as it was.
func TestWireKeysRoundTrip(t *testing.T) {
	keys := helperKeys(40, 7)
	readAt := time.Date(2026, 12, 3, 9, 10, 11, 12, time.UTC)
	var req bytes.Buffer
	if err := WriteRecording(&req, readAt, slices.Values(ptrs(keys))); err != nil {
		t.Fatal(err)
	}
	rec, err := readRecording(&req)
	if err != nil {
		t.Fatal(err)
	}
	if !rec.readAt.Equal(readAt) {
		t.Errorf("read at %v, want %v", rec.readAt, readAt)
	}
	i := 0
	for k, err := range rec.each() {
		if err != nil {
			t.Fatal(err)
		}
		want := keys[i]
		if k.ID != want.ID || k.Name != want.Name || k.Username != want.Username {
			t.Errorf("key %d: %q %q %q, want %q %q %q", i, k.ID, k.Name, k.Username, want.ID, want.Name, want.Username)
		}
		if got, w := readingOf(*k), readingOf(want); got != w {
			t.Errorf("key %d: reading %+v, want %+v", i, got, w)
		}
		if v, ok := k.LastUsed.Get(); ok && !v.Equal(want.LastUsed.V) {
			t.Errorf("key %d: last used %v, want %v", i, v, want.LastUsed.V)
		}
		if (k.Expires == nil) != (want.Expires == nil) || k.Expires != nil && !k.Expires.Equal(*want.Expires) {
			t.Errorf("key %d: expires %v, want %v", i, k.Expires, want.Expires)
		}
		i++
	}
	if i != len(keys) || len(rec.ids) != len(keys) {
		t.Errorf("%d keys decoded, %d ids, want %d", i, len(rec.ids), len(keys))
	}
}

// Recording through the helper's wire form leaves the same history, and
// answers the same usage, as recording in the process.
func TestServeRecordingMatchesRecordingHere(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var now time.Time
	opts := Options{Now: func() time.Time { return now }}
	here, err := Open(ctx, filepath.Join(dir, "here.db"), "https://h2ogpte.example", opts)
	if err != nil {
		t.Fatal(err)
	}
	defer here.Close()
	there := filepath.Join(dir, "there.db")
	open := func(ctx context.Context) (*Store, error) { return Open(ctx, there, "https://h2ogpte.example", opts) }

	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	shown := 0
	for _, h := range []int{0, 30, 100, 190, 199, 205, 206} {
		now = base.Add(time.Duration(h) * time.Hour)
		keys := helperKeys(60, h)
		if h == 206 {
			keys = keys[:50] // ten keys gone
		}
		if err := here.RecordSeq(ctx, now, slices.Values(ptrs(keys))); err != nil {
			t.Fatal(err)
		}
		want := map[string]Usage{}
		ids := make([]string, len(keys))
		for i, k := range keys {
			ids[i] = k.ID
		}
		if err := here.UsageEach(ctx, now, ids, func(int) {}, func(id string, u Usage) { want[id] = u }); err != nil {
			t.Fatal(err)
		}

		var req, ans bytes.Buffer
		if err := WriteRecording(&req, now, slices.Values(ptrs(keys))); err != nil {
			t.Fatal(err)
		}
		if err := ServeRecording(ctx, open, &req, &ans, nil); err != nil {
			t.Fatal(err)
		}
		got := map[string]Usage{}
		if err := ReadUsages(&ans, func(id string, u Usage) { got[id] = u }); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("hour %d: usage through the helper differs:\n got %+v\nwant %+v", h, got, want)
		}
		for _, u := range got {
			if u.PerDay7d != nil || u.Change != ChangeNone {
				shown++
			}
		}
	}
	if shown == 0 {
		t.Fatal("no usage with figures compared: the test compares blanks only")
	}
}

// A request cut short (a dashboard that quit while sending) is refused
// whole: nothing is recorded, and the answer says why.
func TestServeRecordingRefusesACutRequest(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "h.db")
	open := func(ctx context.Context) (*Store, error) {
		return Open(ctx, path, "https://h2ogpte.example", Options{})
	}
	var req bytes.Buffer
	if err := WriteRecording(&req, time.Now(), slices.Values(ptrs(helperKeys(20, 3)))); err != nil {
		t.Fatal(err)
	}
	for _, cut := range []int{1, req.Len() / 2} {
		var ans bytes.Buffer
		err := ServeRecording(ctx, open, bytes.NewReader(req.Bytes()[:req.Len()-cut]), &ans, nil)
		if err == nil {
			t.Fatalf("cut by %d: recorded", cut)
		}
		rerr := ReadUsages(&ans, func(string, Usage) { t.Error("usage answered for a cut request") })
		if rerr == nil || rerr.Error() != err.Error() || !strings.HasPrefix(rerr.Error(), "not recorded: read the request") {
			t.Errorf("cut by %d: answer %v, helper's error %v", cut, rerr, err)
		}
	}
	st, err := open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n := 0
	if err := st.UsageEach(ctx, time.Now(), nil, func(int) {}, func(string, Usage) { n++ }); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d keys recorded from cut requests", n)
	}
}

// An answer cut short is ErrHelperCut, whatever it held before the cut.
func TestReadUsagesCutAnswer(t *testing.T) {
	var req, ans bytes.Buffer
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "h.db")
	open := func(ctx context.Context) (*Store, error) {
		return Open(ctx, path, "https://h2ogpte.example", Options{})
	}
	if err := WriteRecording(&req, time.Now(), slices.Values(ptrs(helperKeys(5, 1)))); err != nil {
		t.Fatal(err)
	}
	if err := ServeRecording(ctx, open, &req, &ans, nil); err != nil {
		t.Fatal(err)
	}
	full := ans.Bytes()
	for cut := 1; cut <= len(full); cut++ {
		err := ReadUsages(bytes.NewReader(full[:len(full)-cut]), func(string, Usage) {})
		if !errors.Is(err, ErrHelperCut) || !strings.Contains(err.Error(), "unknown") {
			t.Fatalf("answer cut by %d bytes: %v, want ErrHelperCut, saying the recording is unknown", cut, err)
		}
	}
	if err := ReadUsages(bytes.NewReader(full), func(string, Usage) {}); err != nil {
		t.Fatal(err)
	}
}

// An answer that is not the wire form says so; it is not called cut.
func TestReadUsagesGarbledAnswer(t *testing.T) {
	garbled := helperAnswer + string([]byte{recUsage, 0xff, 0xff, 0xff, 0x7f}) // a 256 MiB id
	err := ReadUsages(strings.NewReader(garbled), func(string, Usage) { t.Error("usage from a garbled answer") })
	if err == nil || errors.Is(err, ErrHelperCut) || !strings.Contains(err.Error(), "answer") {
		t.Errorf("garbled answer: %v", err)
	}
	if err := ReadUsages(strings.NewReader("panic: runtime error: index out of range [3] with length 3\n\ngoroutine 1"), func(string, Usage) {}); err == nil || errors.Is(err, ErrHelperCut) {
		t.Errorf("not an answer at all: %v", err)
	}
}
