package chunk

import (
	"strings"

	sitter "github.com/tree-sitter/go-tree-sitter"

	"github.com/mcp-memory/servers/internal/codebase"
)

// unit is a declaration (or the file header) found in the tree, before it
// becomes one or more chunks. Lines are 0-based and inclusive.
type unit struct {
	kind, symbol string
	first, last  int
	doc          string
	docSpans     []span
	sig          string
	// holes are the line ranges of members that are chunks of their own,
	// left out of this unit's content (a class without its methods).
	holes []lineRange
}

type lineRange struct{ first, last int }

// decl is a declaration resolved from a syntax node.
type decl struct {
	kind        string
	name, owner string
	// sigNode is where the signature starts; body where it ends.
	sigNode sitter.Node
	body    *sitter.Node
	// members is the body whose children become chunks of their own.
	members *sitter.Node
	// docstring is a Python docstring, or a module docstring / "use
	// strict" directive when headerItem is set.
	docstring  string
	headerItem bool
	namespace  bool
}

// scope is where a sequence of sibling nodes sits.
type scope struct {
	prefix  string // qualifies symbols: "Outer.Inner"
	member  bool   // inside a class, impl or trait body
	root    bool   // at file level, where the header may be
	minLine int    // units of this scope start at or after this line
}

// header accumulates the file header: package clause and imports.
type header struct {
	open        bool
	first, last int
	items       int
	doc         []string
	docSpans    []span
	sig         string
}

type walker struct {
	l      *language
	f      *file
	cur    *sitter.TreeCursor
	units  []unit
	header *unit
	hdr    header
}

func (w *walker) walkRoot(root *sitter.Node) {
	w.hdr = header{open: true, first: -1, last: -1}
	w.walkSeq(w.children(root), scope{root: true})
	w.closeHeader()
}

func (w *walker) children(n *sitter.Node) []sitter.Node {
	return n.NamedChildren(w.cur)
}

func (w *walker) text(n *sitter.Node) string {
	if n == nil {
		return ""
	}
	s, e := int(n.StartByte()), int(n.EndByte())
	if s < 0 || e > len(w.f.src) || s > e {
		return ""
	}
	return string(w.f.src[s:e])
}

// walkSeq walks sibling nodes, emits their units and returns the line
// ranges it emitted, so a class can leave its members out.
func (w *walker) walkSeq(nodes []sitter.Node, sc scope) []lineRange {
	var (
		emitted []lineRange
		pending []sitter.Node // adjacent own-line comments and attributes
		pendEnd = -2
		lastEnd = sc.minLine - 1
	)
	for i := range nodes {
		n := &nodes[i]
		sp := w.l.spec(n)
		start, end := w.f.nodeLines(n)
		w.f.markBound(end)
		r := roleCode
		if sp != nil {
			r = sp.role
		}
		switch r {
		case roleComment, rolePrefix:
			if sc.root && w.hdr.open && w.hdr.first < 0 {
				w.hdr.first = start
			}
			if !w.f.ownLine(int(n.StartByte())) {
				pending = pending[:0]
				continue
			}
			if len(pending) == 0 || start != pendEnd+1 {
				pending = pending[:0]
			}
			pending = append(pending, *n)
			pendEnd = end
			continue
		case roleHeader, roleNeutral:
			if sc.root && w.hdr.open {
				w.addHeader(n, start, end, pending, pendEnd, "")
				pending = pending[:0]
				continue
			}
		case roleTransparent:
			// The directive's own operands (#ifdef NAME) share its first
			// line; they are not code of the block.
			kids := w.children(n)
			for len(kids) > 0 {
				if l, _ := w.f.nodeLines(&kids[0]); l != start {
					break
				}
				kids = kids[1:]
			}
			if sc.root && w.hdr.open && w.hdr.first < 0 {
				w.hdr.first = start // a header guard opens the header
			}
			emitted = append(emitted, w.walkSeq(kids, scope{
				prefix: sc.prefix, member: sc.member, root: sc.root, minLine: max(start, lastEnd+1),
			})...)
			pending = pending[:0]
			lastEnd = max(lastEnd, end)
			continue
		case roleCode:
		default:
			d, ok := w.resolve(n, sp, sc)
			switch {
			case !ok && r == roleNamespace && sc.root && w.hdr.open:
				// Rust "mod x;" declares a module file, like an import.
				w.addHeader(n, start, end, pending, pendEnd, "")
				pending = pending[:0]
				continue
			case !ok:
			case d.headerItem:
				if sc.root && w.hdr.open {
					w.addHeader(n, start, end, pending, pendEnd, d.docstring)
					pending = pending[:0]
					continue
				}
			case d.namespace:
				if sc.root {
					w.closeHeader()
				}
				emitted = append(emitted, w.walkSeq(w.children(d.body), scope{
					prefix: join(sc.prefix, d.name), minLine: max(start, lastEnd+1),
				})...)
				pending = pending[:0]
				lastEnd = max(lastEnd, end)
				continue
			default:
				doc := pending
				if len(doc) == 0 || pendEnd != start-1 {
					doc = nil
				}
				first := start
				if len(doc) > 0 {
					first, _ = w.f.nodeLines(&doc[0])
				}
				if first <= lastEnd || first < sc.minLine {
					doc, first = nil, start
				}
				if first > lastEnd && first >= sc.minLine {
					if sc.root {
						w.closeHeader()
					}
					w.emit(d, doc, first, end, start, sc)
					emitted = append(emitted, lineRange{first, end})
					lastEnd = end
					pending = pending[:0]
					continue
				}
			}
		}
		// Plain code: it ends the header and any run of doc comments.
		if sc.root {
			w.closeHeader()
		}
		pending = pending[:0]
	}
	return emitted
}

