package store

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/klauspost/compress/zstd"
)

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

// Unpack restores an execution document from the executions.packed column,
// for tools that read the database directly (the benchmark).
func Unpack(packed []byte) ([]byte, error) { return thePacker.unpack(packed) }

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

// UnpackAll restores the documents of a pack (the execution_packs.packed
// column), for tools that read the database directly (the benchmark).
func UnpackAll(packed []byte) ([][]byte, error) {
	pack, err := thePacker.unpack(packed)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for len(pack) > 0 {
		var doc []byte
		if doc, pack, err = nextDoc(pack); err != nil {
			return nil, err
		}
		out = append(out, doc)
	}
	return out, nil
}
