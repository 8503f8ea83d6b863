package cli

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"h2ogpte-keys/client"
	"h2ogpte-keys/model"
)

// echo quotes what the admin typed for an error message: cleaned of control
// characters and cut to model.ClipLen characters, so a 130 KB argument is
// not repeated whole and a pasted escape sequence does not act.
func echo(s string) string {
	return strconv.Quote(model.Clip(model.CleanText(s), model.ClipLen))
}

// keyIDArg checks one key id from the command line: a blank id ("" or
// spaces) is a usage error before anything is sent, the same for every
// command that takes ids. It returns the id trimmed.
func keyIDArg(raw string) (string, error) {
	id := strings.TrimSpace(raw)
	if id == "" {
		return "", usageErrorf("empty key id: give the id of a key (see h2ogpte-keys list)")
	}
	if model.CleanText(id) != id {
		return "", usageErrorf("key id %s holds control or invisible characters", echo(id))
	}
	return id, nil
}

// keyNameFlag checks --name by model.CheckKeyName before anything is sent.
func keyNameFlag(name string) error {
	if err := model.CheckKeyName(name); err != nil {
		return usageErrorf("--name: %w", err)
	}
	return nil
}

// collectionFlag returns --collection trimmed. Given but blank ("" or
// spaces) is a usage error: silently making a global key would grant more
// than was asked.
func collectionFlag(cmd *cobra.Command, value string) (string, error) {
	v := strings.TrimSpace(value)
	if cmd.Flags().Changed("collection") && v == "" {
		return "", usageErrorf("--collection is blank: name a collection of the user's (or leave the flag out for a global key)")
	}
	return v, nil
}

// checkLimit refuses, before anything is sent, an explicit expiry past the
// server's global expiry limit. No expiry (e.Never) is not checked: nothing
// published says a server refuses a key without expiry under the limit, so
// the request goes out and the server's own answer, if it refuses, is shown.
func checkLimit(ctx context.Context, c *client.Client, e model.Expiry, now time.Time) error {
	if e.Never {
		return nil
	}
	limit, err := c.GlobalExpiryLimit(ctx)
	if err != nil {
		return err
	}
	if err := model.CheckExpiry(e, limit, now); err != nil {
		return usageError{err}
	}
	return nil
}
