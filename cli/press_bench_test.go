package cli

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"h2ogpte-keys/demoserver"
)

// pressBenchOther names another build of h2ogpte-keys for
// BenchmarkPressDuringRefresh to measure beside this one, alternating.
const pressBenchOther = "H2OGPTE_KEYS_BENCH_OTHER"

// pressBenchTraffic names the calls a second BenchmarkPressDuringRefresh's
// demo server makes with random keys.
const pressBenchTraffic = "H2OGPTE_KEYS_BENCH_TRAFFIC"

// pressBenchThrough, set, has BenchmarkPressDuringRefresh press on after
// its twenty presses until the usage history has recorded the refresh.
const pressBenchThrough = "H2OGPTE_KEYS_BENCH_THROUGH"

// pressBenchLog names a file BenchmarkPressDuringRefresh appends every
// press to: when it was sent on CLOCK_MONOTONIC (as `perf record -k mono`
// stamps the kernel's events), how long it took, and whether the refresh
// was still running; each run first names the processes it timed.
const pressBenchLog = "H2OGPTE_KEYS_BENCH_PRESSLOG"

const (
	// pressCount presses span a million-key refresh and the start of the
	// usage history's recording of it (about 4 s in all).
	pressCount = 20
	pressGap   = 100 * time.Millisecond
	// pressTurn presses down, then as many up, and so on: fewer than the
	// table's rows on screen at 200x50.
	pressTurn   = 30
	pressGoalMs = 50
	// pressLongWait bounds the waits of a run: a million keys' demo
	// server, first load and usage history take up to a minute on two
	// cores. It only ends a run that would otherwise hang.
	pressLongWait = 3 * time.Minute
)

// BenchmarkPressDuringRefresh measures a frozen frame as the admin sees
// it: how long a key press (Down) takes to reach the screen while a
// refresh of every user's keys runs. Each run is a whole session as an
// admin has it: `demo --serve-only --keys N` in one process; the built
// binary's dashboard in its own tmux server at 200x50; All users; once the
// total shows and the dashboard is idle (its usage history recorded), r;
// then twenty presses from 0.3 s after r, at least 0.1 s apart (plus a
// random part of a 60 fps frame; each press also waits for two
// capture-pane round trips and 80 ms). At a million keys the refresh ends
// about halfway through them, at 100,000 before the first; the presses
// after its end come while the usage history records the refresh.
//
// A press is timed by one control-mode client (tmux -C): from sending
// send-keys until tmux passes on the dashboard's output that draws the
// cursor mark (›) after which capture-pane shows the cursor on another
// row. It reports the presses' median and slowest, the slowest before the
// refresh's end (its log line), how many took over 50 ms, the refresh's
// time (the dashboard's log) and the process's peak RSS from r on (Linux's
// clear_refs): as the refresh's log line appears, and once the usage
// history has recorded the refresh too. Over several runs (-benchtime Nx)
// the presses over 50 ms are summed and the other figures are the
// slowest or largest. It needs tmux; one run of a million keys takes
// about a minute:
//
//	go test ./cli -run '^$' -bench 'PressDuringRefresh/keys=1000000' -benchtime 1x
//
// With H2OGPTE_KEYS_BENCH_OTHER set to another build's binary, each size
// runs that build first, then this one: a shell loop around the command
// alternates them.
//
// With H2OGPTE_KEYS_BENCH_TRAFFIC=N the demo server makes N calls a second
// with random keys (demo --traffic), so the refresh finds their totals and
// last-used times moved and the usage history records them as changes, as
// on a busy server: at 10000, about a fifth of a million keys change
// between the first load and the refresh. The demo server is then this
// build's for every build (an older one may not have --traffic). With
// H2OGPTE_KEYS_BENCH_THROUGH set, the presses go on after the twenty until
// the dashboard has been idle for a second (the usage history has
// recorded the refresh), reported apart (presses-later, ms-max/press-later,
// presses-later-over-50ms).
func BenchmarkPressDuringRefresh(b *testing.B) {
	if runtime.GOOS != "linux" {
		b.Skip("reads the dashboard's CPU time and peak memory from Linux's /proc")
	}
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		b.Skip("tmux is not installed")
	}
	builds := []struct{ name, bin string }{{"this", binPath}}
	if other := os.Getenv(pressBenchOther); other != "" {
		builds = append([]struct{ name, bin string }{{"other", other}}, builds...)
	}
	for _, keys := range []int{100_000, 1_000_000} {
		for _, build := range builds {
			b.Run(fmt.Sprintf("keys=%d/build=%s", keys, build.name), func(b *testing.B) {
				var all, later []float64
				var refresh, peak, peakHistory, helperPeak, refreshPeak, refreshingMax float64
				refreshing := 0
				for range b.N {
					r := pressRun(b, tmux, build.bin, keys)
					all = append(all, r.pressesMs...)
					later = append(later, r.laterMs...)
					refresh, peak = max(refresh, r.refreshS), max(peak, r.peakMiB)
					peakHistory = max(peakHistory, r.peakHistoryMiB)
					helperPeak = max(helperPeak, r.helperPeakMiB)
					refreshPeak = max(refreshPeak, r.refreshHelperPeakMiB)
					refreshing += r.refreshing
					refreshingMax = max(refreshingMax, r.refreshingMax)
				}
				slices.Sort(all)
				over := 0
				for _, ms := range all {
					if ms > pressGoalMs {
						over++
					}
				}
				// A run's wall time says nothing: its figures are below.
				b.ReportMetric(0, "ns/op")
				b.ReportMetric(all[len(all)/2], "ms-median/press")
				b.ReportMetric(all[len(all)-1], "ms-max/press")
				if refreshing > 0 { // at 100,000 keys the refresh ends before the first press
					b.ReportMetric(refreshingMax, "ms-max/press-refreshing")
				}
				b.ReportMetric(float64(over), "presses-over-50ms")
				b.ReportMetric(refresh, "s/refresh")
				if len(later) > 0 {
					laterOver := 0
					for _, ms := range later {
						if ms > pressGoalMs {
							laterOver++
						}
					}
					b.ReportMetric(float64(len(later)), "presses-later")
					b.ReportMetric(slices.Max(later), "ms-max/press-later")
					b.ReportMetric(float64(laterOver), "presses-later-over-50ms")
				}
				if peak > 0 {
					b.ReportMetric(peak, "MiB-peak/refresh")
					b.ReportMetric(peakHistory, "MiB-peak/refresh+history")
				}
				if helperPeak > 0 {
					b.ReportMetric(helperPeak, "MiB-peak/history-helper")
				}
				if refreshPeak > 0 {
					b.ReportMetric(refreshPeak, "MiB-peak/refresh-helper")
				}
			})
		}
	}
}

