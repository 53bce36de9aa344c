package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/klauspost/compress/zstd"

	"github.com/hookflow/hookflow/flows"
)

// An execution is stored as a row of the columns that lists filter and
// sort on, and one document holding the rest (executionData as JSON).
// Documents are packed: those of executions written together share one
// zstd frame in execution_packs, and a row names its pack and its index
// there. This file is how a document is made, packed and found again.

// executionData is the part of an execution kept as one document.
type executionData struct {
	FlowName  string         `json:"flowName,omitempty"`
	Input     map[string]any `json:"input,omitempty"`
	Output    map[string]any `json:"output,omitempty"`
	ErrorCard string         `json:"errorCard,omitempty"`
	// WorkspaceFlow is the workspace flow a connector's run ran for.
	WorkspaceFlow int64        `json:"workspaceFlow,omitempty"`
	Steps         []storedStep `json:"steps"`
}

// storedStep is a step as stored: outputs equal to the step's inputs (the
// cards that pass their inputs on) or to the run's input (the event card),
// and inputs equal to the run's output (the Return card), are stored once
// and restored when read.
type storedStep struct {
	flows.Step
	OutIsIn    bool `json:"outIsIn,omitempty"`
	OutIsInput bool `json:"outIsInput,omitempty"`
	InIsOutput bool `json:"inIsOutput,omitempty"`
}

func storedSteps(e *flows.Execution) []storedStep {
	out := make([]storedStep, len(e.Steps))
	for i, st := range e.Steps {
		out[i].Step = st
		switch {
		case st.Outputs == nil:
		case i == 0 && e.Input != nil && sameMap(st.Outputs, e.Input):
			out[i].Outputs, out[i].OutIsInput = nil, true
		case st.Inputs != nil && sameMap(st.Outputs, st.Inputs):
			out[i].Outputs, out[i].OutIsIn = nil, true
		}
		if st.Inputs != nil && e.Output != nil && sameMap(st.Inputs, e.Output) {
			out[i].Inputs, out[i].InIsOutput = nil, true
		}
	}
	return out
}

// sameMap reports whether a and b hold the same values (a nil map and an
// empty one are the same: neither is stored). The interpreter often hands
// on the very same map, which is quick to tell.
func sameMap(a, b map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	if reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer() {
		return true
	}
	for k, x := range a {
		y, ok := b[k]
		if !ok || !sameValue(x, y) {
			return false
		}
	}
	return true
}

// sameValue is reflect.DeepEqual, without reflection for the values of
// the interpreter (maps, lists, text, numbers, booleans).
func sameValue(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case float64:
		y, ok := b.(float64)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case map[string]any:
		y, ok := b.(map[string]any)
		return ok && (x == nil) == (y == nil) && sameMap(x, y)
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) || (x == nil) != (y == nil) {
			return false
		}
		for i := range x {
			if !sameValue(x[i], y[i]) {
				return false
			}
		}
		return true
	default:
		return reflect.DeepEqual(a, b)
	}
}

func (d *executionData) steps() []flows.Step {
	out := make([]flows.Step, len(d.Steps))
	for i, st := range d.Steps {
		out[i] = st.Step
		if st.InIsOutput {
			out[i].Inputs = d.Output
		}
		switch {
		case st.OutIsInput:
			out[i].Outputs = d.Input
		case st.OutIsIn:
			out[i].Outputs = out[i].Inputs
		}
	}
	return out
}

// searchText is what full-text search finds an execution by: its flow's
// name, its errors, and the text and numbers its cards took and gave, each
// value once (a value passed from card to card is indexed once).
func searchText(e *flows.Execution) string { return new(searchIndexer).text(e) }

// searchIndexer makes search texts, reusing its buffer and set from one
// execution to the next.
type searchIndexer struct {
	b    []byte
	seen map[string]struct{}
}

func (x *searchIndexer) text(e *flows.Execution) string {
	x.b = x.b[:0]
	if x.seen == nil {
		x.seen = make(map[string]struct{}, 32)
	}
	clear(x.seen)
	x.add(e.FlowName)
	x.add(e.Error)
	x.add(e.Input)
	x.add(e.Output)
	for _, st := range e.Steps {
		x.add(st.Error)
		x.add(st.Inputs)
		x.add(st.Outputs)
	}
	if utf8.Valid(x.b) {
		return string(x.b)
	}
	return strings.ToValidUTF8(string(x.b), "\uFFFD") // Postgres takes only UTF-8
}

func (x *searchIndexer) add(v any) {
	if len(x.b) > 4000 {
		return
	}
	switch v := v.(type) {
	case string:
		if len(v) > 200 {
			v = v[:200]
		}
		x.word(v)
	case float64:
		x.word(strconv.FormatFloat(v, 'f', -1, 64))
	case map[string]any:
		for _, y := range v {
			x.add(y)
		}
	case []any:
		for _, y := range v {
			x.add(y)
		}
	}
}

func (x *searchIndexer) word(w string) {
	if _, ok := x.seen[w]; ok {
		return
	}
	x.seen[w] = struct{}{}
	x.b = append(x.b, w...)
	x.b = append(x.b, ' ')
}

