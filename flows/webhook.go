package flows

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// RunMode says how a Webhook Event flow's Return output starts the flows
// that use the card. Persisted.
type RunMode string

// The run modes.
const (
	RunSingle RunMode = "single" // the Return output starts the flow once
	RunEach   RunMode = "each"   // the Return output's records list starts it once per record
	RunList   RunMode = "list"   // the records list starts it once, as a list
)

// RunModes lists the run modes, for forms.
var RunModes = []RunMode{RunSingle, RunEach, RunList}

// WebhookSettings are a Webhook Event flow's card settings: the options a
// user fills when placing the card, the registration and deregistration
// flows with the options mapped onto their inputs, the run mode, and the
// Event URL's rules.
type WebhookSettings struct {
	Options        []Field         `json:"options,omitempty"`
	Registration   *FlowLink       `json:"registration,omitempty"`
	Deregistration *FlowLink       `json:"deregistration,omitempty"`
	RunMode        RunMode         `json:"runMode"`
	RecordsPath    string          `json:"recordsPath,omitempty"` // path of the records list in the Return output (each/list)
	Methods        []string        `json:"methods,omitempty"`     // accepted methods; empty means POST
	AckStatus      int             `json:"ackStatus,omitempty"`   // 200, 202 (default) or 204
	Security       WebhookSecurity `json:"security"`
	// ManualRegistration: the Event URL is set up at the service by hand
	// (copied from the flow's page); there are no registration flows.
	ManualRegistration bool `json:"manualRegistration,omitempty"`
}

// FlowLink points at a helper flow of the same connector and maps values
// onto its inputs: a reference to an option ({"ref": {"card": "options",
// "field": "<option key>"}}) or static text.
type FlowLink struct {
	Flow   int64              `json:"flow"`
	Inputs map[string]Binding `json:"inputs,omitempty"`
}

// OptionsCard is the card id under which a FlowLink refers to the options.
const OptionsCard = "options"

// WebhookSecurity are the Event URL's checks, applied before a payload is accepted.
type WebhookSecurity struct {
	// VerificationChallenge answers Okta's one-time verification GET
	// (x-okta-verification-challenge) with {"verification": …}.
	VerificationChallenge bool `json:"verificationChallenge,omitempty"`
	// SecretHeader is a header that must carry the secret.
	SecretHeader string `json:"secretHeader,omitempty"`
	// SignatureHeader carries an HMAC-SHA256 of the body made with the secret.
	SignatureHeader string `json:"signatureHeader,omitempty"`
	// Secret is where the secret comes from: "connection.<field>" or
	// "registration.<path into Registration Data>".
	Secret string `json:"secret,omitempty"`
	// DedupeHeader or DedupePath (into the JSON body) identify a delivery;
	// a repeated one is acknowledged but not run again.
	DedupeHeader string `json:"dedupeHeader,omitempty"`
	DedupePath   string `json:"dedupePath,omitempty"`
}

// validateWebhook checks a Webhook Event flow's settings on their own;
// the links to other flows are checked with the connector.
func (v *validator) webhook(def *Definition) {
	w := def.Webhook
	if w == nil {
		return
	}
	if def.Kind != KindWebhookEvent {
		v.add("", "", "webhook", "webhook", "only a Webhook Event flow has webhook settings")
		return
	}
	v.fieldKeys(OptionsCard, w.Options, false)
	if !slices.Contains(RunModes, w.RunMode) {
		v.add("", "", "webhook.runMode", "webhook", "choose a run mode: single record, each record or list of records")
	}
	if w.RunMode != RunSingle && w.RecordsPath == "" {
		v.add("", "", "webhook.recordsPath", "webhook", "name where the records list is in the Return output (e.g. data.events)")
	}
	for _, m := range w.Methods {
		if !slices.Contains([]string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}, m) {
			v.add("", "", "webhook.methods", "webhook", "%q is not a method an Event URL accepts", m)
		}
	}
	if w.AckStatus != 0 && w.AckStatus != 200 && w.AckStatus != 202 && w.AckStatus != 204 {
		v.add("", "", "webhook.ackStatus", "webhook", "acknowledge with 200, 202 or 204")
	}
	s := w.Security
	if (s.SecretHeader != "" || s.SignatureHeader != "") && !strings.HasPrefix(s.Secret, "connection.") && !strings.HasPrefix(s.Secret, "registration.") {
		v.add("", "", "webhook.security.secret", "webhook", "say where the secret comes from: connection.<field> or registration.<path>")
	}
	if s.SecretHeader != "" && s.SignatureHeader != "" {
		v.add("", "", "webhook.security.signatureHeader", "webhook", "use a secret header or an HMAC signature, not both")
	}
	if s.DedupeHeader != "" && s.DedupePath != "" {
		v.add("", "", "webhook.security.dedupePath", "webhook", "dedupe by a header or by a path into the body, not both")
	}
	for _, l := range []*FlowLink{w.Registration, w.Deregistration} {
		if l == nil {
			continue
		}
		for key, b := range l.Inputs {
			if b.Ref != nil && (b.Ref.Card != OptionsCard || !slices.ContainsFunc(w.Options, func(f Field) bool { return f.Key == b.Ref.Field })) {
				v.add("", "", "webhook.link."+key, "webhook", "%q is mapped to %s.%s, which is not an option of the card", key, b.Ref.Card, b.Ref.Field)
			}
		}
	}
}

// validateLinks checks a Webhook Event flow's links against the connector's
// flows, keyed as in an export (by id).
func validateLinks(def *Definition, byKey map[string]*Definition) []Problem {
	w := def.Webhook
	var ps []Problem
	add := func(field, format string, args ...any) {
		ps = append(ps, Problem{Field: field, Code: "webhook", Message: fmt.Sprintf("flow %q: ", def.Name) + fmt.Sprintf(format, args...)})
	}
	if w == nil {
		add("webhook", "configure the registration and deregistration flows of the Webhook Event card")
		return ps
	}
	if w.ManualRegistration {
		if w.Registration != nil || w.Deregistration != nil {
			add("webhook", "an Event URL registered by hand has no registration or deregistration flow")
		}
		return ps
	}
	check := func(l *FlowLink, kind Kind, what string, implicit string) {
		if l == nil {
			add("webhook."+what, "choose the %s flow", what)
			return
		}
		target, ok := byKey[strconv.FormatInt(l.Flow, 10)]
		if !ok || target.Kind != kind {
			add("webhook."+what, "the %s flow must be a %s flow of this connector", what, kind)
			return
		}
		spec := eventSpecs[target.Event.Type]
		fields := spec.OutputFields(&target.Event)
		for key := range l.Inputs {
			if !slices.ContainsFunc(fields, func(f Field) bool { return f.Key == key }) || key == implicit {
				add("webhook."+what, "the %s flow has no input %q to map", what, key)
			}
		}
		for _, f := range fields {
			if _, mapped := l.Inputs[f.Key]; f.Required && !mapped && f.Key != implicit {
				add("webhook."+what, "the %s flow's input %q needs a value", what, f.Key)
			}
		}
	}
	check(w.Registration, KindWebhookRegistration, "registration", FieldEventURL)
	check(w.Deregistration, KindWebhookDeregistration, "deregistration", FieldRegistrationData)
	return ps
}
