package flows

import "fmt"

// Paging of the lists the API gives (connectors, connections, versions).
const (
	DefaultListLimit = 50
	MaxListLimit     = 100
)

// ListQuery asks for one page of a list. Text keeps the items whose name
// holds it (any case); ConnectorID keeps one connector's items. A page
// starts after Cursor (the Next of the page before) or, without one,
// after Offset items.
type ListQuery struct {
	Text        string
	ConnectorID int64
	Limit       int
	Cursor      string
	Offset      int
}

// Check fills in the default limit and refuses what no list answers.
func (q *ListQuery) Check() error {
	switch {
	case q.Limit == 0:
		q.Limit = DefaultListLimit
	case q.Limit < 1 || q.Limit > MaxListLimit:
		return fmt.Errorf("%w: the limit is a number of items, 1 to %d, not %d", ErrInvalid, MaxListLimit, q.Limit)
	}
	if q.Offset < 0 {
		return fmt.Errorf("%w: the offset is a number of items to skip, 0 or more, not %d", ErrInvalid, q.Offset)
	}
	if q.Offset > 0 && q.Cursor != "" {
		return fmt.Errorf("%w: give either a cursor or an offset, not both", ErrInvalid)
	}
	return nil
}

// Page is one page of a list; Next, when there are more items, is the
// cursor of the page after it.
type Page[T any] struct {
	Items []T
	Next  string
}
