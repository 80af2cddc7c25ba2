package launch

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/mcp-memory/servers/internal/platform/dbpool"
	"github.com/mcp-memory/servers/internal/platform/obs"
)

// Option is one setting, read from its flag, else from the first set
// environment variable in Env, else Default. Flags beat environment
// variables; server-prefixed variables come before generic ones in Env.
type Option struct {
	Name    string
	Env     []string
	Default string
	Usage   string
	// Check validates a value and says what is allowed when it is wrong.
	Check func(string) error
	// IsBool makes a flag that needs no value (--force); its environment
	// variable takes true/false.
	IsBool bool
	// Secret values are never shown in messages.
	Secret bool
	// Show, when set, is how a value appears in messages (a database URL
	// without its password).
	Show func(string) string
}

// Values holds resolved, checked option values by option name. Its
// getters panic on a name no option declares: a typo is a programming
// error that every test run hits, not a silent "".
type Values map[string]string

// String returns an option's value.
func (v Values) String(name string) string {
	s, ok := v[name]
	if !ok {
		panic(fmt.Sprintf("launch: no option named %q", name))
	}
	return s
}

// Int returns an option parsed as an integer; its Check guaranteed it parses.
func (v Values) Int(name string) int {
	n, err := strconv.Atoi(v.String(name))
	if err != nil {
		panic(fmt.Sprintf("launch: option %q is not an integer (%v); give it a Check", name, err))
	}
	return n
}

// Duration returns an option parsed as a duration; its Check guaranteed it parses.
func (v Values) Duration(name string) time.Duration {
	d, err := time.ParseDuration(v.String(name))
	if err != nil {
		panic(fmt.Sprintf("launch: option %q is not a duration (%v); give it a Check", name, err))
	}
	return d
}

// Bool returns an option parsed as a boolean; its Check guaranteed it parses.
func (v Values) Bool(name string) bool {
	b, err := strconv.ParseBool(v.String(name))
	if err != nil {
		panic(fmt.Sprintf("launch: option %q is not a boolean (%v); give it a Check", name, err))
	}
	return b
}

// List returns a comma-separated option as its non-empty, trimmed items.
func (v Values) List(name string) []string {
	var out []string
	for _, s := range strings.Split(v.String(name), ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// parse reads args against opts and the environment. Flags may come
// before or after positional arguments ("index PATH --force"); "--" ends
// the flags. Errors are bad configuration (exit 2) and name the flag, the
// value, where it came from and what is allowed.
func parse(cmd string, opts []Option, args []string, getenv func(string) string, stderr io.Writer) (Values, []string, error) {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	raw := map[string]*string{}
	bools := map[string]*bool{}
	for _, o := range opts {
		if o.IsBool {
			bools[o.Name] = fs.Bool(o.Name, o.Default == "true", usage(o))
			continue
		}
		raw[o.Name] = fs.String(o.Name, o.Default, usage(o))
	}
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, nil, configError(err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			positional = append(positional, rest...)
			break
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	vals := Values{}
	for _, o := range opts {
		var v string
		if o.IsBool {
			v = strconv.FormatBool(*bools[o.Name])
		} else {
			v = *raw[o.Name]
		}
		source := "--" + o.Name
		if !set[o.Name] {
			source = "default"
			for _, env := range o.Env {
				if ev := getenv(env); ev != "" {
					v, source = ev, env
					break
				}
			}
		}
		check := o.Check
		if check == nil && o.IsBool {
			check = checkBool
		}
		if check != nil {
			if err := check(v); err != nil {
				shown := v
				switch {
				case o.Secret:
					shown = "(hidden)"
				case o.Show != nil:
					shown = o.Show(v)
				}
				return nil, nil, configError(fmt.Errorf("invalid --%s value %q (from %s): %v", o.Name, shown, source, err))
			}
		}
		vals[o.Name] = v
	}
	return vals, positional, nil
}

func usage(o Option) string {
	if len(o.Env) == 0 {
		return o.Usage
	}
	return fmt.Sprintf("%s (env %s)", o.Usage, strings.Join(o.Env, ", "))
}

// Checks used by the options.

func checkPort(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("must be an integer from 0 to 65535 (0 picks a free port)")
	}
	return nil
}

func checkHost(s string) error {
	if s == "" || strings.ContainsAny(s, " /:") && net.ParseIP(s) == nil {
		return fmt.Errorf("must be a host name or IP address such as 127.0.0.1, ::1 or 0.0.0.0")
	}
	return nil
}

func checkIntRange(min, max int) func(string) error {
	return func(s string) error {
		n, err := strconv.Atoi(s)
		if err != nil || n < min || n > max {
			return fmt.Errorf("must be an integer from %d to %d", min, max)
		}
		return nil
	}
}

func checkDuration(min, max time.Duration) func(string) error {
	return func(s string) error {
		d, err := time.ParseDuration(s)
		if err != nil || d < min || d > max {
			return fmt.Errorf("must be a duration such as 5s or 250ms, from %s to %s", min, max)
		}
		return nil
	}
}

func checkOneOf(allowed ...string) func(string) error {
	return func(s string) error {
		for _, a := range allowed {
			if s == a {
				return nil
			}
		}
		return fmt.Errorf("must be one of %s", strings.Join(allowed, ", "))
	}
}

func checkLogLevel(s string) error {
	if _, err := obs.ParseLevel(s); err != nil {
		return fmt.Errorf("must be one of debug, info, warning, error, critical")
	}
	return nil
}

func checkBool(s string) error {
	if _, err := strconv.ParseBool(s); err != nil {
		return fmt.Errorf("must be true or false")
	}
	return nil
}

func checkDatabaseURL(s string) error {
	if s == "" {
		return fmt.Errorf("must not be empty; for example postgres://user@127.0.0.1:5432/dbname")
	}
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			return fmt.Errorf("must be a postgres:// or postgresql:// URL")
		}
	}
	if err := dbpool.CheckDSN(s); err != nil {
		return fmt.Errorf("%v; use a URL such as postgres://user@127.0.0.1:5432/dbname or keyword/value pairs such as \"host=127.0.0.1 dbname=x\"", err)
	}
	return nil
}

// CheckHTTPURL validates an http(s) base URL option.
func CheckHTTPURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("must be an http:// or https:// URL such as http://127.0.0.1:8020")
	}
	return nil
}

// CheckOneOf validates an option against a closed list of values.
func CheckOneOf(allowed ...string) func(string) error { return checkOneOf(allowed...) }

// CheckIntRange validates an integer option.
func CheckIntRange(min, max int) func(string) error { return checkIntRange(min, max) }

// CheckDuration validates a duration option.
func CheckDuration(min, max time.Duration) func(string) error { return checkDuration(min, max) }

var keywordPassword = regexp.MustCompile(`(?i)(password\s*=\s*)('(?:[^'\\]|\\.)*'?|\S+)`)

// RedactURL hides the password of a database URL or keyword/value
// string for messages.
func RedactURL(s string) string {
	if !strings.Contains(s, "://") {
		return keywordPassword.ReplaceAllString(s, "${1}xxxxx")
	}
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable database url)"
	}
	if u.User == nil {
		return s
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}
