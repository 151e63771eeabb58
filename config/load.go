package config

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"reflect"
	"strconv"
	"strings"

	"github.com/caarlos0/env/v11"
	"github.com/joho/godotenv"
)

// NoEnvFile is the ENV_FILE value that disables reading a .env file.
const NoEnvFile = "none"

// FromEnv loads the configuration from the process environment (and the
// .env file it names); see Load.
func FromEnv() (*Config, error) { return Load(os.Environ()) }

// Load builds a Config from environ ("KEY=value" entries, as os.Environ
// returns) and the .env file named by ENV_FILE (default ".env", relative to
// the working directory; "none" reads no file). A variable present in
// environ wins over the file, even when empty; a missing file is fine, an
// unreadable or malformed one is an error. Every value is then parsed and
// validated: on any problem Load returns nil and an Errors listing all of
// them, each naming its variable. CLUSTER_NODE_ID, when empty, is set to a
// random id.
func Load(environ []string) (*Config, error) {
	vars := envMap(environ)
	path := vars["ENV_FILE"]
	if path == "" {
		path = ".env"
	}
	merged := make(map[string]string, len(vars))
	if path != NoEnvFile {
		fileVars, err := readEnvFile(path)
		if err != nil {
			return nil, err
		}
		maps.Copy(merged, fileVars)
	}
	maps.Copy(merged, vars)

	cfg := &Config{}
	p := &parser{byVar: make(map[string]*fieldMeta)}
	for i := range allFields() {
		p.byVar[allFields()[i].Name] = &allFields()[i]
	}
	err := env.ParseWithOptions(cfg, env.Options{
		Environment: merged,
		OnSet:       p.onSet,
		FuncMap:     p.funcMap(),
	})
	errs, err := parseErrors(err)
	if err != nil {
		return nil, err
	}
	cfg.EnvFile = path
	cfg.normalize()
	if cfg.Cluster.NodeID == "" {
		cfg.Cluster.NodeID = randomHex(8)
	}
	failed := make(map[string]bool, len(errs))
	for _, e := range errs {
		failed[e.Var] = true
	}
	for _, e := range cfg.check() {
		if !failed[e.Var] {
			errs = append(errs, e)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return cfg, nil
}

// envMap turns "KEY=value" entries into a map; the first entry of a key
// wins, as with os.Getenv. It never returns nil: an empty map keeps the
// parser from falling back to the process environment.
func envMap(environ []string) map[string]string {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			continue
		}
		if _, seen := m[k]; !seen {
			m[k] = v
		}
	}
	return m
}

// readEnvFile parses a dotenv file; a missing file yields no variables.
func readEnvFile(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ENV_FILE: cannot read %s: %w", path, err)
	}
	vars, err := godotenv.UnmarshalBytes(data)
	if err != nil {
		// godotenv quotes the offending text, which may hold a secret.
		return nil, fmt.Errorf("ENV_FILE: %s is not a valid .env file (expected KEY=value lines)", path)
	}
	return vars, nil
}

// parseErrors turns the env library's error into FieldErrors. Errors of our
// own parsers already name their variable; anything else is unexpected and
// returned as a plain error.
func parseErrors(err error) (Errors, error) {
	if err == nil {
		return nil, nil
	}
	var agg env.AggregateError
	if !errors.As(err, &agg) {
		return nil, fmt.Errorf("config: %w", err)
	}
	var out Errors
	for _, e := range agg.Errors {
		var pe env.ParseError
		if errors.As(e, &pe) {
			e = pe.Err // ParseError does not unwrap
		}
		var fe *FieldError
		if !errors.As(e, &fe) {
			return nil, fmt.Errorf("config: %w", e)
		}
		out = append(out, fe)
	}
	return out, nil
}

// parser converts raw strings for the env library. The library calls
// onSet with a field's variable name just before converting that field's
// value, so conversion errors can name the variable.
type parser struct {
	byVar map[string]*fieldMeta
	cur   *fieldMeta
}

func (p *parser) onSet(key string, _ any, _ bool) { p.cur = p.byVar[key] }

func (p *parser) funcMap() map[reflect.Type]env.ParserFunc {
	return map[reflect.Type]env.ParserFunc{
		reflect.TypeFor[bool](): p.parseBool,
		reflect.TypeFor[int](): func(s string) (any, error) {
			n, err := p.parseInt(s, strconv.IntSize)
			return int(n), err
		},
		reflect.TypeFor[int64](): func(s string) (any, error) { return p.parseInt(s, 64) },
		reflect.TypeFor[Millis](): func(s string) (any, error) {
			n, err := p.parseInt(s, 64)
			return Millis(n), err
		},
		reflect.TypeFor[Micros](): func(s string) (any, error) {
			n, err := p.parseInt(s, 64)
			return Micros(n), err
		},
	}
}

func (p *parser) fail(raw, want string) error {
	name, secret := "config", false
	if p.cur != nil {
		name, secret = p.cur.Name, p.cur.Secret
	}
	msg := want
	if !secret {
		msg += fmt.Sprintf(", got %q", raw)
	}
	return &FieldError{Var: name, Msg: msg}
}

func (p *parser) parseInt(s string, bits int) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, bits)
	if err != nil {
		return 0, p.fail(s, "must be an integer")
	}
	return n, nil
}

// parseBool accepts true/1 and false/0 (any case). Feature gates, whose
// names end in _ENABLED, also accept yes/on and no/off; a lenient gate is
// on for anything but an explicit false word.
func (p *parser) parseBool(s string) (any, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	}
	gate := p.cur != nil && strings.HasSuffix(p.cur.Name, "_ENABLED")
	if gate {
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "yes", "on":
			return true, nil
		case "no", "off":
			return false, nil
		}
		if p.cur.lenientOn {
			return true, nil
		}
		return false, p.fail(s, "must be true/1/yes/on or false/0/no/off")
	}
	return false, p.fail(s, "must be true/1 or false/0")
}

// normalize tidies parsed values: enumerations are lower-cased, lists are
// trimmed of blanks, and escaped newlines in the Apple key are expanded.
func (c *Config) normalize() {
	for i := range allFields() {
		f := &allFields()[i]
		v := f.value(c)
		switch {
		case len(f.OneOf) > 0:
			v.SetString(strings.ToLower(strings.TrimSpace(v.String())))
		case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.String:
			var keep []string
			for j := range v.Len() {
				if s := strings.TrimSpace(v.Index(j).String()); s != "" {
					keep = append(keep, s)
				}
			}
			v.Set(reflect.ValueOf(keep))
		}
	}
	c.OAuth.Apple.PrivateKey = strings.ReplaceAll(c.OAuth.Apple.PrivateKey, `\n`, "\n")
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}
