package flows

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
)

// DescribeJSONError says in plain words what is wrong with the JSON
// document b, given the error that decoding it gave: where (a path such
// as cards[2].inputs) and what was expected. It never names Go types.
func DescribeJSONError(b []byte, err error) string {
	var (
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &syntax):
		line, col := position(b, syntax.Offset)
		return fmt.Sprintf("the body is not valid JSON: %s (line %d, column %d)", syntax.Error(), line, col)
	case errors.As(err, &typ):
		want, got := jsonKind(typ.Type), jsonValue(typ.Value)
		if path := jsonPath(b, typ.Offset); path != "" {
			return fmt.Sprintf("the field %q must be %s, not %s", path, want, got)
		}
		if typ.Field != "" {
			return fmt.Sprintf("the field %q must be %s, not %s", typ.Field, want, got)
		}
		return fmt.Sprintf("the body must be %s, not %s", want, got)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the body ends before its JSON document does"
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if field, ok := strings.CutPrefix(msg, "unknown field "); ok {
		return "the document has an unknown field " + field
	}
	return "the body is not a valid document: " + msg
}

// jsonKind names what a value decoded into t must be, in JSON's words.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.String:
		return "text"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "another kind of value"
}

// jsonValue names the JSON value the decoder found ("string", "number 1.5").
func jsonValue(v string) string {
	if n, ok := strings.CutPrefix(v, "number "); ok {
		return n
	}
	switch v {
	case "string":
		return "text"
	case "number":
		return "a number"
	case "bool":
		return "true or false"
	case "array":
		return "a list"
	case "object":
		return "an object"
	}
	return v
}

// jsonPath is the path (cards[2].inputs) of the value of the JSON
// document b that ends at or spans offset; "" for the document itself.
func jsonPath(b []byte, offset int64) string {
	type frame struct {
		object  bool
		key     string
		index   int
		wantKey bool
	}
	var stack []frame
	path := func() string {
		var sb strings.Builder
		for _, f := range stack {
			if f.object {
				if sb.Len() > 0 {
					sb.WriteByte('.')
				}
				sb.WriteString(f.key)
			} else {
				sb.WriteString("[" + strconv.Itoa(f.index) + "]")
			}
		}
		return sb.String()
	}
	// done moves past a value: its object waits for the next key, its
	// list counts on.
	done := func() {
		if n := len(stack); n > 0 {
			if stack[n-1].object {
				stack[n-1].wantKey = true
			} else {
				stack[n-1].index++
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		delim, isDelim := tok.(json.Delim)
		if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].wantKey {
			if isDelim { // '}'
				stack = stack[:n-1]
				done()
			} else {
				stack[n-1].key, stack[n-1].wantKey = fmt.Sprint(tok), false
			}
			continue
		}
		if isDelim && delim == ']' {
			stack = stack[:len(stack)-1]
			done()
			continue
		}
		if dec.InputOffset() >= offset {
			return path()
		}
		if isDelim {
			stack = append(stack, frame{object: delim == '{', wantKey: delim == '{'})
			continue
		}
		done()
	}
}

// position is the line and column of a byte offset in b, from 1.
func position(b []byte, offset int64) (line, col int) {
	offset = min(max(offset, 0), int64(len(b)))
	before := b[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	return line, int(offset) - (bytes.LastIndexByte(before, '\n') + 1)
}
