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

// maxTokenFile bounds what is read from a token file or stdin, so pointing
// --api-key-file at something huge fails fast instead of eating memory.
const maxTokenFile = 64 << 10

// fileConfig is config.yaml. Timeout is a string ("45s", "2m") so that a
// bare number is an error instead of a silent nanosecond count.
type fileConfig struct {
	Address    string `yaml:"address"`
	APIKeyFile string `yaml:"api_key_file"`
	CACert     string `yaml:"ca_cert"`
	Timeout    string `yaml:"timeout"`
	ReadOnly   bool   `yaml:"read_only"`
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
}

// settings is the outcome of flags, environment and config file, in that
// order of precedence. The token itself is not here: it is read only by
// commands that talk to a server (see loadToken), so `demo` or `--help`
// never consume stdin.
type settings struct {
	Address string
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
	// ConfigPath is the config file consulted ("" when there is no home to
	// look in); it need not exist.
	ConfigPath string
}

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
			`unknown setting "$1" (known: address, api_key_file, ca_cert, timeout, read_only)`))
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
		ConfigPath: path,
	}

	switch {
	case changed("address"):
		s.Address = fl.address
	case getenv(envAddress) != "":
		s.Address = getenv(envAddress)
	default:
		s.Address = fc.Address
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
			return s, usageErrorf("config %s: timeout %q is not a duration such as 30s or 2m", path, fc.Timeout)
		}
		s.Timeout = d
	}
	if s.Timeout <= 0 {
		return s, usageErrorf("timeout must be more than zero, such as 30s")
	}

	switch {
	case changed("read-only"):
		s.ReadOnly, s.ReadOnlyFrom = fl.readOnly, "--read-only"
	case fc.ReadOnly:
		s.ReadOnly, s.ReadOnlyFrom = true, "read_only in "+path
	}
	return s, nil
}

// loadToken returns the admin token from the environment or a token file
// ("-" reads stdin). It warns on stderr when the file is readable by group
// or others. An unset token is not an error here: the caller names every
// missing setting in one line.
func loadToken(s settings, getenv func(string) string, stdin io.Reader, stderr io.Writer) (model.Secret, error) {
	if s.TokenFromEnv {
		return model.NewSecret(strings.TrimSpace(getenv(envToken))), nil
	}
	if s.TokenFile == "" {
		return model.Secret{}, nil
	}
	var (
		r    io.Reader
		name = s.TokenFile
	)
	if name == "-" {
		r, name = stdin, "stdin"
	} else {
		f, err := os.Open(name)
		if err != nil {
			return model.Secret{}, usageErrorf("api key file: %v", err)
		}
		defer f.Close()
		if fi, err := f.Stat(); err == nil {
			if perm := fi.Mode().Perm(); perm&0o044 != 0 {
				warnf(stderr, "api key file %s can be read by group or others (mode %#o); run chmod 600 %s", name, perm, name)
			}
		}
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxTokenFile+1))
	if err != nil {
		return model.Secret{}, usageErrorf("read api key from %s: %v", name, err)
	}
	if len(b) > maxTokenFile {
		return model.Secret{}, usageErrorf("api key file %s is too large to hold a token", name)
	}
	tok := strings.TrimSpace(string(b))
	for i := range b {
		b[i] = 0
	}
	switch {
	case tok == "":
		return model.Secret{}, usageErrorf("api key file %s is empty", name)
	case strings.ContainsAny(tok, " \t\r\n"):
		return model.Secret{}, usageErrorf("api key file %s must hold just the token, on one line", name)
	}
	return model.NewSecret(tok), nil
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
