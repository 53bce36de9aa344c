package flows

import (
	"reflect"
	"testing"
)

// TestPollInputs splits a poll's Return output into the workspace runs
// each run mode makes: each record once; the list once when there are
// records; once every time, records or not; once only when there are none.
func TestPollInputs(t *testing.T) {
	two := map[string]any{"next": "t2", "records": []any{map[string]any{"id": 1.0}, map[string]any{"id": 2.0}}}
	none := map[string]any{"next": "t1", "records": []any{}}
	missing := map[string]any{"next": "t1"}
	tests := []struct {
		name    string
		mode    RunMode
		path    string
		out     map[string]any
		want    []map[string]any
		records int
		wantErr bool
	}{
		{"each", RunEach, "records", two, []map[string]any{
			{"next": "t2", "records": map[string]any{"id": 1.0}}, {"next": "t2", "records": map[string]any{"id": 2.0}}}, 2, false},
		{"each of none", RunEach, "records", none, []map[string]any{}, 0, false},
		{"list", RunList, "records", two, []map[string]any{two}, 2, false},
		{"list of none runs nothing", RunList, "records", none, nil, 0, false},
		{"every time", RunEveryTime, "records", two, []map[string]any{two}, 2, false},
		{"every time with none", RunEveryTime, "records", missing, []map[string]any{{"next": "t1", "records": []any{}}}, 0, false},
		{"every time without a path", RunEveryTime, "", two, []map[string]any{two}, 0, false},
		{"no new data with some runs nothing", RunNoNewData, "records", two, nil, 2, false},
		{"no new data with none", RunNoNewData, "records", none, []map[string]any{none}, 0, false},
		{"a path inside a field", RunEach, "page.items", map[string]any{"page": map[string]any{"items": []any{"a"}}}, []map[string]any{{"page": "a"}}, 1, false},
		{"records that are no list", RunEach, "next", two, nil, 0, true},
		{"single is no polling mode", RunSingle, "records", two, nil, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, n, err := pollInputs(PollingSettings{RunMode: tt.mode, RecordsPath: tt.path}, tt.out)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			if tt.wantErr {
				return
			}
			if !reflect.DeepEqual(got, tt.want) || n != tt.records {
				t.Fatalf("got %v (%d records), want %v (%d)", got, n, tt.want, tt.records)
			}
		})
	}
}