// emit turns a resolved declaration into a unit (and its members into
// units of their own).
func (w *walker) emit(d decl, doc []sitter.Node, first, last, declLine int, sc scope) {
	kind := d.kind
	if kind == codebase.KindFunction && (sc.member || d.owner != "") {
		kind = codebase.KindMethod
	}
	u := unit{
		kind:   kind,
		symbol: join(join(sc.prefix, d.owner), d.name),
		first:  first,
		last:   last,
	}
	var docText []string
	for i := range doc {
		if w.l.spec(&doc[i]).role != roleComment {
			continue
		}
		s, e := int(doc[i].StartByte()), int(doc[i].EndByte())
		u.docSpans = append(u.docSpans, span{s, e})
		docText = append(docText, stripComment(string(w.f.src[s:e]))...)
	}
	if d.docstring != "" {
		docText = append(docText, d.docstring)
	}
	u.doc = strings.TrimSpace(strings.Join(docText, "\n"))
	u.sig = w.signature(&d)
	if d.members != nil {
		u.holes = w.walkSeq(w.children(d.members), scope{
			prefix: u.symbol, member: true, minLine: declLine + 1,
		})
	} else if d.body != nil && w.f.oversize(first, last) {
		w.markBounds(d.body, 0)
	}
	w.units = append(w.units, u)
}

// markBounds records the ends of a body's statements as places to split an
// oversized chunk, descending into statements that are themselves long.
func (w *walker) markBounds(n *sitter.Node, depth int) {
	for _, c := range w.children(n) {
		s, e := w.f.nodeLines(&c)
		w.f.markBound(e)
		if depth < 4 && e-s > w.f.opts.MaxLines/2 {
			w.markBounds(&c, depth+1)
		}
	}
}

func (w *walker) addHeader(n *sitter.Node, start, end int, pending []sitter.Node, pendEnd int, docstring string) {
	h := &w.hdr
	if h.first < 0 || start < h.first {
		h.first = start
	}
	h.last = max(h.last, end)
	if h.items == 0 && len(pending) > 0 && pendEnd == start-1 {
		for i := range pending {
			if w.l.spec(&pending[i]).role != roleComment {
				continue
			}
			s, e := int(pending[i].StartByte()), int(pending[i].EndByte())
			h.docSpans = append(h.docSpans, span{s, e})
			h.doc = append(h.doc, stripComment(string(w.f.src[s:e]))...)
		}
	}
	if docstring != "" {
		h.doc = append(h.doc, docstring)
	}
	if h.sig == "" && strings.HasPrefix(n.Kind(), "package") {
		h.sig = firstLine(w.text(n))
	}
	h.items++
}

func (w *walker) closeHeader() {
	h := &w.hdr
	if !h.open {
		return
	}
	h.open = false
	if h.items == 0 {
		return
	}
	w.header = &unit{
		kind:     codebase.KindHeader,
		first:    h.first,
		last:     h.last,
		doc:      strings.TrimSpace(strings.Join(h.doc, "\n")),
		docSpans: h.docSpans,
		sig:      h.sig,
	}
}

