package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"h2ogpte-keys/model"
)

// Environment variables the tool reads. The token has no flag of its own:
// on argv it would show in ps and shell history.
const (
	envAddress = "H2OGPTE_ADDRESS"
	envToken   = "H2OGPTE_API_KEY"
	envNoColor = "NO_COLOR"
)

const defaultTimeout = 30 * time.Second

// fileConfig is config.yaml. Timeout is a string ("45s", "2m") so that a
// bare number is an error instead of a silent nanosecond count.
type fileConfig struct {
	Address    string `yaml:"address"`
	APIKeyFile string `yaml:"api_key_file"`
	CACert     string `yaml:"ca_cert"`
	Timeout    string `yaml:"timeout"`
	ReadOnly   bool   `yaml:"read_only"`
	// AuditLog records every change made from this machine (the dashboard
	// and the command line) in the same JSON-lines log `serve` writes.
	AuditLog string `yaml:"audit_log"`
	// History false turns the usage history off (no file is created or
	// read); unset means on.
	History *bool `yaml:"history"`
	// HistoryRawRetention and HistoryDailyRetention ("90d", "2y") override
	// how long raw observations and daily roll-ups are kept.
	HistoryRawRetention   string `yaml:"history_raw_retention"`
	HistoryDailyRetention string `yaml:"history_daily_retention"`
	// MaxKeys caps how many keys (or users, or collections) one listing
	// reads; unset means defaultMaxKeys.
	MaxKeys *int `yaml:"max_keys"`
}

// globalFlags are the root command's persistent flags, bound by cobra.
type globalFlags struct {
	address    string
	apiKeyFile string
	caCert     string
	insecure   bool
	timeout    time.Duration
	output     string
	noColor    bool
	readOnly   bool
	debug      bool
	allowHTTP  bool
	logFile    string
	noHistory  bool
	maxKeys    int
}

// settings is the outcome of flags, environment and config file, in that
// order of precedence. The token itself is not here: it is read only by
// commands that talk to a server (see loadToken), so `demo` or `--help`
// never consume stdin.
type settings struct {
	Address string
	// AddressFrom names where Address came from (--address, the
	// environment variable, or the config file), for messages.
	AddressFrom string
	// TokenFromEnv means the token is H2OGPTE_API_KEY; otherwise TokenFile
	// (possibly "-" for stdin) holds it, or neither is set.
	TokenFromEnv bool
	TokenFile    string
	CACert       string
	Insecure     bool
	Timeout      time.Duration
	ReadOnly     bool
	// ReadOnlyFrom names where read-only came from, for the refusal message.
	ReadOnlyFrom string
	Debug        bool
	NoColor      bool
	// AllowHTTP lets a plain http:// address name a host other than this
	// machine.
	AllowHTTP bool
	// LogFile is --log-file: where logs go while the dashboard runs ("" =
	// the default under $XDG_STATE_HOME).
	LogFile string
	// AuditLog is the audit log file from config.yaml ("" = changes made
	// here are not recorded); `serve` has its own --audit-log.
	AuditLog string
	// History is whether the usage history is recorded and read;
	// HistoryFrom names what turned it off, for messages.
	History     bool
	HistoryFrom string
	// HistoryRaw and HistoryDaily are the retention periods (0 = the
	// history package's defaults).
	HistoryRaw, HistoryDaily time.Duration
	// ConfigPath is the config file consulted ("" when there is no home to
	// look in); it need not exist.
	ConfigPath string
	// MaxKeys is client.Config.MaxItems: a listing stops with an error past
	// this many items, so a server that pages forever cannot keep the tool
	// reading.
	MaxKeys int
}

// defaultMaxKeys is the client's own default for Config.MaxItems.
const defaultMaxKeys = 5_000_000

// configPath returns $XDG_CONFIG_HOME/h2ogpte-keys/config.yaml, or the same
// under ~/.config. XDG says a relative XDG_CONFIG_HOME is invalid and must
// be ignored.
func configPath(getenv func(string) string) string {
	if x := getenv("XDG_CONFIG_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "h2ogpte-keys", "config.yaml")
	}
	if home := getenv("HOME"); home != "" {
		return filepath.Join(home, ".config", "h2ogpte-keys", "config.yaml")
	}
	return ""
}

// loadConfigFile reads the config file at path. A missing file is an empty
// config; an unreadable or malformed one is an error, and so is an unknown
// key, because a misspelt read_only would otherwise silently do nothing.
func loadConfigFile(path string) (fileConfig, error) {
	var fc fileConfig
	if path == "" {
		return fc, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fc, nil
	}
	if err != nil {
		return fc, fmt.Errorf("read config: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&fc); err != nil && !errors.Is(err, io.EOF) {
		return fc, fmt.Errorf("config %s: %s", path, yamlMessage(err))
	}
	// Relative paths in the file are relative to the file, as in kubeconfig,
	// so the config works from any working directory.
	dir := filepath.Dir(path)
	fc.APIKeyFile = resolvePath(fc.APIKeyFile, dir)
	fc.CACert = resolvePath(fc.CACert, dir)
	fc.AuditLog = resolvePath(fc.AuditLog, dir)
	return fc, nil
}

var unknownFieldRE = regexp.MustCompile(`field (\S+) not found in type \S+`)

// yamlMessage words a YAML error for an admin: yaml.v3 names Go types and
// spreads type errors over several lines.
func yamlMessage(err error) string {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return strings.TrimPrefix(err.Error(), "yaml: ")
	}
	msgs := make([]string, 0, len(te.Errors))
	for _, m := range te.Errors {
		msgs = append(msgs, unknownFieldRE.ReplaceAllString(m,
			`unknown setting "$1" (known: address, api_key_file, ca_cert, timeout, read_only, audit_log, history, history_raw_retention, history_daily_retention, max_keys)`))
	}
	return strings.Join(msgs, "; ")
}

