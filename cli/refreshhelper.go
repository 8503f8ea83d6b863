package cli

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"h2ogpte-keys/client"
	"h2ogpte-keys/model"
	"h2ogpte-keys/ui"
	"h2ogpte-keys/ui/common"
	"h2ogpte-keys/ui/components/keytable"
)

// refreshHelperCmd is the hidden command a local dashboard runs to read
// and build a refresh's keys (ui.Refresher) in a process of its own.
const refreshHelperCmd = "refresh-helper"

// The refresh helper's wire form. The request is a first line, then one
// line of JSON (refreshRequest; the token is in it, on a pipe, never on a
// command line or in the environment). The answer is a first line, then
// records: refreshProgress and a uvarint (that many more keys read),
// then either refreshFailed and a uvarint-long string (the failure in
// the status bar's words) or refreshTable and the table to the stream's
// end (keytable's form).
const (
	refreshRequestLine = "h2ogpte-keys refresh request 1\n"
	refreshAnswerLine  = "h2ogpte-keys refresh answer 1\n"

	refreshProgress = 'p'
	refreshFailed   = 'e'
	refreshTable    = 't'

	// refreshNice is the refresh helper's priority: below the screen's,
	// which it gives way to, and above the history helper's (the admin
	// waits for a refresh, not for a recording). 5 rather than the
	// nineteenth session's 10: side by side (README, Benchmarks, the
	// twentieth session) it kept every press within 50 ms as 10 did, and
	// a refresh beside other busy work took a third less time.
	refreshNice = 5

	// maxRefreshRequest bounds the request line read.
	maxRefreshRequest = 1 << 20
)

// refreshRequest is what the helper needs: the client's settings, whose
// keys to list, and the instant the table is judged at.
type refreshRequest struct {
	Address    string        `json:"address"`
	Token      string        `json:"token"`
	CACertFile string        `json:"ca_cert_file,omitempty"`
	Insecure   bool          `json:"insecure,omitempty"`
	Timeout    time.Duration `json:"timeout,omitempty"`
	MaxItems   int           `json:"max_items,omitempty"`
	UserAgent  string        `json:"user_agent,omitempty"`
	Debug      bool          `json:"debug,omitempty"`
	Username   string        `json:"username,omitempty"`
	// Now is the dashboard's clock reading for the refresh, in Unix
	// nanoseconds (the zone is the process's, the same environment's).
	Now      int64 `json:"now"`
	SizeHint int   `json:"size_hint,omitempty"`
}

// newRefreshHelperCmd is the refresh helper: a process the local dashboard
// starts for each refresh, in a session of its own (its own scheduling
// group on Linux). It reads one request on stdin and answers on stdout;
// its debug log and its own errors go to stderr (the dashboard's log).
func (a *app) newRefreshHelperCmd() *cobra.Command {
	// It gives way to the screen when both want a processor. It keeps all
	// of them: measured against one fewer, the presses during a refresh
	// were no slower, and the refresh faster.
	return a.helperCommand(refreshHelperCmd, "Read and build a refresh's keys (run by the dashboard)", refreshNice,
		func(cmd *cobra.Command) error {
			// Its heap is paced as the dashboard's (a GOGC the admin set
			// stands).
			defer ui.BoundHeap()()
			return serveRefresh(cmd.Context(), a.Stdin, a.Stdout, a.Stderr)
		})
}

// serveRefresh reads one request from r, lists and builds its keys, and
// answers on w. A request it cannot read is an error (exit status 1), not
// an answer: the dashboard then refreshes itself.
func serveRefresh(ctx context.Context, r io.Reader, w io.Writer, stderr io.Writer) error {
	br := bufio.NewReader(io.LimitReader(r, maxRefreshRequest))
	first, err := br.ReadString('\n')
	if err != nil || first != refreshRequestLine {
		return errors.New("refresh helper: not a refresh request")
	}
	line, err := br.ReadBytes('\n')
	if err != nil {
		return errors.New("refresh helper: the request was cut short")
	}
	var req refreshRequest
	err = json.Unmarshal(line, &req)
	clear(line) // the token's bytes, read
	if err != nil {
		return errors.New("refresh helper: a garbled request")
	}
	tok := model.NewSecret(req.Token)
	req.Token = ""
	c, err := client.New(client.Config{
		Address: req.Address, Token: tok, CACertFile: req.CACertFile,
		InsecureSkipTLSVerify: req.Insecure, Timeout: req.Timeout, MaxItems: req.MaxItems,
		UserAgent: req.UserAgent, Debug: req.Debug, DebugOut: stderr,
	})
	if err != nil {
		return fmt.Errorf("refresh helper: %w", err)
	}
	now := time.Unix(0, req.Now)
	out := bufio.NewWriterSize(w, 1<<16)
	if _, err := out.WriteString(refreshAnswerLine); err != nil {
		return err
	}
	var werr error // the first write that failed: the dashboard has gone
	record := func(kind byte, n uint64) {
		if werr == nil {
			werr = out.WriteByte(kind)
		}
		if werr == nil {
			_, werr = out.Write(binary.AppendUvarint(nil, n))
		}
		if werr == nil && kind == refreshProgress {
			werr = out.Flush()
		}
	}

	// Pages are measured and indexed on a goroutine of their own while
	// the next are read and decoded.
	b := keytable.NewBuilder(now, req.SizeHint)
	pages := make(chan []model.APIKey, 4)
	built := make(chan struct{})
	go func() {
		defer close(built)
		for p := range pages {
			rows := keytable.FormatRows(p, now)
			b.Add(&rows)
			record(refreshProgress, uint64(len(p)))
		}
	}()
	lerr := c.StreamKeys(ctx, req.Username, func(p []model.APIKey) {
		if len(p) == 0 {
			return
		}
		select {
		case pages <- p:
		case <-ctx.Done():
		}
	})
	close(pages)
	<-built
	if lerr == nil {
		lerr = ctx.Err()
	}
	if lerr != nil {
		words := ui.DescribeError(lerr)
		record(refreshFailed, uint64(len(words)))
		if werr == nil {
			_, werr = out.WriteString(words)
		}
	} else {
		b.Rank()
		if werr == nil {
			werr = out.WriteByte(refreshTable)
		}
		if werr == nil {
			_, werr = b.WriteTo(out)
		}
	}
	if werr == nil {
		werr = out.Flush()
	}
	return werr
}