// resolve decides whether n declares something worth a chunk.
func (w *walker) resolve(n *sitter.Node, sp *spec, sc scope) (decl, bool) {
	fl := &w.l.fields
	switch sp.role {
	case roleDecl:
		body := n.ChildByFieldId(fl.body)
		if sp.needsBody && body == nil {
			return decl{}, false
		}
		d := decl{kind: sp.kind, sigNode: *n, body: body}
		if sp.name != nil {
			d.name, d.owner = sp.name(w, n)
		} else {
			d.name = w.text(n.ChildByFieldId(fl.name))
		}
		if sp.container && body != nil {
			d.members = body
		}
		if w.l.name == "python" && body != nil {
			d.docstring = w.pythonDocstring(body)
		}
		return d, true
	case roleWrapper:
		inner := n.ChildByFieldId(fl.declaration)
		if inner == nil {
			inner = n.ChildByFieldId(fl.definition)
		}
		if inner == nil {
			for _, c := range w.children(n) {
				if isp := w.l.spec(&c); isp != nil && isp.role != roleComment && isp.role != roleCode {
					inner = &c
					break
				}
			}
		}
		if inner == nil {
			return decl{}, false
		}
		isp := w.l.spec(inner)
		if isp == nil || isp.role == roleWrapper && inner.Id() == n.Id() {
			return decl{}, false
		}
		d, ok := w.resolve(inner, isp, sc)
		if !ok || d.headerItem {
			return decl{}, false
		}
		if !sp.sigFromInner {
			d.sigNode = *n
		}
		return d, true
	case roleVarDecl:
		return w.resolveVar(n)
	case roleExprStmt:
		return w.resolveExpr(n)
	case roleNamespace:
		body := n.ChildByFieldId(fl.body)
		if body == nil {
			return decl{}, false
		}
		name := strings.Trim(w.text(n.ChildByFieldId(fl.name)), `"'`)
		return decl{namespace: true, name: name, body: body, sigNode: *n}, true
	}
	return decl{}, false
}

// resolveVar recognises "const f = () => {}" and "const C = class {}" as
// declarations and "const x = require('x')" as a header item.
func (w *walker) resolveVar(n *sitter.Node) (decl, bool) {
	var declarators []sitter.Node
	for _, c := range w.children(n) {
		if sp := w.l.spec(&c); sp == nil || sp.role != roleComment {
			declarators = append(declarators, c)
		}
	}
	if len(declarators) == 0 {
		return decl{}, false
	}
	requires := true
	for i := range declarators {
		v := declarators[i].ChildByFieldId(w.l.fields.value)
		if v == nil || !strings.HasPrefix(w.text(v), "require(") {
			requires = false
			break
		}
	}
	if requires {
		return decl{headerItem: true}, true
	}
	if len(declarators) != 1 {
		return decl{}, false // several variables: plain code
	}
	declarator := &declarators[0]
	name := declarator.ChildByFieldId(w.l.fields.name)
	value := declarator.ChildByFieldId(w.l.fields.value)
	if name == nil || value == nil || name.Kind() != "identifier" {
		return decl{}, false
	}
	d := decl{name: w.text(name), sigNode: *n}
	switch value.Kind() {
	case "arrow_function", "function_expression", "function", "generator_function":
		d.kind = codebase.KindFunction
		d.body = value.ChildByFieldId(w.l.fields.body)
	case "class":
		d.kind = codebase.KindClass
		d.body = value.ChildByFieldId(w.l.fields.body)
		d.members = d.body
	default:
		return decl{}, false
	}
	return d, true
}

// resolveExpr recognises docstrings and directives (header items),
// "A.prototype.m = function" and "exports.f = function" assignments, and
// TypeScript namespaces, which parse as expression statements.
func (w *walker) resolveExpr(n *sitter.Node) (decl, bool) {
	if n.NamedChildCount() != 1 {
		return decl{}, false
	}
	c := n.NamedChild(0)
	if c == nil {
		return decl{}, false
	}
	switch c.Kind() {
	case "string":
		return decl{headerItem: true, docstring: w.stringDoc(c)}, true
	case "internal_module":
		return w.resolve(c, &spec{role: roleNamespace}, scope{})
	case "assignment_expression":
		right := c.ChildByFieldId(w.l.fields.right)
		if right == nil {
			return decl{}, false
		}
		switch right.Kind() {
		case "arrow_function", "function_expression", "function", "generator_function":
		default:
			return decl{}, false
		}
		left := w.text(c.ChildByFieldId(w.l.fields.left))
		d := decl{kind: codebase.KindFunction, sigNode: *n, body: right.ChildByFieldId(w.l.fields.body)}
		if i := strings.Index(left, ".prototype."); i > 0 {
			d.owner, d.name = left[:i], left[i+len(".prototype."):]
		} else {
			d.name = strings.TrimPrefix(strings.TrimPrefix(left, "module."), "exports.")
			if d.name == "exports" || d.name == "" {
				return decl{}, false
			}
		}
		return d, true
	}
	return decl{}, false
}

// pythonDocstring returns the docstring of a function or class body.
func (w *walker) pythonDocstring(body *sitter.Node) string {
	first := body.NamedChild(0)
	if first == nil || first.Kind() != "expression_statement" || first.NamedChildCount() != 1 {
		return ""
	}
	s := first.NamedChild(0)
	if s == nil || s.Kind() != "string" {
		return ""
	}
	return w.stringDoc(s)
}

