package store

import (
	"database/sql"
	"fmt"
	"time"
)

// checkpointEvery is how often the checkpointer copies into the database
// file what was committed to SQLite's write-ahead log meanwhile.
const checkpointEvery = 50 * time.Millisecond

// writerCheckpointPages is the size of the write-ahead log, in pages, at
// which a commit checkpoints as SQLite does by default (at 1,000 pages):
// only should the checkpointer fall far behind, so the log stays bounded.
const writerCheckpointPages = 10000

// walSizeLimit is the size the write-ahead log file is cut back to when it
// starts over, after a burst made it grow.
const walSizeLimit = 16 << 20

// checkpointer checkpoints the write-ahead log on a connection of its own,
// beside the writer. A checkpoint copies pages and waits for the disk
// twice; in a commit it held up the one writer and every acknowledgement
// behind it, by up to half a second on a busy disk. Beside the writer it
// holds up nothing: SQLite lets commits go on during a checkpoint, and
// starts the log over once a checkpoint has copied all of it.
type checkpointer struct {
	db   *sql.DB
	done chan struct{}
}

// writerPragmas leave checkpoints to the checkpointer: each writer's
// connection (the main writer's and the recorder's) runs them when it
// opens.
var writerPragmas = []string{
	fmt.Sprintf("PRAGMA wal_autocheckpoint = %d", writerCheckpointPages),
	fmt.Sprintf("PRAGMA main.journal_size_limit = %d", walSizeLimit),
}

// startCheckpointer starts the checkpointer on the main file with the
// history's attached: it checkpoints both. Close stops it.
func (s *Store) startCheckpointer(path string) {
	db := openLite(path, 1, attachment{name: "history", path: s.historyPath()}, nil)
	s.checkpoints = &checkpointer{db: db, done: make(chan struct{})}
	go s.checkpointLoop()
}

// checkpointLoop runs a passive checkpoint of both files every
// checkpointEvery until the store closes. A passive checkpoint never
// waits: it copies what no reader still needs, and with nothing new to
// copy it costs next to nothing.
func (s *Store) checkpointLoop() {
	defer close(s.checkpoints.done)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-s.closed:
			return
		case <-t.C:
		}
		if _, err := s.checkpoints.db.Exec("PRAGMA wal_checkpoint(PASSIVE)"); err != nil {
			s.log.Warn("store: checkpoint", "err", err)
		}
	}
}

// stop waits for the checkpointer to end (Close has closed s.closed) and
// closes its connection.
func (c *checkpointer) stop() {
	<-c.done
	c.db.Close()
}
