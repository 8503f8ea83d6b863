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
	cmd := exec.Command(h.argv[0], h.argv[1:]...)
	ownSession(cmd)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer stdin.Close() // a request without its end mark: nothing recorded
	pid := cmd.Process.Pid
	proc := "/proc/" + strconv.Itoa(pid)

	var threads []string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		threads, _ = filepath.Glob(proc + "/task/*/stat")
		all := len(threads) > 0
		for _, th := range threads {
			if f := statFields(t, th); len(f) < 17 || f[16] != "19" {
				all = false
			}
		}
		if all {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the helper's threads are not all at nice 19 after 10 s: %d threads", len(threads))
		}
	}
	if f := statFields(t, proc+"/stat"); len(f) < 4 || f[3] != strconv.Itoa(pid) {
		t.Errorf("the helper's session is %v, want its own (%d)", f[3:4], pid)
	}
	if b, err := os.ReadFile("/proc/sys/kernel/sched_autogroup_enabled"); err == nil && strings.TrimSpace(string(b)) == "1" {
		ag, err := os.ReadFile(proc + "/autogroup")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(strings.TrimSpace(string(ag)), "nice 19") {
			t.Errorf("the helper's scheduling group: %q, want nice 19", ag)
		}
	}
	t.Logf("%d threads at nice 19", len(threads))
}

// The refresh helper runs in a session of its own, every thread at nice
// 10 (below the screen, above the history helper), and its session's
// scheduling group too.
func TestRefreshHelperRunsBelowTheScreen(t *testing.T) {
	cmd := exec.Command(binPath, refreshHelperCmd)
	ownSession(cmd)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer stdin.Close() // no request: it ends without a word to the server
	pid := cmd.Process.Pid
	proc := "/proc/" + strconv.Itoa(pid)
	want := strconv.Itoa(refreshNice)
	var threads []string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		threads, _ = filepath.Glob(proc + "/task/*/stat")
		all := len(threads) > 0
		for _, th := range threads {
			if f := statFields(t, th); len(f) < 17 || f[16] != want {
				all = false
			}
		}
		if all {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the refresh helper's threads are not all at nice %s after 10 s: %d threads", want, len(threads))
		}
	}
	if f := statFields(t, proc+"/stat"); len(f) < 4 || f[3] != strconv.Itoa(pid) {
		t.Errorf("the refresh helper's session is %v, want its own (%d)", f[3:4], pid)
	}
	if b, err := os.ReadFile("/proc/sys/kernel/sched_autogroup_enabled"); err == nil && strings.TrimSpace(string(b)) == "1" {
		ag, err := os.ReadFile(proc + "/autogroup")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(strings.TrimSpace(string(ag)), "nice "+want) {
			t.Errorf("the refresh helper's scheduling group: %q, want nice %s", ag, want)
		}
	}
}