// pressResult is one run's figures.
type pressResult struct {
	pressesMs []float64
	// refreshing presses were sent before the refresh's log line; the
	// rest come while the usage history records the refresh.
	refreshing    int
	refreshingMax float64
	refreshS      float64
	peakMiB       float64 // 0: not known
	// peakHistoryMiB is the peak until the usage history has recorded
	// the refresh too.
	peakHistoryMiB float64
	// helperPeakMiB is the usage history helper's peak RSS while it
	// recorded the refresh (0: the build records in the dashboard).
	helperPeakMiB float64
	// refreshHelperPeakMiB is the refresh helper's peak RSS (0: the
	// build refreshes in the dashboard).
	refreshHelperPeakMiB float64
	// laterMs are the presses after the first pressCount, with
	// H2OGPTE_KEYS_BENCH_THROUGH set.
	laterMs []float64
}

var (
	demoAt          = regexp.MustCompile(`demo server on (\S+)\n`)
	refreshedIn     = regexp.MustCompile(`refreshed [0-9,]+ keys of all users in ([0-9.]+) s`)
	readKeysLine    = regexp.MustCompile(`read [0-9,]+ keys of all users in`)
	outputEscape    = regexp.MustCompile(`\\([0-7]{3})`)
	helperPeakLine  = regexp.MustCompile(`recorded by the history helper \(pid \d+\) in [0-9.]+ s, its peak RSS (\d+) MiB`)
	refreshPeakLine = regexp.MustCompile(`read and built by the refresh helper \(pid \d+\) in [0-9.]+ s, its peak RSS (\d+) MiB`)
)

