package cli

import (
	"bufio"
	"bytes"
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
	"testing"
	"time"

	"h2ogpte-keys/demoserver"
)

// pressBenchOther names another build of h2ogpte-keys for
// BenchmarkPressDuringRefresh to measure beside this one, alternating.
const pressBenchOther = "H2OGPTE_KEYS_BENCH_OTHER"

// Each press run's figures, for the README's table: 20 presses, as the
// ninth and tenth sessions' runs.
const (
	pressCount  = 20
	pressGap    = 100 * time.Millisecond
	pressGoalMs = 50
	// pressLongWait bounds the waits of a run: a million keys' demo
	// server, first load and usage history take up to a minute on two
	// cores. It only ends a run that would otherwise hang.
	pressLongWait = 3 * time.Minute
)

// BenchmarkPressDuringRefresh is the measure of a frozen frame:
// how long a key press (Down) takes to reach the screen while a refresh of
// every user's keys runs. Each run is a whole session as an admin has it:
// `demo --serve-only --keys N` in one process; the built binary's
// dashboard in its own tmux server at 200x50; All users; once the total
// shows and the dashboard is idle (its usage history recorded), r; then
// twenty presses 0.1 s apart (plus a random part of a 60 fps frame), from
// 0.3 s after r. At a million keys the refresh ends about halfway through
// them, at 100,000 before the first; the presses after its end come while
// the usage history records the refresh.
//
// A press is timed by one control-mode client (tmux -C): from sending
// send-keys until tmux passes on the dashboard's output that draws the
// cursor mark (›), checking with capture-pane afterwards that the cursor
// row changed. It reports the presses' median and slowest, the slowest
// before the refresh's end (its log line), how many took over 50 ms, the
// refresh's time (the dashboard's log) and the process's
// peak RSS from r on (Linux's clear_refs): at the refresh's end, and once
// the usage history has recorded it too. It needs tmux; one run of a
// million keys takes about a minute:
//
//	go test ./cli -run '^$' -bench 'PressDuringRefresh/keys=1000000' -benchtime 1x
//
// With H2OGPTE_KEYS_BENCH_OTHER set to another build's binary, each size
// runs that build first, then this one: a shell loop around the command
// alternates them.
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
				var all []float64
				var refresh, peak, peakHistory, refreshingMax float64
				refreshing := 0
				for range b.N {
					r := pressRun(b, tmux, build.bin, keys)
					all = append(all, r.pressesMs...)
					refresh, peak = max(refresh, r.refreshS), max(peak, r.peakMiB)
					peakHistory = max(peakHistory, r.peakHistoryMiB)
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
				b.ReportMetric(0, "ns/op")
				b.ReportMetric(all[len(all)/2], "ms-median/press")
				b.ReportMetric(all[len(all)-1], "ms-max/press")
				if refreshing > 0 { // at 100,000 keys the refresh ends before the first press
					b.ReportMetric(refreshingMax, "ms-max/press-refreshing")
				}
				b.ReportMetric(float64(over), "presses-over-50ms")
				b.ReportMetric(refresh, "s/refresh")
				if peak > 0 {
					b.ReportMetric(peak, "MiB-peak/refresh")
					b.ReportMetric(peakHistory, "MiB-peak/refresh+history")
				}
			})
		}
	}
}

// pressResult is one run's figures.
type pressResult struct {
	pressesMs []float64
	// refreshingMax is the slowest press before the refresh's log line
	// (the rest come while the usage history records the refresh).
	refreshing    int
	refreshingMax float64
	refreshS      float64
	peakMiB       float64 // 0: not known
	// peakHistoryMiB is the peak until the usage history has recorded
	// the refresh too.
	peakHistoryMiB float64
}

var (
	demoAt       = regexp.MustCompile(`demo server on (\S+)\n`)
	refreshedIn  = regexp.MustCompile(`refreshed [0-9,]+ keys of all users in ([0-9.]+) s`)
	readKeysLine = regexp.MustCompile(`read [0-9,]+ keys of all users in`)
	outputEscape = regexp.MustCompile(`\\([0-7]{3})`)
)

