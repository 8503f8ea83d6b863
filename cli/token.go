package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"h2ogpte-keys/model"
)

// maxTokenFile bounds what is read from a token file or stdin, so pointing
// --api-key-file at something huge fails fast instead of eating memory.
const maxTokenFile = 64 << 10

// tokenIO is what reading the token needs from the process.
type tokenIO struct {
	getenv   func(string) string
	stdin    io.Reader
	stdinTTY bool
	stderr   io.Writer
	// readPassword reads one line from the terminal without echo.
	readPassword func() ([]byte, error)
}

func (a *app) tokenIO() tokenIO {
	return tokenIO{
		getenv:       a.Getenv,
		stdin:        a.Stdin,
		stdinTTY:     a.StdinTTY != nil && a.StdinTTY(),
		stderr:       a.Stderr,
		readPassword: a.ReadPassword,
	}
}

// cmdContext is the running command's context: cancelled by Ctrl+C or
// SIGTERM.
func (a *app) cmdContext() context.Context {
	if a.ctx != nil {
		return a.ctx
	}
	return context.Background()
}

// loadToken returns the admin token from the environment or a token file
// ("-" reads stdin; on a terminal it prompts on stderr and reads without
// echo). It warns on stderr when the file is readable by group or others.
// An unset token is not an error here: the caller names every missing
// setting in one line. Every wait honours ctx, so Ctrl+C ends a read from
// a FIFO that never gets a writer, or a prompt nobody answers.
func loadToken(ctx context.Context, s settings, io tokenIO) (model.Secret, error) {
	if s.TokenFromEnv {
		return model.NewSecret(strings.TrimSpace(io.getenv(envToken))), nil
	}
	if s.TokenFile == "" {
		return model.Secret{}, nil
	}
	if s.TokenFile != "-" && looksLikeKey(s.TokenFile) {
		return model.Secret{}, usageErrorf("the api key file setting holds what looks like an API key (%s) itself; it should name a file that holds the key", keyShown)
	}
	var (
		b    []byte
		err  error
		name = s.TokenFile
	)
	switch {
	case name == "-" && io.stdinTTY:
		name = "the terminal"
		b, err = promptToken(ctx, io)
	case name == "-":
		name = "stdin"
		b, err = readAllCtx(ctx, io.stdin)
	default:
		b, err = readTokenFile(ctx, name, io.stderr)
	}
	if err != nil {
		if ctx.Err() != nil {
			return model.Secret{}, ctx.Err()
		}
		var ue usageError
		if errors.As(err, &ue) {
			return model.Secret{}, err
		}
		return model.Secret{}, usageErrorf("read api key from %s: %v", name, err)
	}
	defer clear(b)
	if len(b) > maxTokenFile {
		return model.Secret{}, usageErrorf("api key file %s is too large to hold a token", name)
	}
	tok := strings.TrimSpace(string(b))
	switch {
	case tok == "":
		return model.Secret{}, usageErrorf("api key file %s is empty", name)
	case strings.ContainsAny(tok, " \t\r\n"):
		return model.Secret{}, usageErrorf("api key file %s must hold just the token, on one line", name)
	}
	return model.NewSecret(tok), nil
}

// promptToken asks for the token on the terminal without echo.
func promptToken(ctx context.Context, tio tokenIO) ([]byte, error) {
	read := tio.readPassword
	var restore func()
	if read == nil {
		f, ok := tio.stdin.(*os.File)
		if !ok {
			return nil, errors.New("stdin is not a terminal file")
		}
		fd := int(f.Fd())
		// ReadPassword restores the terminal when it returns; if Ctrl+C
		// ends the wait first, echo is turned back on here.
		if st, err := term.GetState(fd); err == nil {
			restore = func() { _ = term.Restore(fd, st) }
		}
		read = func() ([]byte, error) { return term.ReadPassword(fd) }
	}
	fmt.Fprint(tio.stderr, "Admin API key (input hidden): ")
	type answer struct {
		b   []byte
		err error
	}
	ch := make(chan answer, 1)
	go func() {
		b, err := read()
		ch <- answer{b, err}
	}()
	select {
	case r := <-ch:
		fmt.Fprintln(tio.stderr)
		return r.b, r.err
	case <-ctx.Done():
		// The reading goroutine stays blocked on the terminal until the
		// process exits, which it does as soon as Run returns.
		if restore != nil {
			restore()
		}
		fmt.Fprintln(tio.stderr)
		return nil, ctx.Err()
	}
}

// readAllCtx reads r (bounded by maxTokenFile) in a goroutine, so that a
// pipe that never closes does not outlive ctx. On cancel the goroutine
// stays blocked in Read until the process exits.
func readAllCtx(ctx context.Context, r io.Reader) ([]byte, error) {
	type answer struct {
		b   []byte
		err error
	}
	ch := make(chan answer, 1)
	go func() {
		b, err := io.ReadAll(io.LimitReader(r, maxTokenFile+1))
		ch <- answer{b, err}
	}()
	select {
	case r := <-ch:
		return r.b, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// readTokenFile opens and reads the token file, honouring ctx. Opening a
// FIFO blocks until a writer appears, so open and read run in a goroutine;
// on cancel, wakeFIFO opens the write end once so that goroutine finishes
// instead of waiting forever.
func readTokenFile(ctx context.Context, name string, stderr io.Writer) ([]byte, error) {
	fi, err := os.Stat(name)
	if err != nil {
		return nil, usageErrorf("api key file: %v", err)
	}
	if perm := fi.Mode().Perm(); fi.Mode().IsRegular() && perm&0o044 != 0 {
		warnf(stderr, "api key file %s can be read by group or others (mode %#o); run chmod 600 %s", name, perm, name)
	}
	type answer struct {
		b   []byte
		err error
	}
	ch := make(chan answer, 1)
	go func() {
		f, err := os.Open(name)
		if err != nil {
			ch <- answer{nil, usageErrorf("api key file: %v", err)}
			return
		}
		defer f.Close()
		b, err := io.ReadAll(io.LimitReader(f, maxTokenFile+1))
		ch <- answer{b, err}
	}()
	select {
	case r := <-ch:
		return r.b, r.err
	case <-ctx.Done():
		if fi.Mode()&os.ModeNamedPipe != 0 {
			wakeFIFO(name)
		}
		return nil, ctx.Err()
	}
}
