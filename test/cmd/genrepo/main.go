// Command genrepo writes a deterministic synthetic repository for
// benchmarks and scenario tests (see package fixture):
//
//	go run ./test/cmd/genrepo -n 10000 -seed 1 -out /tmp/repo10k
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/mcp-memory/servers/internal/codebase/fixture"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "genrepo:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("genrepo", flag.ContinueOnError)
	n := fs.Int("n", 10000, "number of files")
	seed := fs.Int64("seed", 1, "random seed; the same seed and n give byte-identical files")
	out := fs.String("out", "", "output directory (created; must be empty or absent)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("-out is required")
	}
	start := time.Now()
	st, err := fixture.Generate(*out, *n, *seed)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %d files (%d Python, %d JavaScript) in %d directories, %.1f MB (sizes %d..%d B, depth <= %d), %d functions, %d classes in %s\n",
		st.Files, st.PythonFiles, st.JavaScriptFiles, st.Dirs, float64(st.Bytes)/1e6, st.MinSize, st.MaxSize, st.MaxDepth,
		st.Functions, st.Classes, time.Since(start).Round(time.Millisecond))
	return nil
}
