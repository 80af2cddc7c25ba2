package searchtest

import (
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"io/fs"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"unicode"
)

// Target is a function an evaluation query must find.
type Target struct {
	// Dir and File are relative to the corpus root, with slashes.
	Dir  string
	File string
	// Symbol is the chunker's name: Name or Type.Method.
	Symbol string
	// StartLine and EndLine span the function in the indexed copy.
	StartLine, EndLine int
}

// EvalQuery is one evaluation query and its target.
type EvalQuery struct {
	Text   string
	Target Target
}

// Corpus is the evaluation corpus of search-study.md §6 ("REMALL"): Go
// source whose every doc comment lost its first sentence, with doc-comment
// queries (a target's first sentence without its name, de-duplicated) and
// symbol queries (a name as written, and split into words).
type Corpus struct {
	// Files are the indexed copies.
	Files []Source
	// Docs are the candidate doc-comment queries, in a seeded order.
	Docs []EvalQuery
	// Symbols are the candidate symbol queries (name as written), seeded order.
	Symbols []EvalQuery
	// Dropped counts candidate doc queries left out because their text
	// appears in another declaration's doc comment.
	Dropped int
	// Functions is the number of function and method declarations.
	Functions int
}

// GoCorpus builds the corpus from the Go tree at root (GOROOT/src). It
// skips cmd, internal, vendor and testdata directories and test files;
// keep selects package directories (nil keeps all). seed orders the
// queries.
func GoCorpus(root string, keep func(dir string) bool, seed uint64) (*Corpus, error) {
	type decl struct {
		target Target
		doc    string // original doc comment
		name   string
		stmts  int
		export bool
		method bool
	}
	var decls []decl
	// Every declared name (functions, methods, types, values), normalised
	// (lower case, letters and digits), with the places that declare it.
	declared := map[string]map[string]bool{}
	declare := func(dir, sym string) {
		n := normIdent(sym)
		if declared[n] == nil {
			declared[n] = map[string]bool{}
		}
		declared[n][dir+"\x00"+sym] = true
	}
	var allDocs []string // every declaration's original doc, lower case, spaces normalised
	c := &Corpus{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			switch d.Name() {
			case "cmd", "internal", "vendor", "testdata":
				if rel != "." {
					return filepath.SkipDir
				}
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		if keep != nil && !keep(path.Dir(rel)) {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, rel, src, parser.ParseComments)
		if err != nil {
			return nil // a few files are deliberately invalid
		}
		var groups []*ast.CommentGroup
		type fn struct {
			doc, name, symbol string
			stmts             int
			export, method    bool
		}
		var fns []fn
		for _, dl := range f.Decls {
			switch dl := dl.(type) {
			case *ast.FuncDecl:
				if dl.Doc != nil {
					groups = append(groups, dl.Doc)
					allDocs = append(allDocs, normText(dl.Doc.Text()))
				}
				if dl.Body == nil {
					continue
				}
				sym := dl.Name.Name
				if dl.Recv != nil && len(dl.Recv.List) > 0 {
					sym = recvName(dl.Recv.List[0].Type) + "." + sym
				}
				declare(path.Dir(rel), sym)
				fns = append(fns, fn{doc: dl.Doc.Text(), name: dl.Name.Name, symbol: sym, stmts: len(dl.Body.List),
					export: dl.Name.IsExported() && (dl.Recv == nil || ast.IsExported(recvName(dl.Recv.List[0].Type))),
					method: dl.Recv != nil})
			case *ast.GenDecl:
				if dl.Doc != nil {
					groups = append(groups, dl.Doc)
					allDocs = append(allDocs, normText(dl.Doc.Text()))
				}
				for _, s := range dl.Specs {
					var g *ast.CommentGroup
					switch s := s.(type) {
					case *ast.TypeSpec:
						g = s.Doc
						declare(path.Dir(rel), s.Name.Name)
					case *ast.ValueSpec:
						g = s.Doc
						for _, n := range s.Names {
							declare(path.Dir(rel), n.Name)
						}
					}
					if g != nil {
						groups = append(groups, g)
						allDocs = append(allDocs, normText(g.Text()))
					}
				}
			}
		}
		out := removeFirstSentences(src, fset, groups)
		// Spans come from the copy, which is what gets indexed.
		fset2 := token.NewFileSet()
		f2, err := parser.ParseFile(fset2, rel, out, parser.ParseComments)
		if err != nil {
			return nil
		}
		i := 0
		for _, dl := range f2.Decls {
			fd, ok := dl.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			if i >= len(fns) {
				break
			}
			x := fns[i]
			i++
			c.Functions++
			start := fset2.Position(fd.Pos()).Line
			if fd.Doc != nil {
				start = fset2.Position(fd.Doc.Pos()).Line
			}
			decls = append(decls, decl{
				target: Target{Dir: path.Dir(rel), File: rel, Symbol: x.symbol, StartLine: start, EndLine: fset2.Position(fd.End()).Line},
				doc:    x.doc, name: x.name, stmts: x.stmts, export: x.export, method: x.method,
			})
		}
		c.Files = append(c.Files, Source{Path: rel, Language: "go", Content: out})
		return nil
	})
	if err != nil {
		return nil, err
	}
	all := strings.Join(allDocs, "\n")
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	order := rng.Perm(len(decls))
	for _, i := range order {
		d := decls[i]
		if !d.export || d.stmts < 2 || strings.TrimSpace(d.doc) == "" || strings.Contains(d.doc, "Deprecated:") {
			continue
		}
		// A symbol query has one answer only when no other declaration
		// anywhere has the same name up to case and separators (the
		// words form loses both).
		if len(declared[normIdent(d.target.Symbol)]) == 1 {
			c.Symbols = append(c.Symbols, EvalQuery{Text: d.target.Symbol, Target: d.target})
		}
		q := withoutWord(doc.Synopsis(d.doc), d.name)
		if len(strings.Fields(q)) < 4 {
			continue
		}
		if strings.Count(all, normText(q)) > strings.Count(normText(d.doc), normText(q)) {
			c.Dropped++
			continue
		}
		c.Docs = append(c.Docs, EvalQuery{Text: q, Target: d.target})
	}
	sort.SliceStable(c.Files, func(i, j int) bool { return c.Files[i].Path < c.Files[j].Path })
	return c, nil
}

