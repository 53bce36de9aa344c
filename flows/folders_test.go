package flows_test

import (
	"strings"
	"testing"

	"github.com/hookflow/hookflow/flows"
)

func TestFreeName(t *testing.T) {
	long := strings.Repeat("x", flows.MaxNameLength)
	for _, tc := range []struct {
		name, in string
		taken    []string
		want     string
	}{
		{"free", "Okta", []string{"Other"}, "Okta"},
		{"taken in another case", "Okta", []string{"okta"}, "Okta (2)"},
		{"next free number", "Okta", []string{"Okta", "Okta (2)", "OKTA (3)"}, "Okta (4)"},
		{"long names keep within the limit", long, []string{long}, long[:flows.MaxNameLength-4] + " (2)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := flows.FreeName(tc.in, tc.taken); got != tc.want {
				t.Fatalf("FreeName(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestCheckFolderName(t *testing.T) {
	if n, err := flows.CheckFolderName("  Okta  "); err != nil || n != "Okta" {
		t.Fatalf("CheckFolderName = %q, %v", n, err)
	}
	for _, bad := range []string{"", "   ", strings.Repeat("y", flows.MaxNameLength+1)} {
		if _, err := flows.CheckFolderName(bad); err == nil {
			t.Errorf("CheckFolderName(%q) passed", bad)
		}
	}
}
