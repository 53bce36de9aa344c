package flows

import "time"

// User is a super admin who signs in to Hookflow.
type User struct {
	ID        int64
	Email     string
	CreatedAt time.Time
}

// APIToken is a personal API token. The secret itself is shown once at
// creation and stored only as a hash; Prefix identifies it in lists.
type APIToken struct {
	ID         int64
	UserID     int64
	Name       string
	Prefix     string
	CreatedAt  time.Time
	LastUsedAt *time.Time
}

// Session is a signed-in admin's browser session. It is kept on the
// server, so that it can be listed and ended; the browser's cookie holds
// only its token.
type Session struct {
	ID        int64
	UserID    int64
	CreatedAt time.Time
	// SeenAt is when it was last used, noted at most once a minute, from
	// Address with UserAgent.
	SeenAt    time.Time
	ExpiresAt time.Time
	Address   string
	UserAgent string
	// Data is what the web layer keeps in the session (its flash
	// messages), encoded by it; the store does not read it.
	Data string
}

// AuditEntry is one recorded admin action: who did what to what, and when.
type AuditEntry struct {
	ID      int64
	At      time.Time
	Actor   string
	Action  string
	Subject string
	Detail  string
}
