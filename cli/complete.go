package cli

import (
	"context"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"h2ogpte-keys/client"
	"h2ogpte-keys/model"
)

// Shell completion asks the server for usernames, collections and key ids.
// It is best effort: with no settings, a token on stdin or a slow server it
// completes nothing rather than hang or print errors into the shell.

const completeTimeout = 5 * time.Second

// completionClient connects with the settings as they stand on the command
// line being completed.
func (a *app) completionClient(cmd *cobra.Command) (*client.Client, context.Context, context.CancelFunc, bool) {
	if err := a.loadSettings(cmd); err != nil || a.cfg.TokenFile == "-" {
		return nil, nil, nil, false
	}
	a.cfg.Debug = false // debug output would end up among the completions
	parent := cmd.Context()
	if parent == nil {
		parent = context.Background()
	}
	ctx, cancel := context.WithTimeout(parent, completeTimeout)
	tio := a.tokenIO()
	tio.stderr = discard{}
	tok, err := loadToken(ctx, a.cfg, tio)
	if err != nil || missingMessage(a.cfg.Address, tok) != "" {
		cancel()
		return nil, nil, nil, false
	}
	stderr := a.Stderr
	a.Stderr = discard{} // no TLS or HTTP warning in the middle of a completion
	err = a.checkAddress(a.cfg.Address, a.cfg.AddressFrom)
	var c *client.Client
	if err == nil {
		c, err = a.newClient(a.cfg.Address, tok)
	}
	a.Stderr = stderr
	if err != nil {
		cancel()
		return nil, nil, nil, false
	}
	return c, ctx, cancel, true
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func (a *app) completeUsers(cmd *cobra.Command, _ []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
	c, ctx, cancel, ok := a.completionClient(cmd)
	if !ok {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	defer cancel()
	users, err := c.ListUsers(ctx)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []cobra.Completion
	for _, u := range users {
		if strings.HasPrefix(u.Username, prefix) {
			out = append(out, cobra.CompletionWithDesc(completionWord(u.Username), model.CleanText(u.Email)))
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

func (a *app) completeCollections(cmd *cobra.Command, _ []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
	user, _ := cmd.Flags().GetString("user")
	if user == "" {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	c, ctx, cancel, ok := a.completionClient(cmd)
	if !ok {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	defer cancel()
	colls, err := c.ListCollections(ctx, user)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []cobra.Completion
	for _, cl := range colls {
		if strings.HasPrefix(cl.Name, prefix) {
			out = append(out, cobra.CompletionWithDesc(completionWord(cl.Name), model.CleanText(cl.ID)))
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

func (a *app) completeKeyIDs(cmd *cobra.Command, args []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if cmd.Args != nil && cmd.Args(cmd, append(args, "x")) != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp // no more ids wanted
	}
	c, ctx, cancel, ok := a.completionClient(cmd)
	if !ok {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	defer cancel()
	keys, err := c.ListAllKeys(ctx)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []cobra.Completion
	for _, k := range keys {
		if strings.HasPrefix(k.ID, prefix) {
			out = append(out, cobra.CompletionWithDesc(completionWord(k.ID), model.CleanText(k.Name)+" of "+model.CleanText(k.Username)))
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completionWord keeps server text from breaking the completion protocol,
// which is one candidate per line with a tab before the description.
func completionWord(s string) string {
	return strings.Join(strings.Fields(model.CleanText(s)), " ")
}
