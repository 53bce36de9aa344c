package flows_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/flows"
)

func TestListQueryCheck(t *testing.T) {
	for _, tc := range []struct {
		name      string
		in        flows.ListQuery
		wantLimit int
		wantErr   string
	}{
		{"default limit", flows.ListQuery{}, flows.DefaultListLimit, ""},
		{"largest page", flows.ListQuery{Limit: 100}, 100, ""},
		{"page too large", flows.ListQuery{Limit: 101}, 0, "1 to 100, not 101"},
		{"negative limit", flows.ListQuery{Limit: -1}, 0, "1 to 100, not -1"},
		{"negative offset", flows.ListQuery{Offset: -3}, 0, "0 or more, not -3"},
		{"cursor and offset", flows.ListQuery{Cursor: "x", Offset: 2}, 0, "either a cursor or an offset"},
		{"cursor", flows.ListQuery{Cursor: "x", Limit: 5}, 5, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := tc.in
			err := q.Check()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.wantErr != "" && (err == nil || !errors.Is(err, flows.ErrInvalid) || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("error %v, want ErrInvalid saying %q", err, tc.wantErr)
			case tc.wantErr == "" && q.Limit != tc.wantLimit:
				t.Fatalf("limit %d, want %d", q.Limit, tc.wantLimit)
			}
		})
	}
}

func TestConnectionMaskedValues(t *testing.T) {
	basic := flows.AuthDefinition{Kind: flows.AuthBasic}
	for _, tc := range []struct {
		name   string
		values map[string]string
		want   map[string]string
	}{
		{"secret masked", map[string]string{"username": "ada", "password": "pw"}, map[string]string{"username": "ada", "password": flows.Masked}},
		{"empty secret stays empty", map[string]string{"username": "ada", "password": ""}, map[string]string{"username": "ada", "password": ""}},
		{"fields the auth no longer has are left out", map[string]string{"username": "ada", "token": "t"}, map[string]string{"username": "ada"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := flows.Connection{Values: tc.values}.MaskedValues(basic)
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func TestStaleErrorIsAConflict(t *testing.T) {
	var err error = &flows.StaleError{What: "flow", Revision: 2, Now: 3}
	if !errors.Is(err, flows.ErrConflict) || !strings.Contains(err.Error(), "changed since revision 2 (it is at revision 3 now)") {
		t.Fatalf("%v", err)
	}
}
