package launch

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

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
}

// Values holds resolved option values by option name.
type Values map[string]string

// Int returns an option parsed as an integer; the value was checked already.
func (v Values) Int(name string) int {
	n, _ := strconv.Atoi(v[name])
	return n
}

// Duration returns an option parsed as a duration; the value was checked already.
func (v Values) Duration(name string) time.Duration {
	d, _ := time.ParseDuration(v[name])
	return d
}

// parse reads args against opts and the environment. Errors are bad
// configuration (exit 2) and name the flag, the value, where it came from
// and what is allowed.
func parse(cmd string, opts []Option, args []string, getenv func(string) string, stderr io.Writer) (Values, []string, error) {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	raw := map[string]*string{}
	for _, o := range opts {
		raw[o.Name] = fs.String(o.Name, o.Default, usage(o))
	}
	if err := fs.Parse(args); err != nil {
		return nil, nil, configError(err)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	vals := Values{}
	for _, o := range opts {
		v, source := *raw[o.Name], "--"+o.Name
		if !set[o.Name] {
			source = "default"
			for _, env := range o.Env {
				if ev := getenv(env); ev != "" {
					v, source = ev, env
					break
				}
			}
		}
		if o.Check != nil {
			if err := o.Check(v); err != nil {
				shown := v
				if strings.Contains(o.Name, "token") {
					shown = "(hidden)"
				}
				return nil, nil, configError(fmt.Errorf("invalid --%s value %q (from %s): %v", o.Name, shown, source, err))
			}
		}
		vals[o.Name] = v
	}
	return vals, fs.Args(), nil
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

// RedactURL hides the password of a database URL for messages.
func RedactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}
