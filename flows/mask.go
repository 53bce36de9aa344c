package flows

import (
	"cmp"
	"maps"
	"slices"
	"strings"
)

// Secrets never reach the history in clear. What a run computes is never
// changed: only the copy of an execution that is recorded (Engine.stored)
// has every secret replaced by Masked, keys kept. A secret is
//
//   - a value of a field typed password: an input or output of a card, or
//     an input of the flow (its event card's outputs);
//   - the Registration Data a registration flow returns, and that a
//     deregistration flow gets;
//   - a value the run was given as secret (RunRequest.Secrets): the Event
//     URL's token, and the credentials that came with a request at the
//     Event URL (credentialName), which the lifecycle passes on.
//
// Once known, a secret is masked wherever it is in the recorded copy: in
// other cards' inputs and outputs, the run's input and output, and errors.

// Masked replaces a secret wherever Hookflow stores or shows a run or a
// request.
const Masked = "[masked]"

// minMaskedPart is the length from which a secret is masked where it is
// part of a longer text too (an Event URL holding its token, a header
// value inside a composed text); a shorter one is masked where it is a
// whole value, so that a short secret does not blank out ordinary words.
const minMaskedPart = 8

// credentialNames are header and query parameter names that carry a
// credential; so does every name holding one of credentialWords.
var (
	credentialNames = []string{"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "api-key", "api_key",
		"apikey", "x-apikey", "key", "access_token", "x-hub-signature", "x-hub-signature-256"}
	credentialWords = []string{"token", "secret", "signature", "password", "passwd", "apikey", "api-key", "api_key"}
)

// credentialName reports whether a header or query parameter of this
// name carries a credential, whatever its case.
func credentialName(name string) bool {
	n := strings.ToLower(name)
	if slices.Contains(credentialNames, n) {
		return true
	}
	return slices.ContainsFunc(credentialWords, func(w string) bool { return strings.Contains(n, w) })
}

// requestSecrets are the values of a request's headers and query
// parameters that carry credentials: by their names, and the headers
// named in also (the Event URL's secret or signature header).
func requestSecrets(d Delivery, also ...string) []string {
	var out []string
	named := func(name string) bool {
		return credentialName(name) || slices.ContainsFunc(also, func(a string) bool { return a != "" && strings.EqualFold(a, name) })
	}
	add := func(name, v string) {
		if v != "" && v != Masked && named(name) {
			out = append(out, v)
			// The credential of "Bearer <token>" alone, should a card cut it out.
			if scheme, cred, ok := strings.Cut(v, " "); ok && authScheme(scheme) && strings.TrimSpace(cred) != "" {
				out = append(out, strings.TrimSpace(cred))
			}
		}
	}
	for k, v := range d.Headers {
		add(k, v)
	}
	for k, v := range d.Query {
		add(k, v)
	}
	return out
}

// authScheme reports whether s may be the scheme of an Authorization
// value (Bearer, Basic, Token …): a short word of letters.
func authScheme(s string) bool {
	if s == "" || len(s) > 16 {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') {
			return false
		}
	}
	return true
}

// IsSecret reports whether a field's values are masked in the history:
// it is typed password, or a list of password.
func (t Type) IsSecret() bool {
	if elem, ok := t.Elem(); ok {
		return elem == TypePassword
	}
	return t == TypePassword
}

// secretKeys are the keys of a card's secret fields: its inputs and its
// outputs.
type secretKeys struct{ in, out []string }

// secretFields finds the secret fields of a flow's cards, by card id, and
// the keys of its input and output (the event card's and the Return
// cards' secret fields); nil when it has none.
func (e *Engine) secretFields(def *Definition) (byCard map[string]secretKeys, input, output []string) {
	add := func(id string, k secretKeys) {
		if len(k.in)+len(k.out) == 0 {
			return
		}
		if byCard == nil {
			byCard = map[string]secretKeys{}
		}
		byCard[id] = k
	}
	if spec, ok := eventSpecs[def.Event.Type]; ok {
		k := secretKeys{out: append(secretOf(spec.Outputs), secretOf(def.Event.Outputs)...)}
		if def.Kind == KindWebhookDeregistration {
			k.out = append(k.out, FieldRegistrationData)
		}
		input = k.out
		add(def.Event.ID, k)
	}
	var walk func(ns []Node)
	walk = func(ns []Node) {
		for i := range ns {
			n := &ns[i]
			var spec CardSpec
			if c, ok := e.controls[n.Type]; ok {
				spec = c.spec
			} else if e.reg != nil {
				if c, ok := e.reg.Lookup(n.Type); ok {
					spec = c.Spec()
				}
			}
			k := secretKeys{in: append(secretOf(spec.Inputs), secretOf(n.Inputs)...)}
			if n.Type == ControlReturn && def.Kind == KindWebhookRegistration {
				k.in = append(k.in, FieldRegistrationData)
			}
			if spec.MirrorInputs {
				k.out = k.in
			} else {
				k.out = append(secretOf(spec.Outputs), secretOf(n.Outputs)...)
			}
			if n.Type == ControlReturn {
				output = append(output, k.out...)
			}
			add(n.ID, k)
			for _, l := range n.Lanes {
				walk(l.Cards)
			}
		}
	}
	walk(def.Cards)
	return byCard, input, output
}

