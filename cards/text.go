package cards

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/hookflow/hookflow/flows"
)

const tText, tNumber, tBool, tDate, tObject, tAny = flows.TypeText, flows.TypeNumber, flows.TypeBool, flows.TypeDate, flows.TypeObject, flows.TypeAny

var textIn = req("text", "Text", tText, "")

func textCards() []flows.Card {
	c := flows.CategoryText
	compose := card("text.compose", "Compose", c, "Write text, with fields mapped into it.",
		[]flows.Field{opt("text", "Text", tText, "Type text and drop fields into it.")}, out("output", "Output", tText),
		func(_ context.Context, in flows.Input) (flows.Output, error) {
			return single("output", text(in, "text"))
		})
	concat := card("text.concatenate", "Concatenate", c, "Join texts in order, with an optional separator between them.",
		[]flows.Field{opt("separator", "Separator", tText, "Put between the texts.")}, out("output", "Output", tText),
		func(_ context.Context, in flows.Input) (flows.Output, error) {
			parts := make([]string, 0, len(in.Node.Inputs))
			for _, v := range extraValues(in) {
				s, err := flows.ToText(v)
				if err != nil {
					return nil, err
				}
				parts = append(parts, s)
			}
			return single("output", strings.Join(parts, text(in, "separator")))
		})
	concat.spec.ExtensibleInputs = true
	return []flows.Card{
		compose, concat,
		card("text.length", "Length", c, "The number of characters.", []flows.Field{textIn}, out("length", "Length", tNumber),
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				return single("length", float64(utf8.RuneCountInString(text(in, "text"))))
			}),
		card("text.split", "Split", c, "Cut text into a list at each separator.", []flows.Field{textIn, req("separator", "Separator", tText, "")},
			out("output", "Output", flows.ListOf(tText)),
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				return single("output", textList(strings.Split(text(in, "text"), text(in, "separator"))))
			}),
		card("text.replace", "Replace", c, "Replace every occurrence of a text.",
			[]flows.Field{textIn, req("find", "Find", tText, ""), opt("replace", "Replace with", tText, "")}, out("output", "Output", tText),
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				return single("output", strings.ReplaceAll(text(in, "text"), text(in, "find"), text(in, "replace")))
			}),
		card("text.find", "Find", c, "The position (from 0) of the first occurrence at or after start, or -1.",
			[]flows.Field{textIn, req("search", "Search for", tText, ""), opt("start", "Start", tNumber, "Character position to search from.")},
			out("position", "Position", tNumber),
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				r := []rune(text(in, "text"))
				start := int(num(in, "start"))
				if start < 0 || start > len(r) {
					return nil, fmt.Errorf("start %d is outside the text (length %d)", start, len(r))
				}
				i := strings.Index(string(r[start:]), text(in, "search"))
				if i < 0 {
					return single("position", -1.0)
				}
				return single("position", float64(start+utf8.RuneCountInString(string(r[start:])[:i])))
			}),
		card("text.find_pattern", "Find Pattern", c, "Every match of a regular expression (RE2 syntax).",
			[]flows.Field{textIn, req("pattern", "Pattern", tText, "e.g. [0-9]+")}, out("matches", "Matches", flows.ListOf(tText)),
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				re, err := regexp.Compile(text(in, "pattern"))
				if err != nil {
					return nil, fmt.Errorf("pattern: %w", err)
				}
				return single("matches", textList(re.FindAllString(text(in, "text"), -1)))
			}),
		card("text.segment", "Text Segment", c, "The part of the text from start (from 0), up to end (not included) or length characters long.",
			[]flows.Field{textIn, req("start", "Start", tNumber, ""), opt("length", "Length", tNumber, "Empty: to the end."),
				opt("end", "End before", tNumber, "Position the part ends before; empty: to the end. Give length or end, not both.")},
			out("output", "Output", tText), segment),
		card("text.find_last", "Find Last", c, "The position (from 0) of the last occurrence, or -1.",
			[]flows.Field{textIn, req("search", "Search for", tText, "")}, out("position", "Position", tNumber),
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				t := text(in, "text")
				i := strings.LastIndex(t, text(in, "search"))
				if i < 0 {
					return single("position", -1.0)
				}
				return single("position", float64(utf8.RuneCountInString(t[:i])))
			}),
		card("text.replace_patterns", "Replace Patterns", c, "Replace every match of each pattern (RE2 syntax), in order; $1 in a replacement is the first group.",
			[]flows.Field{textIn, req("patterns", "Patterns", flows.ListOf(tAny), "A list of {pattern, replacement} objects, or of patterns that take the replacement below."),
				opt("replacement", "Replacement", tText, "For patterns given as text.")},
			out("output", "Output", tText), replacePatterns),
		card("text.find_email", "Find Email", c, "The first email address in the text (empty when there is none), and all of them.",
			[]flows.Field{textIn}, []flows.Field{{Key: "email", Label: "Email", Type: tText}, {Key: "emails", Label: "Emails", Type: flows.ListOf(tText)}},
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				all := emailPattern.FindAllString(text(in, "text"), -1)
				first := ""
				if len(all) > 0 {
					first = all[0]
				}
				return flows.Output{"email": first, "emails": textList(all)}, nil
			}),
		card("text.upper", "Uppercase", c, "The text in upper case.", []flows.Field{textIn}, out("output", "Output", tText),
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				return single("output", strings.ToUpper(text(in, "text")))
			}),
		card("text.lower", "Lowercase", c, "The text in lower case.", []flows.Field{textIn}, out("output", "Output", tText),
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				return single("output", strings.ToLower(text(in, "text")))
			}),
		card("text.trim", "Trim", c, "The text without leading and trailing white space.", []flows.Field{textIn}, out("output", "Output", tText),
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				return single("output", strings.TrimSpace(text(in, "text")))
			}),
		card("text.base64_encode", "Base64 Encode", c, "Encode text as Base64 (standard or URL-safe alphabet).",
			[]flows.Field{textIn, opt("urlSafe", "URL safe", tBool, "")}, out("output", "Output", tText),
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				enc := base64.StdEncoding
				if boolean(in, "urlSafe") {
					enc = base64.URLEncoding
				}
				return single("output", enc.EncodeToString([]byte(text(in, "text"))))
			}),
		card("text.base64_decode", "Base64 Decode", c, "Decode Base64 text.",
			[]flows.Field{textIn, opt("urlSafe", "URL safe", tBool, "")}, out("output", "Output", tText),
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				b, err := base64Enc(in).DecodeString(strings.TrimRight(text(in, "text"), "="))
				if err != nil {
					return nil, fmt.Errorf("the text is not Base64: %w", err)
				}
				if !utf8.Valid(b) {
					return nil, errors.New("the decoded bytes are not UTF-8 text")
				}
				return single("output", string(b))
			}),
		card("text.random", "Random", c, "Random text of the given length from the given characters (default letters and digits).",
			[]flows.Field{req("length", "Length", tNumber, "1 to 1024"), opt("characters", "Characters", tText, "")}, out("output", "Output", tText),
			func(_ context.Context, in flows.Input) (flows.Output, error) {
				n := int(num(in, "length"))
				if n < 1 || n > 1024 {
					return nil, errors.New("length must be between 1 and 1024")
				}
				chars := []rune(text(in, "characters"))
				if len(chars) == 0 {
					chars = []rune("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
				}
				out := make([]rune, n)
				for i := range out {
					k, err := rand.Int(rand.Reader, big.NewInt(int64(len(chars))))
					if err != nil {
						return nil, err
					}
					out[i] = chars[k.Int64()]
				}
				return single("output", string(out))
			}),
	}
}