// pressRun runs one session of BenchmarkPressDuringRefresh with the binary
// bin and a demo server of keys generated keys.
func pressRun(b *testing.B, tmux, bin string, keys int) pressResult {
	dir := b.TempDir()
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "TERM=xterm-256color", "LANG=C.UTF-8",
		"XDG_CONFIG_HOME=" + filepath.Join(dir, "config"), "XDG_STATE_HOME=" + filepath.Join(dir, "state"),
	}
	port := freeTCPPort(b)
	// Stopped at the run's end: the next run's server would share the
	// machine with it.
	demoBin, demoArgs := bin, []string{"demo", "--serve-only", "--listen", "127.0.0.1:" + port, "--keys", strconv.Itoa(keys)}
	if traffic := os.Getenv(pressBenchTraffic); traffic != "" {
		demoBin, demoArgs = binPath, append(demoArgs, "--traffic", traffic)
	}
	demoOut, stopDemo := startBinary(b, demoBin, env, demoArgs...)
	defer stopDemo()
	url := waitUntil(b, "the demo server", func() string {
		if m := demoAt.FindStringSubmatch(demoOut()); m != nil {
			return m[1]
		}
		return ""
	})

	// The token reaches the dashboard through the tmux server's
	// environment, never a command line.
	s := &tuiSession{t: b, tmux: tmux, socket: fmt.Sprintf("h2k-press-%d-%d", os.Getpid(), tuiSessionSeq.Add(1)),
		env: append(env, envAddress+"="+url, envToken+"="+demoserver.DemoToken)}
	if strings.Contains(bin, "'") {
		b.Fatalf("binary path %q cannot be quoted for tmux", bin)
	}
	var socketPath string
	defer func() {
		// Ends the dashboard with its pane, also when the chain below
		// fails partway; an error only means the server is gone. tmux
		// leaves the socket file behind.
		_, _ = s.run("kill-server")
		if filepath.IsAbs(socketPath) && filepath.Base(socketPath) == s.socket {
			os.Remove(socketPath)
		}
	}()
	socketPath = strings.TrimSpace(s.must("start-server", ";",
		"new-session", "-d", "-s", "e2e", "-x", "200", "-y", "50", "exec '"+bin+"'", ";",
		"set-option", "-t", "e2e", "window-size", "manual", ";",
		"display-message", "-p", "#{socket_path}"))
	pid, err := strconv.Atoi(strings.TrimSpace(s.must("display-message", "-p", "-t", "e2e", "#{pane_pid}")))
	if err != nil {
		b.Fatal(err)
	}
	waitUntil(b, "the user picker", func() string {
		if strings.Contains(s.screen(), "All users") {
			return "up"
		}
		return ""
	})
	time.Sleep(500 * time.Millisecond) // the picker's users arrive after its first frame
	s.press("Enter")
	logPath := filepath.Join(dir, "state", "h2ogpte-keys", "dashboard.log")
	readLog := func() string { log, _ := os.ReadFile(logPath); return string(log) }
	waitUntil(b, "the first load", func() string { return readKeysLine.FindString(readLog()) })
	waitIdle(b, pid)

	// From here the peak RSS is the refresh's; without clear_refs it is
	// not reported.
	peakKnown := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0) == nil
	cc := startControl(b, s)
	defer cc.close()
	pressLog := openPressLog(b, fmt.Sprintf("dashboard=%d tmux=%s bench=%d bin=%q", pid,
		strings.TrimSpace(s.must("display-message", "-p", "#{pid}")), os.Getpid(), bin))
	cc.command("send-keys -t e2e r")
	end := watchRefresh(readLog, pid)
	defer end.stop()
	time.Sleep(300 * time.Millisecond)
	var r pressResult
	press := func(i int) float64 {
		before := cc.cursorRow()
		time.Sleep(30 * time.Millisecond) // a capture-pane's reply can hold tmux's next output back
		cc.drain()
		refreshing := !end.seen()
		// Down, and Up for every other pressTurn presses: the cursor's row
		// on screen stops moving once the table scrolls.
		key := "Down"
		if i/pressTurn%2 == 1 {
			key = "Up"
		}
		sent, ms, err := cc.pressKey(key, before)
		if err != nil {
			b.Fatalf("press %d: %v", i, err)
		}
		pressLog(sent, ms, refreshing, i >= pressCount)
		if refreshing && i < pressCount { // the later presses are reported apart
			r.refreshing++
			r.refreshingMax = max(r.refreshingMax, ms)
		}
		time.Sleep(50*time.Millisecond + pressGap + rand.N(time.Second/60))
		return ms
	}
	for i := range pressCount {
		r.pressesMs = append(r.pressesMs, press(i))
	}
	if os.Getenv(pressBenchThrough) != "" {
		// On until the dashboard has been idle (its usage history
		// recorded) for a second of presses, all after the refresh's end.
		deadline := time.Now().Add(pressLongWait)
		for i, since, ticks := pressCount, time.Now(), cpuTicks(b, pid); ; i++ {
			refreshed := end.seen()
			r.laterMs = append(r.laterMs, press(i))
			if !refreshed {
				since, ticks = time.Now(), cpuTicks(b, pid)
				continue
			}
			if time.Since(since) < time.Second {
				continue
			}
			t := cpuTicks(b, pid)
			if t-ticks < idleTicks {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("the dashboard was still busy %s after r, pressed %d times", pressLongWait, i+1)
			}
			since, ticks = time.Now(), t
		}
	}
	m := waitUntil(b, "the refresh's log line", func() string {
		if m := refreshedIn.FindStringSubmatch(readLog()); m != nil {
			return m[1]
		}
		return ""
	})
	r.refreshS, _ = strconv.ParseFloat(m, 64)
	if peakKnown {
		r.peakMiB = end.peak()
		// The refresh is a later read of the same keys: the usage history
		// records it after the log line.
		waitIdle(b, pid)
		r.peakHistoryMiB = vmHWM(pid)
	}
	// A build that records in a helper logs the helper's peak: the last
	// line is the refresh's recording (the dashboard and its helper are
	// idle by now).
	if m := helperPeakLine.FindAllStringSubmatch(readLog(), -1); len(m) > 0 {
		r.helperPeakMiB, _ = strconv.ParseFloat(m[len(m)-1][1], 64)
	}
	// A build that refreshes in a helper logs its peak too (the refresh
	// is the only load it reads there).
	if m := refreshPeakLine.FindStringSubmatch(readLog()); m != nil {
		r.refreshHelperPeakMiB, _ = strconv.ParseFloat(m[1], 64)
	}
	cc.command("send-keys -t e2e q")
	return r
}

