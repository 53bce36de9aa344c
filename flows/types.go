package flows

import "strings"

// Type is the data type of a card field. Persisted in flow documents; the
// tokens never change.
type Type string

// The field types of Okta Workflows. A list type is written "list<T>", see ListOf.
const (
	TypeText   Type = "text"
	TypeNumber Type = "number"
	TypeBool   Type = "boolean"
	TypeDate   Type = "datetime"
	TypeObject Type = "object"
	TypeAny    Type = "any"
	// TypePassword is text that is never stored in clear: the history
	// shows it masked (see mask.go). It converts as text does.
	TypePassword Type = "password"
)

// ListOf returns the type "list of elem".
func ListOf(elem Type) Type { return "list<" + elem + ">" }

// Elem reports the element type of a list type, and whether t is a list.
// A bare "list" is a list of any.
func (t Type) Elem() (Type, bool) {
	if t == "list" {
		return TypeAny, true
	}
	s := string(t)
	if strings.HasPrefix(s, "list<") && strings.HasSuffix(s, ">") {
		return Type(s[len("list<") : len(s)-1]), true
	}
	return "", false
}

// Valid reports whether t is a known type.
func (t Type) Valid() bool {
	if elem, ok := t.Elem(); ok {
		return elem.Valid()
	}
	switch t {
	case TypeText, TypeNumber, TypeBool, TypeDate, TypeObject, TypeAny, TypePassword:
		return true
	}
	return false
}
