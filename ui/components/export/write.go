package export

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"h2ogpte-keys/model"
)

// ErrExists is returned by Write when the file is there and overwrite was
// not asked for; the dashboard then asks.
var ErrExists = errors.New("the file exists")

// Write writes keys' records (as of now) to path in format f: the same
// records as the CLI's `list --output csv|json`. It refuses to replace an
// existing file unless overwrite is set (ErrExists). A leading ~/ means the
// home directory. It does file I/O: call it from a tea.Cmd, never Update.
func Write(path string, f Format, keys []model.APIKey, now time.Time, overwrite bool) error {
	full, err := expandHome(path)
	if err != nil {
		return err
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if overwrite {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	file, err := os.OpenFile(full, flags, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s: %w", path, ErrExists)
	}
	if err != nil {
		return err // *fs.PathError: "open PATH: reason"
	}
	w := bufio.NewWriterSize(file, 64<<10)
	if f == JSON {
		err = model.WriteKeysJSON(w, keys, now)
	} else {
		err = WriteCSV(w, keys, now)
	}
	if err == nil {
		err = w.Flush()
	}
	if cerr := file.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		if !overwrite {
			// Nothing was there before: leave no half-written file.
			_ = os.Remove(full)
		}
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func expandHome(path string) (string, error) {
	if path != "~" && !strings.HasPrefix(path, "~/") {
		return path, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("expand %s: %w", path, err)
	}
	return filepath.Join(home, strings.TrimPrefix(path, "~")), nil
}

// WriteCSV writes keys' records (as of now) as CSV, a header row first,
// with every cell through model.CSVCell: a key named =HYPERLINK(...) or
// @SUM(...) is written as text, never as a formula a spreadsheet would run
// (CWE-1236). Apart from that the rows are the CLI's.
func WriteCSV(w io.Writer, keys []model.APIKey, now time.Time) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(model.CSVRow(model.KeyColumns())); err != nil {
		return fmt.Errorf("write keys as CSV: %w", err)
	}
	for _, k := range keys {
		if err := cw.Write(model.CSVRow(model.KeyCSVRow(k, now))); err != nil {
			return fmt.Errorf("write keys as CSV: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write keys as CSV: %w", err)
	}
	return nil
}
