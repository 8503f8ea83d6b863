package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// statFields is /proc/.../stat after the command's name: [0] is the
// state (field 3), [3] the session (field 6), [16] the nice value (19).
func statFields(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	s := string(b)
	return strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
}

// The helper runs in a session of its own, every thread at nice 19, and
// its session's scheduling group too where the kernel groups by session.
func TestHistoryHelperRunsAtTheLowestPriority(t *testing.T) {
	h := newHelperHistory(helperStore(t), binPath, os.Stderr)
	// A request without its end mark: nothing recorded.
	n := checkHelperPriority(t, exec.Command(h.argv[0], h.argv[1:]...), "19")
	t.Logf("%d threads at nice 19", n)
}

// The refresh helper runs in a session of its own, every thread at
// refreshNice (below the screen, above the history helper), and its
// session's scheduling group too.
func TestRefreshHelperRunsBelowTheScreen(t *testing.T) {
	// No request: it ends without a word to the server.
	checkHelperPriority(t, exec.Command(binPath, refreshHelperCmd), strconv.Itoa(refreshNice))
}

// A helper started below its priority (a dashboard run under nice 12)
// stays where it started: it never rises above the screen.
func TestRefreshHelperStaysBelowANicedDashboard(t *testing.T) {
	nice, err := exec.LookPath("nice")
	if err != nil {
		t.Skip("no nice program here")
	}
	checkHelperPriority(t, exec.Command(nice, "-n", "12", binPath, refreshHelperCmd), "12")
}

// checkHelperPriority starts cmd as the dashboard starts a helper, with
// its stdin open until the end, and checks that its threads reach nice
// value nice, in a session of its own, and its session's scheduling group
// too where the kernel groups by session. It returns how many threads.
func checkHelperPriority(t *testing.T, cmd *exec.Cmd, nice string) int {
	t.Helper()
	ownSession(cmd)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer stdin.Close()
	name := cmd.Args[1] // the helper's command, also after nice's options
	for _, a := range cmd.Args {
		if a == helperCmd || a == refreshHelperCmd {
			name = a
		}
	}
	pid := cmd.Process.Pid
	proc := "/proc/" + strconv.Itoa(pid)

	// It starts itself again from a thread at its priority (reexecAt):
	// until then its threads (or, during the exec, its one thread) say
	// nothing of the new program's.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		env, err := os.ReadFile(proc + "/environ")
		if err == nil && strings.Contains(string(env), "\x00"+reexecEnv+"=1\x00") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not start itself again at its priority within 10 s (%s not in its environment; %v)", name, reexecEnv, err)
		}
	}
	var threads []string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		threads, _ = filepath.Glob(proc + "/task/*/stat")
		all := len(threads) > 0
		var seen []string // thread:nice, for the failure's words
		for _, th := range threads {
			f := statFields(t, th)
			if len(f) < 17 || f[16] != nice {
				all = false
			}
			if len(f) >= 17 {
				seen = append(seen, filepath.Base(filepath.Dir(th))+":"+f[16])
			}
		}
		if all {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s's threads are not all at nice %s after 10 s: %d threads (thread:nice %v)", name, nice, len(threads), seen)
		}
	}
	if f := statFields(t, proc+"/stat"); len(f) < 4 || f[3] != strconv.Itoa(pid) {
		t.Errorf("%s's session is %v, want its own (%d)", name, f[3:4], pid)
	}
	// The scheduling group's value may take a few tries (lowerAutogroup).
	if b, err := os.ReadFile("/proc/sys/kernel/sched_autogroup_enabled"); err == nil && strings.TrimSpace(string(b)) == "1" {
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			ag, err := os.ReadFile(proc + "/autogroup")
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasSuffix(strings.TrimSpace(string(ag)), "nice "+nice) {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("%s's scheduling group: %q after 10 s, want nice %s", name, ag, nice)
				break
			}
		}
	}
	return len(threads)
}