func (w *walker) stringDoc(s *sitter.Node) string {
	if w.l.name != "python" {
		return ""
	}
	return stripDocstring(w.text(s))
}

// signature is the declaration text from its start (after decorators and
// annotations) to its body, or its first line when it has no body.
func (w *walker) signature(d *decl) string {
	start := w.sigStart(&d.sigNode)
	end := int(d.sigNode.EndByte())
	src := w.f.src
	if start < 0 || start > end || end > len(src) {
		return ""
	}
	var sig string
	if d.body != nil && int(d.body.StartByte()) > start && int(d.body.StartByte()) <= end {
		sig = strings.TrimSpace(string(src[start:d.body.StartByte()]))
		sig = strings.TrimSpace(strings.TrimSuffix(sig, "{"))
	} else {
		text := string(src[start:end])
		sig = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(firstLine(text)), "{"))
		if d.name != "" && !strings.Contains(sig, d.name) {
			// C "typedef struct {...} name;": show where the name is.
			if i := strings.LastIndexByte(text, '\n'); i >= 0 {
				sig += " … " + strings.TrimSpace(text[i+1:])
			}
		}
	}
	return truncate(sig, maxSignature)
}

const maxSignature = 1024

// sigStart skips leading decorators, annotations and comments.
func (w *walker) sigStart(n *sitter.Node) int {
	start := int(n.StartByte())
	if !w.l.hasSkip {
		return start
	}
	for _, c := range n.Children(w.cur) {
		sp := w.l.spec(&c)
		switch {
		case sp != nil && sp.role == roleComment, w.l.isKind(&c, w.l.sigSkip):
			start = int(c.EndByte())
			continue
		case w.l.isKind(&c, w.l.modifier):
			for _, m := range c.Children(w.cur) {
				if !w.l.isKind(&m, w.l.sigSkip) {
					return int(m.StartByte())
				}
				start = int(m.EndByte())
			}
			continue
		}
		return int(c.StartByte())
	}
	return start
}

func join(prefix, name string) string {
	switch {
	case prefix == "":
		return name
	case name == "":
		return prefix
	}
	return prefix + "." + name
}

// goMethodName returns the method name and its receiver's type name,
// without pointer or type parameters.
func goMethodName(w *walker, n *sitter.Node) (string, string) {
	name := w.text(n.ChildByFieldId(w.l.fields.name))
	recv := strings.Trim(w.text(n.ChildByFieldId(w.l.fields.receiver)), "() \t\n")
	if f := strings.Fields(recv); len(f) > 0 {
		recv = f[len(f)-1]
	}
	recv = strings.TrimLeft(recv, "*")
	if i := strings.IndexByte(recv, '['); i >= 0 {
		recv = recv[:i]
	}
	return name, recv
}

// firstSpecName names a Go type, const or var declaration by its first
// spec.
func firstSpecName(w *walker, n *sitter.Node) (string, string) {
	for depth, node := 0, n; depth < 3 && node != nil; depth++ {
		c := node.NamedChild(0)
		for i := uint(1); c != nil; i++ {
			if w.l.spec(c) == nil || w.l.spec(c).role != roleComment {
				break
			}
			c = node.NamedChild(i)
		}
		if c == nil {
			return "", ""
		}
		if name := c.ChildByFieldId(w.l.fields.name); name != nil {
			return w.text(name), ""
		}
		node = c
	}
	return "", ""
}

// cDeclaratorName follows a C declarator chain (pointer, function,
// parenthesised) down to the declared identifier.
func cDeclaratorName(w *walker, n *sitter.Node) (string, string) {
	d := n.ChildByFieldId(w.l.fields.declarator)
	for i := 0; d != nil && i < 8; i++ {
		switch d.Kind() {
		case "identifier", "type_identifier", "field_identifier", "primitive_type":
			return w.text(d), ""
		}
		next := d.ChildByFieldId(w.l.fields.declarator)
		if next == nil {
			next = d.NamedChild(0)
		}
		d = next
	}
	return "", ""
}

// rustImplName names an impl block by its self type: "impl<T> fmt::Display
// for Stack<T>" is "Stack".
func rustImplName(w *walker, n *sitter.Node) (string, string) {
	t := w.text(n.ChildByFieldId(w.l.fields.typ))
	if i := strings.IndexByte(t, '<'); i >= 0 {
		t = t[:i]
	}
	t = strings.TrimSpace(strings.TrimLeft(t, "&"))
	for _, p := range []string{"mut ", "dyn "} {
		t = strings.TrimPrefix(t, p)
	}
	if strings.HasPrefix(t, "'") { // &'a T
		if i := strings.IndexByte(t, ' '); i >= 0 {
			t = t[i+1:]
		}
	}
	if i := strings.LastIndex(t, "::"); i >= 0 {
		t = t[i+2:]
	}
	return strings.TrimSpace(t), ""
}