// secretOf lists the keys of the secret fields.
func secretOf(fs []Field) []string {
	var out []string
	for _, f := range fs {
		if f.Type.IsSecret() {
			out = append(out, f.Key)
		}
	}
	return out
}

// stored is what is recorded of an execution of req: its SavedCopy, with
// every secret masked. x itself is never changed, nor any value in it.
func (e *Engine) stored(req *RunRequest, x *Execution) *Execution {
	saved := x.SavedCopy(req.Definition.SavesData())
	byCard, input, output := e.secretFields(&req.Definition)
	if len(req.Secrets) == 0 && byCard == nil {
		return saved
	}
	m := newMasker(req.Secrets)
	// The secret fields' values, from the run as it ran: the saved copy
	// may have dropped them, not the errors that may quote them.
	m.addFields(x.Input, input)
	m.addFields(x.Output, output)
	for _, st := range x.Steps {
		if k, ok := byCard[st.CardID]; ok {
			m.addFields(st.Inputs, k.in)
			m.addFields(st.Outputs, k.out)
		}
	}
	m.sort()
	// Copied only once something is masked: most runs hold no secret.
	c := saved
	change := func() {
		if c == saved {
			cp := *saved
			cp.Steps = slices.Clone(saved.Steps)
			c = &cp
		}
	}
	if v, ok := m.object(saved.Input, input); ok {
		change()
		c.Input = v
	}
	if v, ok := m.object(saved.Output, output); ok {
		change()
		c.Output = v
	}
	if v, ok := m.text(saved.Error); ok {
		change()
		c.Error = v
	}
	for i := range saved.Steps {
		st := &saved.Steps[i]
		k := byCard[st.CardID]
		in, inChanged := m.object(st.Inputs, k.in)
		out, outChanged := m.object(st.Outputs, k.out)
		msg, msgChanged := m.text(st.Error)
		detail, detailChanged := m.text(st.ErrorDetail)
		if inChanged || outChanged || msgChanged || detailChanged {
			change()
			c.Steps[i].Inputs, c.Steps[i].Outputs, c.Steps[i].Error, c.Steps[i].ErrorDetail = in, out, msg, detail
		}
	}
	return c
}

// masker masks known secrets in values, copying what it changes.
type masker struct {
	whole []string // masked where they are a whole value (a few: a list is quicker than a map)
	parts []string // masked inside longer texts too, longest first
	nums  []float64
}

func newMasker(secrets []string) *masker {
	m := &masker{whole: make([]string, 0, len(secrets)+2)}
	for _, s := range secrets {
		m.addText(s)
	}
	return m
}

func (m *masker) addText(s string) {
	if s == "" || s == Masked || slices.Contains(m.whole, s) {
		return
	}
	m.whole = append(m.whole, s)
	if len(s) >= minMaskedPart {
		m.parts = append(m.parts, s)
	}
}

// addFields adds the values of the keys of o, every text and number in them.
func (m *masker) addFields(o map[string]any, keys []string) {
	for _, k := range keys {
		m.addLeaves(o[k])
	}
}

func (m *masker) addLeaves(v any) {
	switch x := v.(type) {
	case string:
		m.addText(x)
	case float64:
		if !slices.Contains(m.nums, x) {
			m.nums = append(m.nums, x)
		}
	case map[string]any:
		for _, y := range x {
			m.addLeaves(y)
		}
	case []any:
		for _, y := range x {
			m.addLeaves(y)
		}
	}
}

// sort puts the longer secrets first, so that one holding another is
// masked whole.
func (m *masker) sort() {
	slices.SortFunc(m.parts, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
}

// text masks the secrets in s.
func (m *masker) text(s string) (string, bool) {
	if s == "" {
		return s, false
	}
	if slices.Contains(m.whole, s) {
		return Masked, true
	}
	changed := false
	for _, p := range m.parts {
		if strings.Contains(s, p) {
			s, changed = strings.ReplaceAll(s, p, Masked), true
		}
	}
	return s, changed
}

// value masks the secrets in v: a copy of what changed, v itself otherwise.
func (m *masker) value(v any) (any, bool) {
	switch x := v.(type) {
	case string:
		if s, changed := m.text(x); changed {
			return s, true
		}
	case float64:
		if slices.Contains(m.nums, x) {
			return Masked, true
		}
	case map[string]any:
		if o, changed := m.object(x, nil); changed {
			return o, true
		}
	case []any:
		var out []any
		for i, y := range x {
			if ny, changed := m.value(y); changed {
				if out == nil {
					out = slices.Clone(x)
				}
				out[i] = ny
			}
		}
		if out != nil {
			return out, true
		}
	}
	return v, false
}

// object masks the secrets in o, and every value of its secret keys
// whole.
func (m *masker) object(o map[string]any, secret []string) (map[string]any, bool) {
	var out map[string]any
	for k, v := range o {
		var nv any
		var changed bool
		if slices.Contains(secret, k) {
			nv, changed = maskAll(v), v != nil
		} else {
			nv, changed = m.value(v)
		}
		if changed {
			if out == nil {
				out = maps.Clone(o)
			}
			out[k] = nv
		}
	}
	if out == nil {
		return o, false
	}
	return out, true
}

// maskAll masks every text, number and true/false in v, keeping the keys
// of objects and the length of lists.
func maskAll(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, y := range x {
			out[k] = maskAll(y)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, y := range x {
			out[i] = maskAll(y)
		}
		return out
	}
	return Masked
}
