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

// AuditEntry is one recorded admin action: who did what to what, and when.
type AuditEntry struct {
	ID      int64
	At      time.Time
	Actor   string
	Action  string
	Subject string
	Detail  string
}