// openPressLog starts a run in the file H2OGPTE_KEYS_BENCH_PRESSLOG names
// ("run " and about, which names the processes and binary timed, so that
// alternating builds are told apart), and returns what logs a press:
// "press MONOTONIC-SECONDS MS PHASE", PHASE refreshing, after (the
// refresh's end seen) or later (past the twenty). Without the variable it
// logs nothing. A write that fails ends the benchmark: a log with presses
// missing would mislead whoever matches it with perf's record.
func openPressLog(tb testing.TB, about string) func(sent time.Time, ms float64, refreshing, later bool) {
	path := os.Getenv(pressBenchLog)
	if path == "" {
		return func(time.Time, float64, bool, bool) {}
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.Close() })
	wall := time.Now()
	mono, ok := monotonicNow()
	if !ok {
		tb.Fatalf("%s: no monotonic clock to log presses by", pressBenchLog)
	}
	if _, err := fmt.Fprintf(f, "run %s\n", about); err != nil {
		tb.Fatalf("%s: %v", pressBenchLog, err)
	}
	return func(sent time.Time, ms float64, refreshing, later bool) {
		phase := "after"
		switch {
		case later:
			phase = "later"
		case refreshing:
			phase = "refreshing"
		}
		at := mono + sent.Sub(wall)
		if _, err := fmt.Fprintf(f, "press %.6f %.3f %s\n", at.Seconds(), ms, phase); err != nil {
			tb.Fatalf("%s: %v", pressBenchLog, err)
		}
	}
}

// refreshWatch notes when the refresh's log line appears, and the
// dashboard's peak RSS then.
type refreshWatch struct {
	mu      sync.Mutex
	found   bool
	peakMiB float64
	done    chan struct{}
	ended   chan struct{}
}