// base64Enc is the decoding alphabet; padding is trimmed before decoding.
func base64Enc(in flows.Input) *base64.Encoding {
	if boolean(in, "urlSafe") {
		return base64.RawURLEncoding
	}
	return base64.RawStdEncoding
}

// textList turns strings into a flows list.
func textList(ss []string) []any {
	l := make([]any, len(ss))
	for i, s := range ss {
		l[i] = s
	}
	return l
}

// segment is Text Segment: start with a length or an end.
func segment(_ context.Context, in flows.Input) (flows.Output, error) {
	r := []rune(text(in, "text"))
	start := int(num(in, "start"))
	if start < 0 || start > len(r) {
		return nil, fmt.Errorf("start %d is outside the text (length %d)", start, len(r))
	}
	end := len(r)
	switch {
	case in.Values["length"] != nil && in.Values["end"] != nil:
		return nil, errors.New("give length or end, not both")
	case in.Values["length"] != nil:
		if n := int(num(in, "length")); n < 0 {
			return nil, errors.New("length must not be negative")
		} else if start+n < end {
			end = start + n
		}
	case in.Values["end"] != nil:
		e := int(num(in, "end"))
		if e < start {
			return nil, fmt.Errorf("end %d is before start %d", e, start)
		}
		end = min(e, end)
	}
	return single("output", string(r[start:end]))
}

// replacePatterns is Replace Patterns.
func replacePatterns(_ context.Context, in flows.Input) (flows.Output, error) {
	s := text(in, "text")
	for i, p := range list(in, "patterns") {
		pattern, repl := "", text(in, "replacement")
		switch x := p.(type) {
		case string:
			pattern = x
		case map[string]any:
			pattern, _ = x["pattern"].(string)
			if r, ok := x["replacement"]; ok {
				var err error
				if repl, err = flows.ToText(r); err != nil {
					return nil, fmt.Errorf("pattern %d: replacement: %w", i+1, err)
				}
			}
		default:
			return nil, fmt.Errorf("pattern %d is neither text nor an object with pattern and replacement", i+1)
		}
		if pattern == "" {
			return nil, fmt.Errorf("pattern %d is empty", i+1)
		}
		re, err := regexp.Compile(pattern)
		if err != nil {
			return nil, fmt.Errorf("pattern %d %q is not a valid regular expression", i+1, pattern)
		}
		s = re.ReplaceAllString(s, repl)
	}
	return single("output", s)
}

// emailPattern matches an email address in running text.
var emailPattern = regexp.MustCompile(`[A-Za-z0-9.!#$%&'*+/=?^_{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+`)
