package chunk

import (
	"sync"
	"time"
	"unsafe"

	sitter "github.com/tree-sitter/go-tree-sitter"

	"github.com/mcp-memory/servers/internal/codebase"
)

// role says what a syntax node means to the walker.
type role uint8

const (
	roleCode        role = iota // anything else: top-level code, or part of its class
	roleComment                 // a comment: doc of the next declaration when adjacent
	rolePrefix                  // an attribute before a declaration (Rust #[...])
	roleHeader                  // package clause, import, include, use
	roleNeutral                 // part of the header when it comes in it, else code (#define)
	roleDecl                    // function, method, class or type
	roleWrapper                 // export, decorators: the inner declaration decides
	roleTransparent             // #ifdef blocks: their children are walked in place
	roleNamespace               // TS namespace, Rust inline mod: children walked with a prefix
	roleVarDecl                 // JS const f = () => {}: a function when it holds one
	roleExprStmt                // JS a.b = function(){}, TS namespace, docstrings
)

// nameFunc extracts a declaration's name and, for methods declared outside
// their type (Go receivers, Rust impl, JS prototypes), the owner type.
type nameFunc func(w *walker, n *sitter.Node) (name, owner string)

// spec describes one node kind of one grammar.
type spec struct {
	role role
	// kind is the chunk kind of a declaration; KindFunction turns into
	// KindMethod inside a class.
	kind string
	// container says the declaration's body holds members that become
	// their own chunks (class, impl, trait).
	container bool
	// needsBody makes a body-less declaration (an abstract method, a
	// forward struct declaration) plain code of its scope.
	needsBody bool
	// sigFromInner starts a wrapper's signature at its inner declaration
	// (Python decorators are left out; TypeScript "export" is kept).
	sigFromInner bool
	name         nameFunc
}

// grammar is the static description of one language.
type grammar struct {
	language func() unsafe.Pointer
	comments []string
	nodes    map[string]spec
	// sigSkip are leading children left out of signatures (decorators,
	// annotations); modifiers nodes are searched for them too.
	sigSkip []string
}

// language is a grammar resolved against its tree-sitter Language: node
// kinds and fields by numeric id, and idle parsers.
type language struct {
	name     string
	ts       *sitter.Language
	specs    []*spec // by kind id
	sigSkip  []bool  // by kind id
	hasSkip  bool
	modifier []bool // by kind id: "modifiers" nodes
	fields   fieldIDs
	// commentStart is the first byte of every comment: '/' or '#'.
	commentStart byte
	idle         chan *worker

	mu     sync.Mutex // orders put against close
	closed bool
}

type fieldIDs struct {
	name, body, declaration, definition, declarator, receiver, typ, value, left, right uint16
}

func newLanguage(name string, g grammar, maxIdle int) *language {
	ts := sitter.NewLanguage(g.language())
	l := &language{name: name, ts: ts, idle: make(chan *worker, maxIdle)}
	n := int(ts.NodeKindCount())
	l.specs = make([]*spec, n)
	l.sigSkip = make([]bool, n)
	l.modifier = make([]bool, n)
	l.hasSkip = len(g.sigSkip) > 0
	comments := make(map[string]bool, len(g.comments))
	for _, c := range g.comments {
		comments[c] = true
	}
	skip := make(map[string]bool, len(g.sigSkip))
	for _, s := range g.sigSkip {
		skip[s] = true
	}
	// Walk the ids instead of looking names up: a grammar may give one
	// name several ids, and the binding's name lookups leak a C string.
	for id := 0; id < n; id++ {
		if !ts.NodeKindIsNamed(uint16(id)) {
			continue
		}
		k := ts.NodeKindForId(uint16(id))
		switch {
		case comments[k]:
			l.specs[id] = &spec{role: roleComment}
		default:
			if s, ok := g.nodes[k]; ok {
				l.specs[id] = &s
			}
		}
		l.sigSkip[id] = skip[k]
		l.modifier[id] = k == "modifiers"
	}
	for id := uint16(1); id <= uint16(ts.FieldCount()); id++ {
		switch ts.FieldNameForId(id) {
		case "name":
			l.fields.name = id
		case "body":
			l.fields.body = id
		case "declaration":
			l.fields.declaration = id
		case "definition":
			l.fields.definition = id
		case "declarator":
			l.fields.declarator = id
		case "receiver":
			l.fields.receiver = id
		case "type":
			l.fields.typ = id
		case "value":
			l.fields.value = id
		case "left":
			l.fields.left = id
		case "right":
			l.fields.right = id
		}
	}
	l.commentStart = '/'
	if name == "python" {
		l.commentStart = '#'
	}
	return l
}

func (l *language) spec(n *sitter.Node) *spec {
	id := int(n.KindId())
	if id < len(l.specs) {
		return l.specs[id]
	}
	return nil
}

func (l *language) isKind(n *sitter.Node, table []bool) bool {
	id := int(n.KindId())
	return id < len(table) && table[id]
}

// get borrows an idle parser or makes one.
func (l *language) get(budget time.Duration) *worker {
	select {
	case w := <-l.idle:
		return w
	default:
	}
	p := sitter.NewParser()
	if err := p.SetLanguage(l.ts); err != nil {
		// Cannot happen with the pinned grammars (ABI 14 and 15 are both
		// accepted); the parser then returns no tree and the file falls
		// back to line windows.
		_ = err
	}
	// The deprecated timeout is used instead of ParseOptions.ProgressCallback
	// because ParseWithOptions in go-tree-sitter v0.25.0 never releases the
	// handle it saves for the options: one C allocation leaked per parse.
	p.SetTimeoutMicros(uint64(budget / time.Microsecond))
	return &worker{parser: p}
}

// put returns a parser to the free list, or closes it when the list is
// full, the chunker is closed or the parser timed out (worker.parse).
func (l *language) put(w *worker) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed || w.spent {
		w.close()
		return
	}
	select {
	case l.idle <- w:
	default:
		w.close()
	}
}

// close closes the idle parsers; parsers in use are closed when returned.
func (l *language) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	for {
		select {
		case w := <-l.idle:
			w.close()
		default:
			return
		}
	}
}

// Chunk kinds used in the grammar tables.
const (
	kFunc  = codebase.KindFunction
	kClass = codebase.KindClass
	kType  = codebase.KindType
	kConst = codebase.KindConstants
)