// watchRefresh polls readLog every 10 ms for the refresh's line.
func watchRefresh(readLog func() string, pid int) *refreshWatch {
	w := &refreshWatch{done: make(chan struct{}), ended: make(chan struct{})}
	go func() {
		defer close(w.ended)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			if refreshedIn.MatchString(readLog()) {
				peak := vmHWM(pid)
				w.mu.Lock()
				w.found, w.peakMiB = true, peak
				w.mu.Unlock()
				return
			}
			select {
			case <-w.done:
				return
			case <-t.C:
			}
		}
	}()
	return w
}

func (w *refreshWatch) seen() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.found
}

// peak waits for the line (the caller has seen it) and returns the peak.
func (w *refreshWatch) peak() float64 {
	<-w.ended
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.peakMiB
}

func (w *refreshWatch) stop() {
	select {
	case <-w.done:
	default:
		close(w.done)
	}
	<-w.ended
}

// waitUntil polls f until it returns something, and returns that.
func waitUntil(b *testing.B, what string, f func() string) string {
	b.Helper()
	for deadline := time.Now().Add(pressLongWait); ; time.Sleep(100 * time.Millisecond) {
		if v := f(); v != "" {
			return v
		}
		if time.Now().After(deadline) {
			b.Fatalf("%s: not there within %s", what, pressLongWait)
		}
	}
}

// waitIdle waits until process pid uses under 5% of a processor over a
// second (its usage history recorded).
func waitIdle(b *testing.B, pid int) {
	b.Helper()
	for deadline := time.Now().Add(pressLongWait); ; {
		a := cpuTicks(b, pid)
		time.Sleep(time.Second)
		if cpuTicks(b, pid)-a < idleTicks {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("the dashboard was still busy after %s", pressLongWait)
		}
	}
}

// idleTicks: a process that used fewer clock ticks (hundredths of a
// second) than this in a second is idle.
const idleTicks = 5

// cpuTicks is the CPU time process pid and its children (the usage
// history's helper, whether running or finished) have used, in clock ticks.
func cpuTicks(b *testing.B, pid int) int {
	f := procStat(fmt.Sprintf("/proc/%d/stat", pid))
	if f == nil {
		b.Fatalf("the dashboard's CPU time: no /proc/%d/stat", pid)
	}
	// utime, stime, cutime and cstime: the reaped children's are in the
	// last two.
	n := 0
	for _, i := range []int{11, 12, 13, 14} {
		v, _ := strconv.Atoi(f[i])
		n += v
	}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, st := range stats {
		if c := procStat(st); c != nil && c[1] == strconv.Itoa(pid) {
			u, _ := strconv.Atoi(c[11])
			s, _ := strconv.Atoi(c[12])
			n += u + s
		}
	}
	return n
}

// procStat is a /proc stat file's fields after the command's closing
// parenthesis, from the state (the line's 3rd; [1] is the parent, [11]
// and [12] utime and stime); nil when it cannot be read.
func procStat(path string) []string {
	stat, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 || i+2 > len(stat) {
		return nil
	}
	if f := strings.Fields(string(stat[i+2:])); len(f) > 14 {
		return f
	}
	return nil
}

// vmHWM is process pid's peak RSS in MiB (since clear_refs), 0 if unknown.
func vmHWM(pid int) float64 {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(status)) {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return math.Round(kb / 1024)
		}
	}
	return 0
}

// controlClient is one tmux control-mode client (tmux -C attach): commands
// go in as lines; replies come back as %begin/%end blocks, and the pane's
// output as %output lines, each taken with the time it arrived.
type controlClient struct {
	b       *testing.B
	cmd     *exec.Cmd
	in      io.WriteCloser
	replies chan reply
	outputs chan timedOutput
	done    chan struct{}
}

// reply is a command's reply: its lines, and whether tmux said it failed.
type reply struct {
	lines  []string
	failed bool
}

type timedOutput struct {
	at   time.Time
	data []byte
}

func startControl(b *testing.B, s *tuiSession) *controlClient {
	b.Helper()
	cmd := exec.Command(s.tmux, "-L", s.socket, "-f", "/dev/null", "-C", "attach", "-t", "e2e")
	cmd.Env = s.env
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	c := &controlClient{b: b, cmd: cmd, in: in, replies: make(chan reply, 16),
		outputs: make(chan timedOutput, 4096), done: make(chan struct{})}
	go c.read(bufio.NewReaderSize(out, 1<<16))
	return c
}

