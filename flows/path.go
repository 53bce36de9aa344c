package flows

import (
	"fmt"
	"strconv"
	"strings"
)

// Lookup follows a dotted path into v: object keys, and list indexes
// ("items.0.id"). An empty path is v itself. A missing key gives nil; a path
// through a value that is neither object nor list is an error.
func Lookup(v any, path string) (any, error) {
	if path == "" {
		return v, nil
	}
	cur := v
	for part := range strings.SplitSeq(path, ".") {
		switch x := cur.(type) {
		case map[string]any:
			cur = x[part]
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil {
				return nil, fmt.Errorf("the path %q: %q is not a list index", path, part)
			}
			if i < 0 {
				i += len(x)
			}
			if i < 0 || i >= len(x) {
				return nil, nil
			}
			cur = x[i]
		case nil:
			return nil, nil
		default:
			return nil, fmt.Errorf("the path %q cannot look into %s at %q", path, TypeOf(cur), part)
		}
	}
	return cur, nil
}
