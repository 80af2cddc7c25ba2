package workflow

import (
	"encoding/base64"
	"encoding/json"
	"time"

	"github.com/mcp-memory/servers/internal/apperr"
)

// Paging limits shared by every list (docs/api.md "Lists, budgets and freshness").
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// Page asks for one page of a list: at most Limit items (0 means
// [DefaultLimit]) after the position encoded in Cursor (empty for the first
// page).
type Page struct {
	Limit  int
	Cursor string
}

// List is one page of items. NextCursor is empty on the last page.
type List[T any] struct {
	Items      []T
	NextCursor string
}

// Keyset is a decoded cursor: the sort key of the last item of the previous
// page. Lists order by keys that never change after insert (a creation or
// deployment time, a name, then the id), so paging while others write never
// skips or repeats an item that existed when paging began.
type Keyset struct {
	Time time.Time
	Key  string
	ID   string
}

// IsZero reports whether k is the start of the list.
func (k Keyset) IsZero() bool { return k.ID == "" }

// cursorJSON is the opaque cursor's content. Order ties a cursor to the
// list and ordering it came from, so it cannot be replayed elsewhere.
type cursorJSON struct {
	Order string    `json:"o"`
	Time  time.Time `json:"t,omitzero"`
	Key   string    `json:"k,omitempty"`
	ID    string    `json:"i"`
}

func encodeCursor(order string, k Keyset) string {
	b, _ := json.Marshal(cursorJSON{Order: order, Time: k.Time, Key: k.Key, ID: k.ID})
	return base64.RawURLEncoding.EncodeToString(b)
}

// limit validates p.Limit and returns the effective limit.
func (p Page) limit() (int, error) {
	switch {
	case p.Limit == 0:
		return DefaultLimit, nil
	case p.Limit < 1 || p.Limit > MaxLimit:
		return 0, apperr.Invalid("limit", "must be between 1 and %d, got %d", MaxLimit, p.Limit)
	}
	return p.Limit, nil
}

// keyset decodes p.Cursor, which must come from a list with the same order.
func (p Page) keyset(order string) (Keyset, error) {
	if p.Cursor == "" {
		return Keyset{}, nil
	}
	bad := apperr.Invalid("cursor", "not a cursor from this list; pass next_cursor from the previous answer unchanged, with the same filters and order")
	b, err := base64.RawURLEncoding.DecodeString(p.Cursor)
	if err != nil {
		return Keyset{}, bad
	}
	var c cursorJSON
	if err := json.Unmarshal(b, &c); err != nil || c.Order != order || c.ID == "" {
		return Keyset{}, bad
	}
	return Keyset{Time: c.Time, Key: c.Key, ID: c.ID}, nil
}

// pageOf trims items (fetched with limit+1) to limit and sets the next
// cursor from the last item kept.
func pageOf[T any](items []T, limit int, order string, key func(T) Keyset) List[T] {
	if len(items) <= limit {
		if items == nil {
			items = []T{}
		}
		return List[T]{Items: items}
	}
	items = items[:limit]
	return List[T]{Items: items, NextCursor: encodeCursor(order, key(items[limit-1]))}
}
