//go:build !unix

package cli

import "os"

// redirectStderr cannot move descriptor 2 here; the log package and the
// debug log still go to the file, and stray stderr writes stay on stderr.
func redirectStderr(*os.File) (*os.File, func(), error) {
	return os.Stderr, func() {}, nil
}
