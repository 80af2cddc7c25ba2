// Command covertable prints the statement coverage of each package from
// a Go coverage profile, lowest first, with the total:
//
//	go test -coverprofile=bin/coverage/coverage.out ./... && go run ./test/cmd/covertable bin/coverage/coverage.out
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: covertable COVERAGE_PROFILE")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "covertable:", err)
		os.Exit(1)
	}
	defer f.Close()
	if err := run(f, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "covertable:", err)
		os.Exit(1)
	}
}

type count struct{ covered, total int }

// run reads a profile ("mode: x" then "file:l.c,l.c stmts hits" lines; a
// block listed twice, as -coverpkg profiles do, counts once, covered if
// any run hit it) and writes the table.
func run(r io.Reader, w io.Writer) error {
	blocks := map[string]struct {
		stmts int
		hit   bool
	}{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "mode:") || line == "" {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 3 {
			return fmt.Errorf("bad profile line %q", line)
		}
		stmts, err1 := strconv.Atoi(f[1])
		hits, err2 := strconv.Atoi(f[2])
		if err1 != nil || err2 != nil {
			return fmt.Errorf("bad profile line %q", line)
		}
		b := blocks[f[0]]
		b.stmts, b.hit = stmts, b.hit || hits > 0
		blocks[f[0]] = b
	}
	if err := sc.Err(); err != nil {
		return err
	}
	pkgs := map[string]*count{}
	var all count
	for id, b := range blocks {
		file, _, _ := strings.Cut(id, ":")
		pkg := path.Dir(file)
		c := pkgs[pkg]
		if c == nil {
			c = &count{}
			pkgs[pkg] = c
		}
		c.total += b.stmts
		all.total += b.stmts
		if b.hit {
			c.covered += b.stmts
			all.covered += b.stmts
		}
	}
	names := make([]string, 0, len(pkgs))
	for p := range pkgs {
		names = append(names, p)
	}
	sort.Slice(names, func(i, j int) bool {
		pi, pj := pct(*pkgs[names[i]]), pct(*pkgs[names[j]])
		if pi != pj {
			return pi < pj
		}
		return names[i] < names[j]
	})
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "COVERAGE\tSTATEMENTS\tPACKAGE\t")
	for _, p := range names {
		c := *pkgs[p]
		fmt.Fprintf(tw, "%.1f%%\t%d/%d\t%s\t\n", pct(c), c.covered, c.total, p)
	}
	fmt.Fprintf(tw, "%.1f%%\t%d/%d\t%s\t\n", pct(all), all.covered, all.total, "total")
	return tw.Flush()
}

func pct(c count) float64 {
	if c.total == 0 {
		return 0
	}
	return 100 * float64(c.covered) / float64(c.total)
}
