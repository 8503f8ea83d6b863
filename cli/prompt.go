package cli

import (
	"bufio"
	"context"
	"io"
	"strings"
)

// askYes reads one answer line from r for a [y/N] question: true for y or
// yes (any case), false for anything else, an empty input included. It
// honours ctx: Ctrl+C at the question ends the wait with ctx's error
// (nothing is changed), instead of leaving the process blocked on the
// terminal until Enter. The reading goroutine then stays blocked in Read
// until the process exits, which it does as soon as Run returns.
func askYes(ctx context.Context, r io.Reader) (bool, error) {
	type answer struct {
		line string
		err  error
	}
	ch := make(chan answer, 1)
	go func() {
		line, err := bufio.NewReader(r).ReadString('\n')
		ch <- answer{line, err}
	}()
	select {
	case a := <-ch:
		if a.err != nil && a.line == "" {
			return false, nil
		}
		switch strings.ToLower(strings.TrimSpace(a.line)) {
		case "y", "yes":
			return true, nil
		}
		return false, nil
	case <-ctx.Done():
		return false, ctx.Err()
	}
}
