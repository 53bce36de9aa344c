package cards

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"

	"github.com/hookflow/hookflow/flows"
)

var algorithms = map[string]func() hash.Hash{"sha1": sha1.New, "sha256": sha256.New, "sha512": sha512.New}

func digestFields() []flows.Field {
	return []flows.Field{
		{Key: "algorithm", Label: "Algorithm", Type: tText, Required: true, Choices: []string{"sha1", "sha256", "sha512"}, Default: "sha256"},
		{Key: "encoding", Label: "Output encoding", Type: tText, Choices: []string{"hex", "base64"}, Default: "hex"},
	}
}

func digest(in flows.Input, key []byte, msg string) (flows.Output, error) {
	newHash, ok := algorithms[text(in, "algorithm")]
	if !ok {
		return nil, fmt.Errorf("unknown algorithm %q", text(in, "algorithm"))
	}
	var h hash.Hash
	if key != nil {
		h = hmac.New(newHash, key)
	} else {
		h = newHash()
	}
	h.Write([]byte(msg))
	sum := h.Sum(nil)
	switch text(in, "encoding") {
	case "", "hex":
		return single("output", hex.EncodeToString(sum))
	case "base64":
		return single("output", base64.StdEncoding.EncodeToString(sum))
	}
	return nil, fmt.Errorf("unknown encoding %q", text(in, "encoding"))
}

func cryptoCards() []flows.Card {
	c := flows.CategoryCrypto
	return []flows.Card{
		card("crypto.hmac", "HMAC", c, "Sign a message with a secret key (HMAC-SHA-1/256/512).",
			append([]flows.Field{req("key", "Key", tText, ""), opt("message", "Message", tText, "")}, digestFields()...), out("output", "Signature", tText),
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				return digest(in, []byte(text(in, "key")), text(in, "message"))
			}),
		card("crypto.hash", "Hash", c, "The SHA-1/256/512 digest of a text.",
			append([]flows.Field{opt("text", "Text", tText, "")}, digestFields()...), out("output", "Digest", tText),
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				return digest(in, nil, text(in, "text"))
			}),
		card("crypto.uuid", "UUID", c, "A random UUID (version 4).", nil, out("output", "UUID", tText),
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				var b [16]byte
				if _, err := rand.Read(b[:]); err != nil {
					return nil, err
				}
				b[6] = b[6]&0x0f | 0x40
				b[8] = b[8]&0x3f | 0x80
				h := hex.EncodeToString(b[:])
				return single("output", h[:8]+"-"+h[8:12]+"-"+h[12:16]+"-"+h[16:20]+"-"+h[20:])
			}),
	}
}
