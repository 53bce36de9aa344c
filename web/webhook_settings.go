package web

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/templates"
)

// webhookPanel fills the Webhook Event settings panel of a flow's page.
func (s *Server) webhookPanel(c echo.Context, con flows.Connector, f flows.Flow) (*templates.WebhookPanel, error) {
	if f.Definition.Kind != flows.KindWebhookEvent {
		return nil, nil
	}
	siblings, err := s.store.Flows(c.Request().Context(), con.ID)
	if err != nil {
		return nil, err
	}
	wp := &templates.WebhookPanel{Errors: templates.FormErrors{}}
	if f.Definition.Webhook != nil {
		wp.Settings = *f.Definition.Webhook
	}
	inputsOf := func(l *flows.FlowLink, implicit string) []flows.Field {
		if l == nil {
			return nil
		}
		for _, sib := range siblings {
			if sib.ID == l.Flow {
				spec := s.spec(sib.Definition.Event.Type)
				return slices.DeleteFunc(slices.Clone(spec.OutputFields(&sib.Definition.Event)), func(x flows.Field) bool { return x.Key == implicit })
			}
		}
		return nil
	}
	for _, sib := range siblings {
		switch sib.Definition.Kind {
		case flows.KindWebhookRegistration:
			wp.Registrations = append(wp.Registrations, sib)
		case flows.KindWebhookDeregistration:
			wp.Deregistrations = append(wp.Deregistrations, sib)
		}
	}
	wp.RegInputs = inputsOf(wp.Settings.Registration, flows.FieldEventURL)
	wp.DeregInputs = inputsOf(wp.Settings.Deregistration, flows.FieldRegistrationData)
	// What this flow's settings lack, as Deploy would say it.
	x := flows.ExportConnector(con, siblings)
	for _, p := range problemsOf(flows.ValidateConnector(x, s.registry)) {
		if strings.HasPrefix(p.Field, "webhook") && strings.Contains(p.Message, fmt.Sprintf("flow %q", f.Definition.Name)) {
			wp.Errors[p.Field] = p.Message
		}
	}
	return wp, nil
}

