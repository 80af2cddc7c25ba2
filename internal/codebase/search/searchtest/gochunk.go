package searchtest

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"strings"

	"github.com/mcp-memory/servers/internal/codebase"
)

// GoChunks is a small go/ast chunker shaped like the product's: one chunk
// per top-level function, method, type and const/var group (doc comment
// included), one header chunk (package clause and imports), and 40-line
// windows for other languages and unparsable files. The tests use it so
// they do not depend on tree-sitter.
func GoChunks(_ context.Context, language string, src []byte) []codebase.Chunk {
	if language != "go" {
		return windows(language, src)
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "x.go", src, parser.ParseComments)
	if err != nil {
		return windows(language, src)
	}
	text := string(src)
	lineOf := func(p token.Pos) int { return fset.Position(p).Line }
	off := func(p token.Pos) int { return fset.Position(p).Offset }
	lines := strings.SplitAfter(text, "\n")
	slice := func(a, b int) string { // lines a..b, 1-based inclusive
		return strings.TrimRight(strings.Join(lines[a-1:b], ""), "\n")
	}
	comments := func(n ast.Node) string {
		var out []string
		for _, cg := range f.Comments {
			if cg.Pos() >= n.Pos() && cg.End() <= n.End() {
				out = append(out, strings.TrimSpace(cg.Text()))
			}
		}
		return strings.Join(out, "\n")
	}
	var out []codebase.Chunk
	hdrEnd := lineOf(f.Name.End())
	for _, imp := range f.Imports {
		hdrEnd = max(hdrEnd, lineOf(imp.End()))
	}
	for _, d := range f.Decls {
		if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.IMPORT {
			hdrEnd = max(hdrEnd, lineOf(g.End()))
		}
	}
	hdrStart := lineOf(f.Package)
	if f.Doc != nil {
		hdrStart = lineOf(f.Doc.Pos())
	}
	out = append(out, codebase.Chunk{Language: "go", Kind: codebase.KindHeader, StartLine: hdrStart, EndLine: hdrEnd,
		Content: slice(hdrStart, hdrEnd), Signature: "package " + f.Name.Name, Doc: docText(f.Doc)})
	for _, d := range f.Decls {
		c := codebase.Chunk{Language: "go"}
		start := lineOf(d.Pos())
		switch d := d.(type) {
		case *ast.FuncDecl:
			c.Kind = codebase.KindFunction
			c.Symbol = d.Name.Name
			if d.Recv != nil && len(d.Recv.List) > 0 {
				c.Kind = codebase.KindMethod
				c.Symbol = recvName(d.Recv.List[0].Type) + "." + d.Name.Name
			}
			end := d.End()
			if d.Body != nil {
				end = d.Body.Lbrace
				c.Comments = comments(d.Body)
			}
			c.Signature = strings.TrimSpace(text[off(d.Pos()):off(end)])
			if d.Doc != nil {
				start = lineOf(d.Doc.Pos())
				c.Doc = docText(d.Doc)
			}
		case *ast.GenDecl:
			if d.Tok == token.IMPORT {
				continue
			}
			c.Kind = codebase.KindConstants
			if d.Tok == token.TYPE {
				c.Kind = codebase.KindType
			}
			if len(d.Specs) == 1 {
				switch s := d.Specs[0].(type) {
				case *ast.TypeSpec:
					c.Symbol = s.Name.Name
				case *ast.ValueSpec:
					c.Symbol = s.Names[0].Name
				}
			}
			c.Signature = strings.TrimSpace(lines[lineOf(d.Pos())-1])
			if d.Doc != nil {
				start = lineOf(d.Doc.Pos())
				c.Doc = docText(d.Doc)
			}
			c.Comments = comments(d)
		default:
			continue
		}
		c.StartLine, c.EndLine = start, lineOf(d.End())
		c.Content = slice(c.StartLine, c.EndLine)
		out = append(out, c)
	}
	return out
}

func docText(cg *ast.CommentGroup) string {
	if cg == nil {
		return ""
	}
	return strings.TrimSpace(cg.Text())
}

func recvName(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.StarExpr:
		return recvName(t.X)
	case *ast.IndexExpr:
		return recvName(t.X)
	case *ast.IndexListExpr:
		return recvName(t.X)
	case *ast.Ident:
		return t.Name
	}
	return ""
}

func windows(language string, src []byte) []codebase.Chunk {
	lines := strings.SplitAfter(string(src), "\n")
	var out []codebase.Chunk
	for i := 0; i < len(lines); i += 40 {
		j := min(i+40, len(lines))
		content := strings.TrimRight(strings.Join(lines[i:j], ""), "\n")
		if strings.TrimSpace(content) == "" {
			continue
		}
		out = append(out, codebase.Chunk{Language: language, Kind: codebase.KindWindow, StartLine: i + 1,
			EndLine: max(i+1, i+strings.Count(content, "\n")+1), Content: content})
	}
	return out
}