// SplitWords writes an identifier as words: "Reader.ReadRune" -> "reader
// read rune".
func SplitWords(sym string) string {
	var words []string
	var cur []rune
	rs := []rune(sym)
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	for i, r := range rs {
		switch {
		case r == '.' || r == '_':
			flush()
			continue
		case unicode.IsUpper(r) && len(cur) > 0 &&
			(!unicode.IsUpper(rs[i-1]) || (i+1 < len(rs) && unicode.IsLower(rs[i+1]))):
			flush()
		}
		cur = append(cur, r)
	}
	flush()
	return strings.Join(words, " ")
}

func normText(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// withoutWord removes every word equal to name (punctuation around it too).
func withoutWord(s, name string) string {
	var out []string
	for _, w := range strings.Fields(s) {
		if strings.Trim(w, ".,;:()'\"`") == name {
			continue
		}
		out = append(out, w)
	}
	return strings.Join(out, " ")
}

// removeFirstSentences rewrites src so that each comment group keeps only
// what follows its first sentence; line breaks are kept so every line
// number stays the same.
func removeFirstSentences(src []byte, fset *token.FileSet, groups []*ast.CommentGroup) []byte {
	sort.Slice(groups, func(i, j int) bool { return groups[i].Pos() > groups[j].Pos() })
	out := append([]byte(nil), src...)
	for _, g := range groups {
		a, b := fset.Position(g.Pos()).Offset, fset.Position(g.End()).Offset
		orig := string(out[a:b])
		if !strings.HasPrefix(orig, "//") {
			continue // block comments are rare in doc position; leave them
		}
		lines := strings.Split(orig, "\n")
		text := g.Text()
		rest := afterFirstSentence(text)
		restLines := strings.Split(strings.TrimRight(rest, "\n"), "\n")
		if strings.TrimSpace(rest) == "" {
			restLines = nil
		}
		// Keep the line count: pad with empty comment lines at the top.
		var nl []string
		indent := leadingSpace(lines, 1)
		for len(nl)+len(restLines) < len(lines) {
			if len(nl) == 0 {
				nl = append(nl, "//")
			} else {
				nl = append(nl, indent+"//")
			}
		}
		for i, l := range restLines {
			p := indent
			if len(nl) == 0 && i == 0 {
				p = ""
			}
			if l == "" {
				nl = append(nl, p+"//")
			} else {
				nl = append(nl, p+"// "+l)
			}
		}
		if len(nl) > len(lines) {
			nl = nl[:len(lines)]
		}
		out = append(out[:a:a], append([]byte(strings.Join(nl, "\n")), out[b:]...)...)
	}
	return out
}

func leadingSpace(lines []string, i int) string {
	if i >= len(lines) {
		return ""
	}
	l := lines[i]
	return l[:len(l)-len(strings.TrimLeft(l, " \t"))]
}

// afterFirstSentence returns text after its first sentence: up to the first
// period followed by white space, or the first blank line.
func afterFirstSentence(text string) string {
	for i := 0; i < len(text); i++ {
		if text[i] == '\n' && i+1 < len(text) && text[i+1] == '\n' {
			return text[i+2:]
		}
		if text[i] == '.' && (i+1 == len(text) || text[i+1] == ' ' || text[i+1] == '\n') {
			return strings.TrimLeft(text[i+1:], " \n")
		}
	}
	return ""
}

func normIdent(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}