// encodeExecution returns an execution's row without its document, and
// the document, appended to buf.
func encodeExecution(buf []byte, e *flows.Execution) (executionRecord, []byte, error) {
	d := executionData{FlowName: e.FlowName, Input: e.Input, Output: e.Output, ErrorCard: e.ErrorCard, WorkspaceFlow: e.WorkspaceFlow, Steps: storedSteps(e)}
	doc, err := appendDocument(buf, &d)
	if err != nil {
		return executionRecord{}, nil, fmt.Errorf("store: encode execution %s: %w", e.ID, err)
	}
	r := executionRecord{ID: e.ID, FlowID: e.FlowID, Trigger: string(e.Trigger), Status: string(e.Status),
		StartedAt: e.StartedAt.UTC(), Error: e.Error}
	if e.ParentID != "" {
		r.ParentID = &e.ParentID
	}
	if e.RerunOf != "" {
		r.RerunOf = &e.RerunOf
	}
	r.Revision = e.Revision
	if !e.FinishedAt.IsZero() {
		f := e.FinishedAt.UTC()
		r.FinishedAt = &f
		r.DurationUS = e.FinishedAt.Sub(e.StartedAt).Microseconds()
	}
	return r, doc, nil
}

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
	if d.WorkspaceFlow != 0 {
		b = append(b, `"workspaceFlow":`...)
		b = strconv.AppendInt(b, d.WorkspaceFlow, 10)
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
	if s.ErrorDetail != "" {
		b = append(b, `,"errorDetail":`...)
		b = appendString(b, s.ErrorDetail)
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

// An execution's document is stored packed: zstd at its fastest level,
// primed with a dictionary of the words every execution document repeats,
// so that even a small document shrinks to a third. The packed bytes begin
// with the dictionary's id; a dictionary, once shipped, never changes (a
// new one gets a new id, and the old one stays to read old rows).

// packDict1 is dictionary 1: the keys and common values of an execution
// document (executionData as JSON), most frequent last.
const packDict1 = `{"flowName":"","input":{},"output":{},"errorCard":"","error":"","lane":"","children":[],` +
	`"label":"","type":"object.construct","type":"control.if_else","type":"control.return",` +
	`"type":"http.request","status":200,"url":"https://",true,false,null,"id":"","name":"","email":"",` +
	`{"body":{"data":{},"headers":{"accept":"*/*","accept-encoding":"gzip","content-length":"","content-type":"application/json",` +
	`"user-agent":"Go-http-client/1.1"},"method":"POST","query":{}},` +
	`"steps":[{"cardId":"event","type":"event.webhook","startedAt":"2026-11-23T14:10:13.994145865Z","durationUs":0,"outIsInput":true},` +
	`{"cardId":"event","type":"event.connector","startedAt":"2026-11-23T14:10:13.994145865Z","durationUs":0,"outIsInput":true},` +
	`{"cardId":"","type":"","inputs":{"text":""},"outputs":{"output":""},"startedAt":"2026-11-23T14:10:13.994145865Z","durationUs":1,"attempts":1},` +
	`{"cardId":"","type":"","inputs":{},"outputs":{"output":{}},"startedAt":"2026-11-23T14:10:13.994145865Z","durationUs":0,"attempts":1,"outIsIn":true}]}`

// packer packs and unpacks execution documents; its coders are safe for
// concurrent use.
type packer struct {
	enc *zstd.Encoder
	dec *zstd.Decoder
}

var thePacker = func() *packer {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(4),
		zstd.WithEncoderDictRaw(1, []byte(packDict1)))
	if err != nil {
		panic(fmt.Sprintf("store: packer: %v", err))
	}
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(4), zstd.WithDecoderDictRaw(1, []byte(packDict1)),
		zstd.WithDecoderMaxMemory(64<<20))
	if err != nil {
		panic(fmt.Sprintf("store: packer: %v", err))
	}
	return &packer{enc: enc, dec: dec}
}()

// pack packs a document with the current dictionary.
func (p *packer) pack(doc []byte) []byte {
	out := binary.AppendUvarint(make([]byte, 0, len(doc)/4+64), 1)
	return p.enc.EncodeAll(doc, out)
}

// unpack restores a packed document.
func (p *packer) unpack(b []byte) ([]byte, error) {
	id, n := binary.Uvarint(b)
	if n <= 0 || id != 1 {
		return nil, errors.New("unknown packing")
	}
	return p.dec.DecodeAll(b[n:], nil)
}

// A pack holds the documents of executions written together (a piece of
// finished deliveries, see FinishDeliveries) in the execution_packs table:
// documents of the same flows compress far better side by side, and a pack
// costs the compressor's setup once instead of once per document. Its bytes
// are those of a packed document whose content is each document preceded by
// its length as a uvarint; an execution names its pack and its index there.

// appendToPack appends a document to the content of a pack.
func appendToPack(content, doc []byte) []byte {
	content = binary.AppendUvarint(content, uint64(len(doc)))
	return append(content, doc...)
}

// nextDoc splits the first document off an unpacked pack.
func nextDoc(pack []byte) (doc, rest []byte, err error) {
	n, k := binary.Uvarint(pack)
	if k <= 0 || n > uint64(len(pack)-k) {
		return nil, nil, errors.New("damaged pack")
	}
	return pack[k : k+int(n)], pack[k+int(n):], nil
}

// docAt returns document i of an unpacked pack.
func docAt(pack []byte, i int) ([]byte, error) {
	for ; ; i-- {
		doc, rest, err := nextDoc(pack)
		if err != nil || i == 0 {
			return doc, err
		}
		pack = rest
	}
}
