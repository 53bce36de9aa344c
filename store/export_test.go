package store

import "context"

// TableText returns every row of a table as text, for tests that look for
// what must not be stored in the clear.
func TableText(ctx context.Context, s *Store, table string) (string, error) {
	var rows []map[string]any
	if err := s.db.WithContext(ctx).Table(table).Find(&rows).Error; err != nil {
		return "", err
	}
	var out []byte
	for _, r := range rows {
		for k, v := range r {
			out = append(out, k...)
			out = append(out, '=')
			switch x := v.(type) {
			case []byte:
				out = append(out, x...)
			case string:
				out = append(out, x...)
			}
			out = append(out, '\n')
		}
	}
	return string(out), nil
}
