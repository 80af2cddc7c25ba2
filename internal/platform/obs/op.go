package obs

import (
	"context"
	"sync"
)

// Op is the record of one request that exactly one layer logs and counts.
//
// The rule: the outermost layer that sees a request (the HTTP server for
// HTTP, the MCP server for stdio) writes its one log line, its one
// *_requests_total count and, when it took over 1 s, its one
// slow_operation warning. An inner layer (an MCP tool call carried by an
// HTTP request) does not log or count itself: it names the operation and
// reports its outcome with [Op.Claim], so the outer line carries the tool
// name and the tool's error code even though HTTP answered 200.
type Op struct {
	mu       sync.Mutex
	name     string
	err      error
	claimed  bool
	finished bool
}

type opKey struct{}

// NewContextWithOp returns ctx carrying a new Op, and the Op.
func NewContextWithOp(ctx context.Context) (context.Context, *Op) {
	op := &Op{}
	return context.WithValue(ctx, opKey{}, op), op
}

// OpFromContext returns the Op in ctx, or nil.
func OpFromContext(ctx context.Context) *Op {
	op, _ := ctx.Value(opKey{}).(*Op)
	return op
}

// Claim hands the logging and counting of operation name (with its error,
// nil on success) to the outer layer. It returns false, and the caller
// logs and counts itself, when o is nil, already finished (an SSE message
// is answered 202 before its tool runs) or already claimed (a JSON-RPC
// batch with several calls).
func (o *Op) Claim(name string, err error) bool {
	if o == nil {
		return false
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.finished || o.claimed {
		return false
	}
	o.name, o.err, o.claimed = name, err, true
	return true
}

// Finish ends o and returns what an inner layer claimed: its operation
// name, error and whether there was a claim at all.
func (o *Op) Finish() (name string, err error, claimed bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.finished = true
	return o.name, o.err, o.claimed
}