func resolvePath(p, dir string) string {
	if p == "" || p == "-" || filepath.IsAbs(p) {
		return p
	}
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
	}
	return filepath.Join(dir, p)
}

// resolveSettings applies the precedence flags > environment > config file.
// changed reports whether a flag was given on the command line.
func resolveSettings(fl globalFlags, changed func(string) bool, getenv func(string) string, fc fileConfig, path string) (settings, error) {
	s := settings{
		CACert:     fc.CACert,
		Insecure:   fl.insecure,
		Timeout:    defaultTimeout,
		Debug:      fl.debug,
		NoColor:    fl.noColor || getenv(envNoColor) != "",
		AuditLog:   fc.AuditLog,
		ConfigPath: path,
	}

	switch {
	case changed("address"):
		s.Address, s.AddressFrom = fl.address, "--address"
	case getenv(envAddress) != "":
		s.Address, s.AddressFrom = getenv(envAddress), envAddress
	default:
		s.Address, s.AddressFrom = fc.Address, "address in "+path
	}
	s.Address = strings.TrimSpace(s.Address)

	switch {
	case changed("api-key-file"):
		s.TokenFile = fl.apiKeyFile
		if s.TokenFile == "" {
			return s, usageErrorf("--api-key-file needs a file name (or - for stdin)")
		}
	case getenv(envToken) != "":
		s.TokenFromEnv = true
	default:
		s.TokenFile = fc.APIKeyFile
	}

	if changed("ca-cert") {
		s.CACert = fl.caCert
	}

	switch {
	case changed("timeout"):
		s.Timeout = fl.timeout
	case fc.Timeout != "":
		d, err := time.ParseDuration(strings.TrimSpace(fc.Timeout))
		if err != nil {
			if looksLikeKey(fc.Timeout) {
				return s, usageErrorf("config %s: timeout holds what looks like an API key (%s), not a duration such as 30s or 2m", path, keyShown)
			}
			return s, usageErrorf("config %s: timeout %s is not a duration such as 30s or 2m", path, echo(fc.Timeout))
		}
		s.Timeout = d
	}
	s.AllowHTTP = fl.allowHTTP
	s.LogFile = fl.logFile
	s.MaxKeys = defaultMaxKeys
	switch {
	case changed("max-keys"):
		s.MaxKeys = fl.maxKeys
	case fc.MaxKeys != nil:
		s.MaxKeys = *fc.MaxKeys
	}
	if s.MaxKeys <= 0 {
		return s, usageErrorf("--max-keys (max_keys in the config) must be more than zero, such as %d", defaultMaxKeys)
	}
	if s.Timeout <= 0 {
		return s, usageErrorf("timeout must be more than zero, such as 30s")
	}

	s.History = true
	switch {
	case fl.noHistory:
		s.History, s.HistoryFrom = false, "--no-history"
	case fc.History != nil && !*fc.History:
		s.History, s.HistoryFrom = false, "history: false in "+path
	}
	for _, r := range []struct {
		name, v string
		d       *time.Duration
	}{{"history_raw_retention", fc.HistoryRawRetention, &s.HistoryRaw}, {"history_daily_retention", fc.HistoryDailyRetention, &s.HistoryDaily}} {
		if strings.TrimSpace(r.v) == "" {
			continue
		}
		iv, err := model.ParseInterval(r.v)
		if err != nil {
			// The value is not echoed: a pasted key could be in it.
			return s, usageErrorf("config %s: %s is not a length of time such as 90d or 2y", path, r.name)
		}
		// Retention is a length of time, not a date: months and years are
		// measured from a fixed instant.
		ref := time.Unix(0, 0).UTC()
		*r.d = iv.AddTo(ref).Sub(ref)
	}

	switch {
	case changed("read-only"):
		s.ReadOnly, s.ReadOnlyFrom = fl.readOnly, "--read-only"
	case fc.ReadOnly:
		s.ReadOnly, s.ReadOnlyFrom = true, "read_only in "+path
	}
	return s, nil
}

// missingMessage is the one line shown when the address or the token is not
// set; "" when both are.
func missingMessage(address string, token model.Secret) string {
	var missing []string
	if address == "" {
		missing = append(missing, "the server address ("+envAddress+" or --address)")
	}
	if token.Empty() {
		missing = append(missing, "an admin API key ("+envToken+" or --api-key-file)")
	}
	if len(missing) == 0 {
		return ""
	}
	return "set " + strings.Join(missing, " and ") + "; `h2ogpte-keys demo` needs neither"
}

func warnf(w io.Writer, format string, args ...any) {
	fmt.Fprintf(w, "h2ogpte-keys: warning: "+format+"\n", args...)
}
