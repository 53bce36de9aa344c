package store

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// appendDocument appends an execution document as JSON: what
// encoding/json makes of executionData, decoding to the same values, in a
// fraction of its time. A document's values are the interpreter's — maps,
// lists, strings, numbers, booleans — which encoding/json reaches by
// reflection, sorting each map's keys by reflection too; anything else
// still goes through encoding/json.
func appendDocument(b []byte, d *executionData) ([]byte, error) {
	var err error
	b = append(b, '{')
	if d.FlowName != "" {
		b = append(b, `"flowName":`...)
		b = appendString(b, d.FlowName)
		b = append(b, ',')
	}
	if len(d.Input) > 0 {
		b = append(b, `"input":`...)
		if b, err = appendMap(b, d.Input); err != nil {
			return nil, err
		}
		b = append(b, ',')
	}
	if len(d.Output) > 0 {
		b = append(b, `"output":`...)
		if b, err = appendMap(b, d.Output); err != nil {
			return nil, err
		}
		b = append(b, ',')
	}
	if d.ErrorCard != "" {
		b = append(b, `"errorCard":`...)
		b = appendString(b, d.ErrorCard)
		b = append(b, ',')
	}
	b = append(b, `"steps":`...)
	if d.Steps == nil {
		return append(b, "null}"...), nil
	}
	b = append(b, '[')
	for i := range d.Steps {
		if i > 0 {
			b = append(b, ',')
		}
		if b, err = appendStep(b, &d.Steps[i]); err != nil {
			return nil, err
		}
	}
	return append(b, "]}"...), nil
}

// appendStep appends a stored step with the fields and names of its JSON
// tags (TestDocumentJSON holds the two together).
func appendStep(b []byte, s *storedStep) ([]byte, error) {
	var err error
	b = append(b, `{"cardId":`...)
	b = appendString(b, s.CardID)
	b = append(b, `,"type":`...)
	b = appendString(b, s.Type)
	if s.Label != "" {
		b = append(b, `,"label":`...)
		b = appendString(b, s.Label)
	}
	if s.Lane != "" {
		b = append(b, `,"lane":`...)
		b = appendString(b, s.Lane)
	}
	if len(s.Inputs) > 0 {
		b = append(b, `,"inputs":`...)
		if b, err = appendMap(b, s.Inputs); err != nil {
			return nil, err
		}
	}
	if len(s.Outputs) > 0 {
		b = append(b, `,"outputs":`...)
		if b, err = appendMap(b, s.Outputs); err != nil {
			return nil, err
		}
	}
	if s.Error != "" {
		b = append(b, `,"error":`...)
		b = appendString(b, s.Error)
	}
	b = append(b, `,"startedAt":`...)
	if b, err = appendTime(b, s.StartedAt); err != nil {
		return nil, err
	}
	b = append(b, `,"durationUs":`...)
	b = strconv.AppendInt(b, s.DurationUS, 10)
	if s.Attempts != 0 {
		b = append(b, `,"attempts":`...)
		b = strconv.AppendInt(b, int64(s.Attempts), 10)
	}
	if len(s.Children) > 0 {
		b = append(b, `,"children":[`...)
		for i, c := range s.Children {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, c)
		}
		b = append(b, ']')
	}
	if s.OutIsIn {
		b = append(b, `,"outIsIn":true`...)
	}
	if s.OutIsInput {
		b = append(b, `,"outIsInput":true`...)
	}
	if s.InIsOutput {
		b = append(b, `,"inIsOutput":true`...)
	}
	return append(b, '}'), nil
}

// appendTime appends t as encoding/json does (RFC 3339 with nanoseconds).
func appendTime(b []byte, t time.Time) ([]byte, error) {
	if y := t.Year(); y < 0 || y >= 10000 {
		return nil, fmt.Errorf("store: time %v out of range", t)
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"'), nil
}

// appendValue appends one of a document's values.
func appendValue(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendString(b, x), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case float64:
		return appendFloat(b, x)
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case map[string]any:
		return appendMap(b, x)
	case []any:
		b = append(b, '[')
		for i, y := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendValue(b, y); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	default:
		raw, err := json.Marshal(x)
		if err != nil {
			return nil, err
		}
		return append(b, raw...), nil
	}
}

// appendMap appends a map with its keys sorted, as encoding/json does; a
// nil map is null.
func appendMap(b []byte, m map[string]any) ([]byte, error) {
	if m == nil {
		return append(b, "null"...), nil
	}
	var buf [16]string
	keys := buf[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		var err error
		if b, err = appendValue(b, m[k]); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// appendFloat appends a number as encoding/json does.
func appendFloat(b []byte, f float64) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, fmt.Errorf("store: unsupported number %v", f)
	}
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		return strconv.AppendFloat(b, f, 'e', -1, 64), nil
	}
	return strconv.AppendFloat(b, f, 'f', -1, 64), nil
}

// appendString appends s as a JSON string. Bytes that are not UTF-8 become
// U+FFFD, as encoding/json makes them.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"