// read sorts tmux's lines into replies and outputs until the client ends
// or close is called.
func (c *controlClient) read(r *bufio.Reader) {
	var body []string
	var block []string // the %begin line's time, number and flags
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		at := time.Now()
		line = strings.TrimSuffix(line, "\n")
		f := strings.Fields(line)
		switch {
		case block == nil && len(f) == 4 && f[0] == "%begin":
			block, body = f[1:], nil
		case block != nil && len(f) == 4 && (f[0] == "%end" || f[0] == "%error") && slices.Equal(f[1:], block):
			// Flags 1: the reply to a command this client sent, not the
			// attach's own.
			mine := block[2] == "1"
			block = nil
			if mine {
				select {
				case c.replies <- reply{body, f[0] == "%error"}:
				case <-c.done:
					return
				}
			}
		case block != nil:
			body = append(body, line)
		case strings.HasPrefix(line, "%output "):
			// %output %PANE DATA, DATA with bytes under 32 and \ written \ooo.
			if f := strings.SplitN(line, " ", 3); len(f) == 3 {
				data := outputEscape.ReplaceAllFunc([]byte(f[2]), func(m []byte) []byte {
					n, _ := strconv.ParseUint(string(m[1:]), 8, 8)
					return []byte{byte(n)}
				})
				select {
				case c.outputs <- timedOutput{at, data}:
				default: // a run that stopped reading; its press fails
				}
			}
		}
	}
}

// send sends one command line.
func (c *controlClient) send(line string) {
	c.b.Helper()
	if _, err := io.WriteString(c.in, line+"\n"); err != nil {
		c.b.Fatal(err)
	}
}

// reply waits for the next reply; a command tmux failed is an error.
func (c *controlClient) reply(line string) ([]string, error) {
	select {
	case r := <-c.replies:
		if r.failed {
			return nil, fmt.Errorf("tmux %s: %s", line, strings.Join(r.lines, " "))
		}
		return r.lines, nil
	case <-time.After(10 * time.Second):
		return nil, fmt.Errorf("tmux did not answer %q", line)
	}
}

// command sends one command and returns its reply.
func (c *controlClient) command(line string) []string {
	c.b.Helper()
	c.send(line)
	lines, err := c.reply(line)
	if err != nil {
		c.b.Fatal(err)
	}
	return lines
}

// cursorRow is the screen row that holds the cursor mark (›), -1 if none.
func (c *controlClient) cursorRow() int {
	for i, line := range c.command("capture-pane -p -t e2e") {
		if strings.HasPrefix(line, "›") {
			return i
		}
	}
	return -1
}

// drain drops the output there is.
func (c *controlClient) drain() {
	for {
		select {
		case <-c.outputs:
		default:
			return
		}
	}
}

// pressKey sends key (Down or Up) and returns the ms until tmux passed on output
// that drew the cursor mark with the cursor then off row before: a frame
// that only redrew the cursor's row (the refresh's new rows, the usage
// columns) is not the press's.
func (c *controlClient) pressKey(key string, before int) (sent time.Time, ms float64, err error) {
	c.b.Helper()
	t0 := time.Now()
	c.send("send-keys -t e2e " + key)
	if _, err := c.reply("send-keys"); err != nil {
		return t0, 0, err
	}
	var seen []byte // the mark's bytes may be split across two lines
	for deadline := time.After(2 * time.Second); ; {
		select {
		case o := <-c.outputs:
			seen = append(seen, o.data...)
			if !bytes.Contains(seen, []byte("›")) {
				continue
			}
			if row := c.cursorRow(); row != before && row >= 0 {
				return t0, float64(o.at.Sub(t0).Microseconds()) / 1000, nil
			}
			seen = nil
		case <-deadline:
			return t0, 0, errors.New("the cursor did not move within 2 s")
		}
	}
}

// close ends the client: at once if it does not end when its input does.
func (c *controlClient) close() {
	close(c.done)
	_ = c.in.Close()
	ended := make(chan struct{})
	go func() { _ = c.cmd.Wait(); close(ended) }()
	select {
	case <-ended:
	case <-time.After(5 * time.Second):
		_ = c.cmd.Process.Kill()
		<-ended
	}
}
