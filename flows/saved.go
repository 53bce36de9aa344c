package flows

import "time"

// Flow is a saved flow: its definition, the connector it belongs to (0 for a
// workspace flow) and its revision, which every save increments so that a
// save made from a stale copy is refused instead of overwriting newer work.
type Flow struct {
	ID          int64
	ConnectorID int64
	// FolderID is the folder a workspace flow sits in (0: none).
	FolderID   int64
	Revision   int
	Definition Definition
	CreatedAt  time.Time
	UpdatedAt  time.Time
}
