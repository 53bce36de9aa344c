package flows

import "errors"

// Sentinel errors of the domain. web maps them to HTTP statuses; nothing below
// web knows about HTTP statuses.
var (
	ErrNotFound     = errors.New("not found")
	ErrConflict     = errors.New("conflict")
	ErrInvalid      = errors.New("invalid")
	ErrUnauthorized = errors.New("unauthorized")
	ErrForbidden    = errors.New("forbidden")
	ErrThrottled    = errors.New("too many attempts")
)