// helperRefresher is the local dashboard's ui.Refresher when this
// program's executable is known: each refresh is read and built by a
// refresh helper process.
type helperRefresher struct {
	exe string
	cfg client.Config
	// env is the helper's environment: this process's without the token,
	// which the request carries.
	env []string
	// stderr gets the helper's debug log and errors: the dashboard's log.
	stderr io.Writer
}

func newHelperRefresher(exe string, cfg client.Config, stderr io.Writer) helperRefresher {
	return helperRefresher{exe: exe, cfg: cfg, env: helperEnv(os.Environ()), stderr: stderr}
}

// errRefreshFailed is the refresh's failure as the helper worded it.
type errRefreshFailed struct{ words string }

func (e errRefreshFailed) Error() string { return e.words }

// Refresh runs the helper on one refresh (ui.Refresher). A helper that
// does not start, or that stops without an answer of the server's, is
// ui.ErrRefreshHere (logged): nothing it read is used, and the dashboard
// reads the keys again in its own process; reading changes nothing.
func (h helperRefresher) Refresh(ctx context.Context, username string, now time.Time, sizeHint int, progress func(int), gate func(func())) (*keytable.Builder, error) {
	here := func(why string, err error) error {
		log.Printf("refresh: the refresh helper %s (%v): refreshing in the dashboard's process", why, err)
		return fmt.Errorf("%w: the refresh helper %s: %v", ui.ErrRefreshHere, why, err)
	}
	cmd, stdin, stdout, err := startHelper(ctx, []string{h.exe, refreshHelperCmd}, h.env, h.stderr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, here("did not start", err)
	}
	start := time.Now()
	req := refreshRequest{
		Address: h.cfg.Address, Token: h.cfg.Token.Reveal(), CACertFile: h.cfg.CACertFile,
		Insecure: h.cfg.InsecureSkipTLSVerify, Timeout: h.cfg.Timeout, MaxItems: h.cfg.MaxItems,
		UserAgent: h.cfg.UserAgent, Debug: h.cfg.Debug, Username: username, Now: now.UnixNano(), SizeHint: sizeHint,
	}
	line, err := json.Marshal(req)
	req.Token = ""
	if err == nil {
		// Written as it is, then wiped: no other copy of the token.
		line = append(line, '\n')
		if _, err = io.WriteString(stdin, refreshRequestLine); err == nil {
			_, err = stdin.Write(line)
		}
	}
	clear(line)
	if cerr := stdin.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, here("did not take the request", err)
	}
	b, answerErr := readRefreshAnswer(stdout, now, progress, gate)
	if answerErr != nil {
		cmd.Process.Kill() // a garbled answer: the helper is of no more use
	}
	waitErr := cmd.Wait()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	var failed errRefreshFailed
	switch {
	case errors.As(answerErr, &failed):
		return nil, failed
	case answerErr != nil:
		if waitErr != nil {
			answerErr = fmt.Errorf("%v (%v)", answerErr, waitErr)
		}
		return nil, here("gave no whole answer", answerErr)
	}
	peak := ""
	if mib, ok := peakMiB(cmd.ProcessState); ok {
		peak = fmt.Sprintf(", its peak RSS %.0f MiB", mib)
	}
	log.Printf("refresh: %s read and built by the refresh helper (pid %d) in %.2f s%s",
		common.Count(b.Len(), "key"), cmd.Process.Pid, time.Since(start).Seconds(), peak)
	return b, nil
}

// readRefreshAnswer reads the helper's answer: progress as it comes, then
// the failure's words (errRefreshFailed) or the table, taken over under
// gate.
func readRefreshAnswer(r io.Reader, now time.Time, progress func(int), gate func(func())) (*keytable.Builder, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	first, err := br.ReadString('\n')
	if err != nil || first != refreshAnswerLine {
		return nil, errors.New("no answer")
	}
	for {
		kind, err := br.ReadByte()
		if err != nil {
			return nil, errors.New("the answer was cut short")
		}
		switch kind {
		case refreshProgress:
			n, err := binary.ReadUvarint(br)
			if err != nil || n > 1<<30 {
				return nil, errors.New("a garbled count")
			}
			progress(int(n))
		case refreshFailed:
			n, err := binary.ReadUvarint(br)
			if err != nil || n > 1<<20 {
				return nil, errors.New("garbled failure words")
			}
			words := make([]byte, n)
			if _, err := io.ReadFull(br, words); err != nil {
				return nil, errors.New("the failure's words were cut short")
			}
			return nil, errRefreshFailed{words: model.CleanText(strings.ToValidUTF8(string(words), "?"))}
		case refreshTable:
			var b *keytable.Builder
			gate(func() { b, err = keytable.ReadBuilder(br, now) })
			return b, err
		default:
			return nil, fmt.Errorf("an unknown record %q", kind)
		}
	}
}
