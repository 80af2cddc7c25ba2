package main

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/mcp-memory/servers/internal/codebase/api"
	"github.com/mcp-memory/servers/internal/codebase/search"
	"github.com/mcp-memory/servers/internal/platform/launch"
)

// searchCommand runs `codebase-mcp search QUERY`: ranked hits with
// path:lines, symbol, score and a snippet whose query words are bold on a
// terminal; --json prints what POST /mcp/search answers.
func searchCommand(s *search.Service) launch.CommandFunc {
	return func(ctx context.Context, inv launch.Invocation) error {
		in := api.SearchIn{
			Query:     strings.Join(inv.Args, " "),
			ProjectID: inv.Values.String("project"),
			FileType:  inv.Values.String("file-type"),
			Directory: inv.Values.String("directory"),
			Language:  inv.Values.String("language"),
		}
		limit := inv.Values.Int("limit")
		in.Limit = &limit
		res, err := s.Search(ctx, in.ToQuery())
		if err != nil {
			return err
		}
		out := api.ToSearchOut(res)
		if inv.Values.Bool("json") {
			return printJSON(inv.Env.Stdout, out)
		}
		printHits(inv.Env.Stdout, out, in.Query, isTerminal(inv.Env.Stdout))
		return nil
	}
}

// cliSnippetLines is how many lines of each hit the command prints.
const cliSnippetLines = 8

const (
	bold  = "\033[1m"
	dim   = "\033[2m"
	reset = "\033[0m"
)

// printHits prints ranked hits for people.
func printHits(w io.Writer, o api.SearchOut, query string, color bool) {
	hl := highlighter(query)
	style := func(code, s string) string {
		if !color {
			return s
		}
		return code + s + reset
	}
	if len(o.Results) == 0 {
		fmt.Fprintf(w, "No results in project %s (index %s).\n", o.ProjectID, o.IndexStatus)
	}
	for i, h := range o.Results {
		head := fmt.Sprintf("%d. %s", i+1, style(bold, fmt.Sprintf("%s:%d-%d", h.FilePath, h.StartLine, h.EndLine)))
		if h.Symbol != "" {
			head += "  " + h.Symbol
		}
		head += fmt.Sprintf("  (%s, %.2f)", h.ChunkType, h.SimilarityScore)
		if h.Stale {
			head += "  [stale: file changed since indexed]"
		}
		fmt.Fprintln(w, head)
		lines := strings.Split(strings.TrimRight(h.Content, "\n"), "\n")
		shown := lines
		if len(shown) > cliSnippetLines {
			shown = shown[:cliSnippetLines]
		}
		for j, l := range shown {
			num := style(dim, fmt.Sprintf("%5d", h.StartLine+j))
			if color && hl != nil {
				l = hl.ReplaceAllString(l, bold+"$0"+reset)
			}
			fmt.Fprintf(w, "  %s  %s\n", num, l)
		}
		if n := len(lines) - len(shown); n > 0 {
			fmt.Fprintf(w, "         %s\n", style(dim, fmt.Sprintf("... %d more lines", n)))
		}
		fmt.Fprintln(w)
	}
	if o.Notice != "" {
		fmt.Fprintf(w, "note: %s\n", o.Notice)
	}
	if more := o.Matched - o.TotalCount - o.Omitted; more > 0 && len(o.Results) > 0 {
		fmt.Fprintf(w, "%d more matched: raise --limit (up to 50) or narrow with --directory / --file-type.\n", more)
	}
	fmt.Fprintf(w, "%d results in %.1f ms, project %s\n", len(o.Results), o.LatencyMS, o.ProjectID)
}

var wordRE = regexp.MustCompile(`[A-Za-z0-9_]{2,}`)

// highlighter matches the query's words (case-insensitive), or nil.
func highlighter(query string) *regexp.Regexp {
	words := wordRE.FindAllString(query, -1)
	if len(words) == 0 {
		return nil
	}
	for i, w := range words {
		words[i] = regexp.QuoteMeta(w)
	}
	return regexp.MustCompile(`(?i)` + strings.Join(words, "|"))
}