// pressRun runs one session of BenchmarkPressDuringRefresh with the binary
// bin and a demo server of keys generated keys.
func pressRun(b *testing.B, tmux, bin string, keys int) pressResult {
	b.StopTimer()
	dir := b.TempDir()
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "TERM=xterm-256color", "LANG=C.UTF-8",
		"XDG_CONFIG_HOME=" + filepath.Join(dir, "config"), "XDG_STATE_HOME=" + filepath.Join(dir, "state"),
	}
	port := freeTCPPort(b)
	demo := exec.Command(bin, "demo", "--serve-only", "--listen", "127.0.0.1:"+port, "--keys", strconv.Itoa(keys))
	demo.Env = env
	var demoOut syncBuffer
	demo.Stdout, demo.Stderr = &demoOut, &demoOut
	if err := demo.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = demo.Process.Kill(); _ = demo.Wait() }()
	url := waitUntil(b, "the demo server", func() string {
		if m := demoAt.FindStringSubmatch(demoOut.String()); m != nil {
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
	s.must("start-server", ";", "new-session", "-d", "-s", "e2e", "-x", "200", "-y", "50", "exec '"+bin+"'", ";",
		"set-option", "-t", "e2e", "window-size", "manual")
	defer func() { _, _ = s.run("kill-server") }()
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
	cc.command("send-keys -t e2e r")
	time.Sleep(300 * time.Millisecond)
	var r pressResult
	for i := range pressCount {
		before := cc.cursorRow()
		time.Sleep(30 * time.Millisecond) // a capture-pane's reply can hold tmux's next output back
		cc.drain()
		t0 := time.Now()
		ms, ok := cc.pressDown(t0)
		time.Sleep(50 * time.Millisecond)
		if after := cc.cursorRow(); !ok || after == before {
			b.Fatalf("press %d: the cursor did not move (row %d, before %d; mark drawn: %v)", i, after, before, ok)
		}
		r.pressesMs = append(r.pressesMs, ms)
		if !refreshedIn.MatchString(readLog()) {
			r.refreshing++
			r.refreshingMax = max(r.refreshingMax, ms)
		}
		time.Sleep(pressGap + rand.N(time.Second/60))
	}
	m := waitUntil(b, "the refresh's log line", func() string {
		if m := refreshedIn.FindStringSubmatch(readLog()); m != nil {
			return m[1]
		}
		return ""
	})
	r.refreshS, _ = strconv.ParseFloat(m, 64)
	if peakKnown {
		r.peakMiB = vmHWM(pid)
		// The refresh is a later read of the same keys: the usage history
		// records it after the log line.
		waitIdle(b, pid)
		r.peakHistoryMiB = vmHWM(pid)
	}
	cc.command("send-keys -t e2e q")
	return r
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
	ticks := func() int {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			b.Fatalf("the dashboard's CPU time: %v", err)
		}
		// The fields after the command's closing parenthesis; utime and
		// stime are the 14th and 15th of the whole line.
		f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+2:]))
		u, _ := strconv.Atoi(f[11])
		s, _ := strconv.Atoi(f[12])
		return u + s
	}
	for deadline := time.Now().Add(pressLongWait); ; {
		a := ticks()
		time.Sleep(time.Second)
		if ticks()-a < 5 { // clock ticks are a hundredth of a second
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("the dashboard was still busy after %s", pressLongWait)
		}
	}
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
	replies chan []string
	outputs chan timedOutput
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
	c := &controlClient{b: b, cmd: cmd, in: in, replies: make(chan []string, 16), outputs: make(chan timedOutput, 4096)}
	go c.read(bufio.NewReaderSize(out, 1<<16))
	return c
}

// read sorts tmux's lines into replies and outputs until the client ends.
func (c *controlClient) read(r *bufio.Reader) {
	var body []string
	inBlock, mine := false, false
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		at := time.Now()
		line = strings.TrimSuffix(line, "\n")
		switch {
		case strings.HasPrefix(line, "%begin"):
			// Flags 1: the reply to a command this client sent, not the
			// attach's own.
			f := strings.Fields(line)
			inBlock, mine, body = true, f[len(f)-1] == "1", nil
		case inBlock && (strings.HasPrefix(line, "%end") || strings.HasPrefix(line, "%error")):
			inBlock = false
			if mine {
				c.replies <- body
			}
		case inBlock:
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
				default: // a run that stopped reading; the press's check fails
				}
			}
		}
	}
}

// command sends one command and returns its reply.
func (c *controlClient) command(line string) []string {
	c.b.Helper()
	if _, err := io.WriteString(c.in, line+"\n"); err != nil {
		c.b.Fatal(err)
	}
	select {
	case body := <-c.replies:
		return body
	case <-time.After(10 * time.Second):
		c.b.Fatalf("tmux did not answer %q", line)
		return nil
	}
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

// pressDown sends Down at t0 and returns the ms until tmux passed on
// output that draws the cursor mark; false if none came within 2 s.
func (c *controlClient) pressDown(t0 time.Time) (float64, bool) {
	c.b.Helper()
	if _, err := io.WriteString(c.in, "send-keys -t e2e Down\n"); err != nil {
		c.b.Fatal(err)
	}
	var seen []byte // the mark's bytes may be split across two lines
	ms, ok := 0.0, false
	for deadline := time.After(2 * time.Second); !ok; {
		select {
		case o := <-c.outputs:
			seen = append(seen, o.data...)
			if bytes.Contains(seen, []byte("›")) {
				ms, ok = float64(o.at.Sub(t0).Microseconds())/1000, true
			}
		case <-deadline:
			return 0, false
		}
	}
	select { // send-keys' own (empty) reply
	case <-c.replies:
	case <-time.After(10 * time.Second):
		c.b.Fatal("tmux did not answer send-keys")
	}
	return ms, true
}

func (c *controlClient) close() {
	_ = c.in.Close()
	_ = c.cmd.Wait()
}
