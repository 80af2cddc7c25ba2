// Command covertable merges Go coverage profiles and prints the statement
// coverage of each package, lowest first, with the total:
//
//	covertable [-o merged.out] [-trim prefix] [name=]profile...
//
// Each profile is a text profile ("mode: x" then "file:l.c,l.c stmts hits"
// lines), from go test -coverprofile or go tool covdata textfmt. A block
// listed more than once (-coverpkg profiles list every covered package in
// every test binary's profile; several profiles list the same code) counts
// once, covered if any run hit it. With more than one profile the table has
// a column per profile, named by its name= prefix, so the report says
// where the figures come from. -o writes the merged profile (hits summed)
// for go tool cover -html.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
)

func main() {
	fs := flag.NewFlagSet("covertable", flag.ContinueOnError)
	out := fs.String("o", "", "write the merged profile to this file")
	trim := fs.String("trim", "", "drop this prefix from package names in the table")
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: covertable [-o merged.out] [-trim prefix] [name=]profile...")
		os.Exit(2)
	}
	if err := runFiles(fs.Args(), *out, *trim, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "covertable:", err)
		os.Exit(1)
	}
}

// runFiles reads the named profiles, writes the table to w and, when out is
// set, the merged profile to out.
func runFiles(args []string, out, trim string, w io.Writer) error {
	var srcs []source
	for _, a := range args {
		name, file, ok := strings.Cut(a, "=")
		if !ok {
			name, file = strings.TrimSuffix(filepath.Base(a), filepath.Ext(a)), a
		}
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		srcs = append(srcs, source{name: name, r: f})
		defer f.Close()
	}
	m, err := merge(srcs)
	if err != nil {
		return err
	}
	if out != "" {
		f, err := os.Create(out)
		if err != nil {
			return err
		}
		if err := m.writeProfile(f); err != nil {
			f.Close()
			return fmt.Errorf("write %s: %w", out, err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("write %s: %w", out, err)
		}
	}
	return m.writeTable(w, trim)
}

// run merges one unnamed profile and writes its table.
func run(r io.Reader, w io.Writer) error {
	m, err := merge([]source{{name: "profile", r: r}})
	if err != nil {
		return err
	}
	return m.writeTable(w, "")
}

// source is one named profile.
type source struct {
	name string
	r    io.Reader
}

// block is one profile block: its statements, the hits summed over all
// profiles and whether each profile hit it.
type block struct {
	stmts int
	hits  int
	hitBy []bool
}

// merged holds the blocks of all profiles.
type merged struct {
	mode   string
	names  []string
	blocks map[string]*block
}

func merge(srcs []source) (*merged, error) {
	m := &merged{blocks: map[string]*block{}}
	for i, s := range srcs {
		m.names = append(m.names, s.name)
		sc := bufio.NewScanner(s.r)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			line := sc.Text()
			if mode, ok := strings.CutPrefix(line, "mode:"); ok {
				mode = strings.TrimSpace(mode)
				switch {
				case m.mode == "":
					m.mode = mode
				case m.mode != mode:
					// Mixed modes merge as set: only hit or not is comparable.
					m.mode = "set"
				}
				continue
			}
			if line == "" {
				continue
			}
			f := strings.Fields(line)
			if len(f) != 3 {
				return nil, fmt.Errorf("%s: bad profile line %q", s.name, line)
			}
			stmts, err1 := strconv.Atoi(f[1])
			hits, err2 := strconv.Atoi(f[2])
			if err1 != nil || err2 != nil || stmts < 0 || hits < 0 {
				return nil, fmt.Errorf("%s: bad profile line %q", s.name, line)
			}
			b := m.blocks[f[0]]
			if b == nil {
				b = &block{stmts: stmts, hitBy: make([]bool, len(srcs))}
				m.blocks[f[0]] = b
			} else if b.stmts != stmts {
				// The same block with other statements means the profiles
				// come from different sources of the file.
				return nil, fmt.Errorf("%s: block %s has %d statements, another profile says %d: were the profiles made from the same code?", s.name, f[0], stmts, b.stmts)
			}
			b.hits += hits
			b.hitBy[i] = b.hitBy[i] || hits > 0
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
	}
	if m.mode == "" {
		m.mode = "set"
	}
	return m, nil
}

// writeProfile writes the merged profile, blocks sorted by file and position.
func (m *merged) writeProfile(w io.Writer) error {
	ids := make([]string, 0, len(m.blocks))
	for id := range m.blocks {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "mode: %s\n", m.mode)
	for _, id := range ids {
		b := m.blocks[id]
		hits := b.hits
		if m.mode == "set" && hits > 0 {
			hits = 1
		}
		fmt.Fprintf(bw, "%s %d %d\n", id, b.stmts, hits)
	}
	return bw.Flush()
}

// count is covered statements of total; by is covered per profile.
type count struct {
	covered, total int
	by             []int
}

func (c *count) add(b *block) {
	if c.by == nil {
		c.by = make([]int, len(b.hitBy))
	}
	c.total += b.stmts
	if b.hits > 0 {
		c.covered += b.stmts
	}
	for i, hit := range b.hitBy {
		if hit {
			c.by[i] += b.stmts
		}
	}
}

func (m *merged) writeTable(w io.Writer, trim string) error {
	pkgs := map[string]*count{}
	var all count
	for id, b := range m.blocks {
		file, _, _ := strings.Cut(id, ":")
		pkg := path.Dir(file)
		c := pkgs[pkg]
		if c == nil {
			c = &count{}
			pkgs[pkg] = c
		}
		c.add(b)
		all.add(b)
	}
	names := make([]string, 0, len(pkgs))
	for p := range pkgs {
		names = append(names, p)
	}
	sort.Slice(names, func(i, j int) bool {
		pi, pj := pct(pkgs[names[i]].covered, pkgs[names[i]].total), pct(pkgs[names[j]].covered, pkgs[names[j]].total)
		if pi != pj {
			return pi < pj
		}
		return names[i] < names[j]
	})
	perSource := len(m.names) > 1
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "COVERAGE\tSTATEMENTS\t")
	if perSource {
		for _, n := range m.names {
			fmt.Fprintf(tw, "%s\t", strings.ToUpper(n))
		}
	}
	fmt.Fprintln(tw, "PACKAGE\t")
	row := func(name string, c count) {
		fmt.Fprintf(tw, "%.1f%%\t%d/%d\t", pct(c.covered, c.total), c.covered, c.total)
		if perSource {
			for i := range m.names {
				n := 0
				if c.by != nil {
					n = c.by[i]
				}
				fmt.Fprintf(tw, "%.1f%%\t", pct(n, c.total))
			}
		}
		fmt.Fprintf(tw, "%s\t\n", name)
	}
	for _, p := range names {
		row(strings.TrimPrefix(p, trim), *pkgs[p])
	}
	row("total", all)
	return tw.Flush()
}

func pct(covered, total int) float64 {
	if total == 0 {
		return 0
	}
	return 100 * float64(covered) / float64(total)
}