// flowWebhook saves the Webhook Event card settings from the panel's form.
func (s *Server) flowWebhook(c echo.Context) error {
	con, f, err := s.connectorFlowParams(c)
	if err != nil {
		return err
	}
	if f.Definition.Kind != flows.KindWebhookEvent {
		return fmt.Errorf("%w: only a Webhook Event flow has these settings", flows.ErrInvalid)
	}
	rev, _ := strconv.Atoi(c.FormValue("revision"))
	if rev != f.Revision {
		s.flash(c, "error", "This flow was changed elsewhere since the page loaded; the settings were not saved. Here is the latest version.")
		return c.Redirect(http.StatusSeeOther, s.URL("connectors.flows.editor", con.ID, f.ID))
	}
	w := &flows.WebhookSettings{
		RunMode:     flows.RunMode(c.FormValue("runMode")),
		RecordsPath: strings.TrimSpace(c.FormValue("recordsPath")),
		Security: flows.WebhookSecurity{
			VerificationChallenge: c.FormValue("verificationChallenge") == "true",
			SecretHeader:          strings.TrimSpace(c.FormValue("secretHeader")),
			SignatureHeader:       strings.TrimSpace(c.FormValue("signatureHeader")),
			Secret:                strings.TrimSpace(c.FormValue("secret")),
			DedupeHeader:          strings.TrimSpace(c.FormValue("dedupeHeader")),
			DedupePath:            strings.TrimSpace(c.FormValue("dedupePath")),
		},
	}
	w.AckStatus, _ = strconv.Atoi(c.FormValue("ackStatus"))
	w.ManualRegistration = c.FormValue("manualRegistration") == "true"
	for i := 0; i < 100; i++ {
		p := fmt.Sprintf("options.%d.", i)
		if _, ok := c.Request().Form[p+"key"]; !ok {
			break
		}
		o := flows.Field{Key: strings.TrimSpace(c.FormValue(p + "key")), Label: strings.TrimSpace(c.FormValue(p + "label")),
			Type: flows.Type(c.FormValue(p + "type")), Required: c.FormValue(p+"required") == "true"}
		if o.Key != "" || o.Label != "" {
			w.Options = append(w.Options, o)
		}
	}
	old := f.Definition.Webhook
	for _, side := range []struct {
		prefix string
		link   **flows.FlowLink
		prev   *flows.FlowLink
		kind   flows.Kind
	}{{"reg", &w.Registration, linkOf(old, true), flows.KindWebhookRegistration}, {"dereg", &w.Deregistration, linkOf(old, false), flows.KindWebhookDeregistration}} {
		choice := c.FormValue(side.prefix + ".flow")
		if choice == "new" && !w.ManualRegistration {
			created, err := s.createLinkedFlow(c, con, side.kind, f.Definition.Name)
			if err != nil {
				return err
			}
			choice = strconv.FormatInt(created.ID, 10)
		}
		id, err := strconv.ParseInt(choice, 10, 64)
		if err != nil || w.ManualRegistration {
			continue
		}
		l := &flows.FlowLink{Flow: id, Inputs: map[string]flows.Binding{}}
		for key := range c.Request().Form {
			rest, ok := strings.CutPrefix(key, side.prefix+".in.")
			if !ok || !strings.HasSuffix(rest, ".option") {
				continue
			}
			in := strings.TrimSuffix(rest, ".option")
			if opt := c.FormValue(key); opt != "" {
				l.Inputs[in] = flows.Binding{Ref: &flows.Ref{Card: flows.OptionsCard, Field: opt}}
			} else if v := c.FormValue(side.prefix + ".in." + in + ".value"); v != "" {
				l.Inputs[in] = flows.Binding{Value: v}
			}
		}
		if side.prev != nil && side.prev.Flow != id {
			l.Inputs = map[string]flows.Binding{} // another flow: its inputs differ
		}
		*side.link = l
	}
	f.Definition.Webhook = w
	if err := flows.Validate(f.Definition, s.registry); err != nil {
		msgs := []string{}
		for _, p := range problemsOf(err) {
			msgs = append(msgs, p.Message)
		}
		s.flash(c, "error", "The settings were not saved: "+strings.Join(msgs, "; ")+".")
		return c.Redirect(http.StatusSeeOther, s.URL("connectors.flows.editor", con.ID, f.ID))
	}
	if _, err := s.store.UpdateFlow(c.Request().Context(), f); errors.Is(err, flows.ErrConflict) {
		s.flash(c, "error", "This flow was changed elsewhere at the same moment; the settings were not saved.")
	} else if err != nil {
		return err
	} else {
		s.flash(c, "success", "Webhook Event settings saved.")
	}
	return c.Redirect(http.StatusSeeOther, s.URL("connectors.flows.editor", con.ID, f.ID))
}

// createLinkedFlow creates the registration or deregistration flow chosen
// as "Create a new ..." in the settings panel, named after the event flow.
func (s *Server) createLinkedFlow(c echo.Context, con flows.Connector, kind flows.Kind, event string) (flows.Flow, error) {
	suffix := map[flows.Kind]string{flows.KindWebhookRegistration: " Registration", flows.KindWebhookDeregistration: " Deregistration"}[kind]
	if r, n := []rune(event), flows.MaxNameLength-len(suffix)-4; len(r) > n {
		event = strings.TrimSpace(string(r[:n]))
	}
	base := event + suffix
	name := base
	for i := 2; ; i++ {
		msg, err := s.flowNameProblem(c, con, name, 0)
		if err != nil {
			return flows.Flow{}, err
		}
		if msg == "" {
			break
		}
		if i > 100 {
			return flows.Flow{}, fmt.Errorf("%w: %s", flows.ErrInvalid, msg)
		}
		name = fmt.Sprintf("%s %d", base, i)
	}
	def, err := flows.NewDefinition(kind, name)
	if err != nil {
		return flows.Flow{}, err
	}
	return s.store.CreateFlow(c.Request().Context(), flows.Flow{ConnectorID: con.ID, Definition: def})
}

func linkOf(w *flows.WebhookSettings, registration bool) *flows.FlowLink {
	if w == nil {
		return nil
	}
	if registration {
		return w.Registration
	}
	return w.Deregistration
}
