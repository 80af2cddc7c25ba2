package launch

import (
	"fmt"
	"sort"
	"strings"
)

// OptionsMarkdown renders every option of a server (serve's, the
// server's own, and its commands') as a Markdown table for the README:
// flag, environment variables, default, what it does and which commands
// take it. The README's copy is checked against it in tests, so the table
// cannot drift from the flags the binary parses.
func OptionsMarkdown[C any](s Spec[C]) string {
	type row struct {
		o    Option
		cmds []string
	}
	rows := map[string]*row{}
	var order []string
	add := func(cmd string, opts []Option) {
		for _, o := range opts {
			r, ok := rows[o.Name]
			if !ok {
				r = &row{o: o}
				rows[o.Name] = r
				order = append(order, o.Name)
			}
			if len(r.cmds) == 0 || r.cmds[len(r.cmds)-1] != cmd {
				r.cmds = append(r.cmds, cmd)
			}
		}
	}
	add("serve", s.serveOptions())
	add("stdio", s.runtimeOptions("info"))
	add("migrate", append([]Option{s.databaseOption()}, logOptions("info")...))
	names := make([]string, 0, len(s.Commands))
	for n := range s.Commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		add(n, append(s.runtimeOptions("error"), s.Commands[n].Options...))
	}
	var b strings.Builder
	b.WriteString("| flag | environment | default | what | commands |\n|---|---|---|---|---|\n")
	for _, name := range order {
		r := rows[name]
		env := "`" + strings.Join(r.o.Env, "`, `") + "`"
		if len(r.o.Env) == 0 {
			env = ""
		}
		def := r.o.Default
		switch {
		case r.o.IsBool && def == "":
			def = "false"
		case name == "log-level":
			def = "info (commands: error)"
		case def == "":
			def = "(empty)"
		}
		cmds := strings.Join(r.cmds, ", ")
		if len(r.cmds) == 3+len(names) {
			cmds = "all"
		}
		fmt.Fprintf(&b, "| `--%s` | %s | `%s` | %s | %s |\n", name, env, def, strings.ReplaceAll(r.o.Usage, "|", `\|`), cmds)
	}
	return b.String()
}
