package cards

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"github.com/hookflow/hookflow/flows"
)

func urlCards() []flows.Card {
	c := flows.CategoryURL
	return []flows.Card{
		card("url.encode_component", "URL Encode Component", c,
			"Encode text to put in one part of a URL (a query value or a path segment), as JavaScript's encodeURIComponent does: "+
				"every character but letters, digits and - _ . ! ~ * ' ( ) becomes %XX.",
			[]flows.Field{textIn}, out("output", "Output", tText),
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				return single("output", encodeComponent(text(in, "text")))
			}),
		card("url.decode_component", "URL Decode Component", c, "Decode text taken from a part of a URL: %xx escapes become the characters they stand for.",
			[]flows.Field{textIn}, out("output", "Output", tText),
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				s, err := url.PathUnescape(text(in, "text"))
				if err != nil {
					return nil, errors.New("the text is not URL-encoded: a % is not followed by two hex digits")
				}
				return single("output", s)
			}),
	}
}

// encodeComponent escapes s as JavaScript's encodeURIComponent does.
func encodeComponent(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if 'a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z' || '0' <= ch && ch <= '9' || strings.IndexByte("-_.!~*'()", ch) >= 0 {
			b.WriteByte(ch)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[ch>>4])
		b.WriteByte(hexDigits[ch&15])
	}
	return b.String()
}
