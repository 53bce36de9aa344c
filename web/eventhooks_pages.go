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

// The Settings → Event Hooks pages: the list, the create and edit forms,
// a hook's page (state, settings, deliveries, Preview), a delivery's
// attempts, and the delete confirmation.

// hookDeliveriesPerPage is how many deliveries a hook's page lists.
const hookDeliveriesPerPage = 20

func (s *Server) eventHooksList(c echo.Context) error {
	ctx := c.Request().Context()
	hooks, err := s.eventHooks.Store.EventHooks(ctx)
	if err != nil {
		return err
	}
	d := templates.EventHooksData{Hooks: make([]templates.EventHookItem, 0, len(hooks))}
	for _, h := range hooks {
		it := templates.EventHookItem{Hook: h}
		last, _, err := s.eventHooks.Store.EventHookDeliveries(ctx, h.ID, 0, 1)
		if err != nil {
			return err
		}
		if len(last) > 0 {
			it.Last = &last[0]
		}
		d.Hooks = append(d.Hooks, it)
	}
	return render(c, http.StatusOK, templates.EventHooksPage(s.page(c, "Event hooks", "settings"), d))
}

func (s *Server) eventHookNew(c echo.Context) error {
	f := templates.NewEventHookForm()
	hooks, err := s.eventHooks.Store.EventHooks(c.Request().Context())
	if err != nil {
		return err
	}
	f.Full = len(hooks) >= flows.MaxEventHooks
	return render(c, http.StatusOK, templates.EventHookFormPage(s.page(c, "New event hook", "settings"), f))
}

// readHookForm reads the create or edit form: custom headers are rows
// headers.<n>.name and .value (blank rows are skipped), events are
// checkboxes; a blank secret is nil (kept on edit) unless Remove is
// ticked.
func readHookForm(c echo.Context) (flows.HookInput, templates.EventHookForm, error) {
	form, err := c.FormParams()
	if err != nil {
		return flows.HookInput{}, templates.EventHookForm{}, fmt.Errorf("%w: the form could not be read", flows.ErrInvalid)
	}
	in := flows.HookInput{Name: form.Get("name"), Description: form.Get("description"), URL: form.Get("url"),
		AuthField: form.Get("authField"), Headers: []flows.HookHeader{}}
	if v := form.Get("authSecret"); v != "" {
		in.AuthSecret = &v
	} else if form.Get("authSecretClear") != "" {
		in.AuthSecret = &v
	}
	var rows []int
	for k := range form {
		if n, ok := strings.CutPrefix(k, "headers."); ok {
			if i, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSuffix(n, ".name"), ".value")); err == nil && !slices.Contains(rows, i) {
				rows = append(rows, i)
			}
		}
	}
	slices.Sort(rows)
	for _, i := range rows {
		name, value := form.Get(fmt.Sprintf("headers.%d.name", i)), form.Get(fmt.Sprintf("headers.%d.value", i))
		if strings.TrimSpace(name) != "" || value != "" {
			in.Headers = append(in.Headers, flows.HookHeader{Name: name, Value: value})
		}
	}
	for _, e := range form["events"] {
		in.Events = append(in.Events, flows.HookEventType(e))
	}
	f := templates.EventHookForm{Name: in.Name, Description: in.Description, URL: in.URL, AuthField: in.AuthField,
		Headers: slices.Clone(in.Headers), Events: in.Events, Errors: templates.FormErrors{}, SecretTyped: form.Get("authSecret") != ""}
	if len(in.Events) == 0 {
		f.Errors["events"] = "Choose at least one event."
	}
	return in, f, nil
}

// hookFormErrors places a refusal beside its field, or above the form.
func hookFormErrors(f *templates.EventHookForm, err error) bool {
	var fe *flows.HookFieldError
	switch {
	case errors.As(err, &fe):
		f.Errors[fe.Field] = publicMessage(err) + "."
	case errors.Is(err, flows.ErrInvalid), errors.Is(err, flows.ErrConflict):
		f.Errors["form"] = publicMessage(err) + "."
	default:
		return false
	}
	return true
}

func (s *Server) eventHookCreate(c echo.Context) error {
	in, f, err := readHookForm(c)
	if err != nil {
		return err
	}
	if len(f.Errors) > 0 {
		return render(c, http.StatusUnprocessableEntity, templates.EventHookFormPage(s.page(c, "New event hook", "settings"), f))
	}
	h, secret, err := s.eventHooks.Create(c.Request().Context(), in)
	if hookFormErrors(&f, err) {
		f.Full = errors.Is(err, flows.ErrConflict) && f.Errors["name"] == ""
		return render(c, http.StatusUnprocessableEntity, templates.EventHookFormPage(s.page(c, "New event hook", "settings"), f))
	}
	if err != nil {
		return err
	}
	// The signing secret is rendered into this response only.
	return s.renderEventHook(c, http.StatusCreated, templates.EventHookData{Hook: h, SigningSecret: secret})
}

// eventHookParam loads the hook of the :id route parameter.
func (s *Server) eventHookParam(c echo.Context) (flows.EventHook, error) {
	id, err := eventHookID(c)
	if err != nil {
		return flows.EventHook{}, err
	}
	return s.eventHooks.Store.EventHook(c.Request().Context(), id)
}

func (s *Server) eventHookShow(c echo.Context) error {
	h, err := s.eventHookParam(c)
	if err != nil {
		return err
	}
	return s.renderEventHook(c, http.StatusOK, templates.EventHookData{Hook: h, PreviewType: flows.HookEventType(c.QueryParam("preview"))})
}

// renderEventHook fills a hook's page: the page of deliveries asked for,
// and the Preview's sample body unless d has one.
func (s *Server) renderEventHook(c echo.Context, status int, d templates.EventHookData) error {
	ctx := c.Request().Context()
	d.Page, _ = strconv.Atoi(c.QueryParam("page"))
	d.Page = max(d.Page, 1)
	var err error
	d.Deliveries, d.Total, err = s.eventHooks.Store.EventHookDeliveries(ctx, d.Hook.ID, (d.Page-1)*hookDeliveriesPerPage, hookDeliveriesPerPage)
	if err != nil {
		return err
	}
	d.Pages = max((d.Total+hookDeliveriesPerPage-1)/hookDeliveriesPerPage, 1)
	if !d.PreviewType.Known() {
		d.PreviewType = flows.EventExecutionFailed
		if !d.Hook.Wants(d.PreviewType) && len(d.Hook.Events) > 0 {
			d.PreviewType = d.Hook.Events[0]
		}
	}
	if d.PreviewBody == "" && d.PreviewError == "" {
		if d.PreviewBody, err = flows.SampleHookBody(s.eventHooks.BaseURL, d.Hook.ID, d.PreviewType); err != nil {
			return err
		}
	}
	return render(c, status, templates.EventHookPage(s.page(c, d.Hook.Name, "settings"), d))
}

func (s *Server) eventHookEdit(c echo.Context) error {
	h, err := s.eventHookParam(c)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, templates.EventHookFormPage(s.page(c, "Edit "+h.Name, "settings"), templates.EventHookFormOf(h)))
}

func (s *Server) eventHookUpdate(c echo.Context) error {
	h, err := s.eventHookParam(c)
	if err != nil {
		return err
	}
	in, f, err := readHookForm(c)
	if err != nil {
		return err
	}
	f.ID, f.HasSecret = h.ID, h.HasSecret
	if len(f.Errors) == 0 {
		_, err = s.eventHooks.Update(c.Request().Context(), h.ID, in)
		if !hookFormErrors(&f, err) && err != nil {
			return err
		}
	}
	if len(f.Errors) > 0 {
		return render(c, http.StatusUnprocessableEntity, templates.EventHookFormPage(s.page(c, "Edit "+h.Name, "settings"), f))
	}
	s.flash(c, "success", "The event hook has been saved.")
	return c.Redirect(http.StatusSeeOther, s.URL("event_hooks.show", h.ID))
}

// eventHookVerify sends the verification and shows its outcome beside
// the Verify button.
func (s *Server) eventHookVerify(c echo.Context) error {
	h, err := s.eventHookParam(c)
	if err != nil {
		return err
	}
	_, err = s.eventHooks.Verify(c.Request().Context(), h.ID)
	var ve *flows.VerifyError
	switch {
	case errors.As(err, &ve):
		s.flashAt(c, "verify", "error", sentence(ve.Error()))
	case err != nil:
		return err
	default:
		s.flashAt(c, "verify", "success", "The endpoint answered the verification challenge: the hook is verified.")
	}
	return c.Redirect(http.StatusSeeOther, s.URL("event_hooks.show", h.ID))
}

func (s *Server) eventHookActivate(c echo.Context) error {
	return s.eventHookSetState(c, true)
}

func (s *Server) eventHookDeactivate(c echo.Context) error {
	return s.eventHookSetState(c, false)
}

func (s *Server) eventHookSetState(c echo.Context, active bool) error {
	id, err := eventHookID(c)
	if err != nil {
		return err
	}
	change, msg := s.eventHooks.Deactivate, "The event hook is inactive: it receives nothing, and the events waiting for it are dropped."
	if active {
		change, msg = s.eventHooks.Activate, "The event hook is active."
	}
	h, err := change(c.Request().Context(), id)
	if err != nil {
		return err
	}
	if active && !h.Verified {
		msg = "The event hook is active; it receives events once it is verified."
	}
	s.flash(c, "success", msg)
	return c.Redirect(http.StatusSeeOther, s.URL("event_hooks.show", id))
}

// eventHookDeleteConfirm asks before an inactive hook is deleted; an
// active one is refused.
func (s *Server) eventHookDeleteConfirm(c echo.Context) error {
	h, err := s.eventHookParam(c)
	if err != nil {
		return err
	}
	if h.Active {
		return fmt.Errorf("%w: deactivate the event hook %q before deleting it", flows.ErrConflict, h.Name)
	}
	return render(c, http.StatusOK, templates.EventHookDeletePage(s.page(c, "Delete "+h.Name, "settings"), h))
}

func (s *Server) eventHookDelete(c echo.Context) error {
	h, err := s.eventHookParam(c)
	if err != nil {
		return err
	}
	if err := s.eventHooks.Delete(c.Request().Context(), h.ID); err != nil {
		return err
	}
	s.flash(c, "success", fmt.Sprintf("The event hook %q has been deleted.", h.Name))
	return c.Redirect(http.StatusSeeOther, s.URL("event_hooks.list"))
}

// eventHookPreview delivers the edited sample body now and shows the
// answer; a body that is not JSON is refused beside it, kept as typed.
func (s *Server) eventHookPreview(c echo.Context) error {
	h, err := s.eventHookParam(c)
	if err != nil {
		return err
	}
	d := templates.EventHookData{Hook: h, PreviewType: flows.HookEventType(c.FormValue("eventType")), PreviewBody: c.FormValue("body")}
	a, err := s.eventHooks.Preview(c.Request().Context(), h.ID, []byte(d.PreviewBody))
	if errors.Is(err, flows.ErrInvalid) {
		d.PreviewError = publicMessage(err) + "."
		return s.renderEventHook(c, http.StatusUnprocessableEntity, d)
	}
	if err != nil {
		return err
	}
	d.PreviewResult = &a
	return s.renderEventHook(c, http.StatusOK, d)
}

func (s *Server) eventHookDelivery(c echo.Context) error {
	h, err := s.eventHookParam(c)
	if err != nil {
		return err
	}
	as, err := s.eventHooks.Store.EventHookDelivery(c.Request().Context(), h.ID, c.Param("delivery"))
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, templates.EventHookDeliveryPage(s.page(c, "Delivery to "+h.Name, "settings"),
		templates.EventHookDeliveryData{Hook: h, Delivery: c.Param("delivery"), Attempts: as}))
}

// eventHookRedeliver sends a delivery's events again and shows how the
// endpoint answered.
func (s *Server) eventHookRedeliver(c echo.Context) error {
	id, err := eventHookID(c)
	if err != nil {
		return err
	}
	a, err := s.eventHooks.Redeliver(c.Request().Context(), id, c.Param("delivery"))
	if err != nil {
		return err
	}
	if a.OK {
		s.flash(c, "success", fmt.Sprintf("Re-delivered: the endpoint answered HTTP %d.", a.Status))
	} else {
		s.flash(c, "error", "The re-delivery failed: "+sentence(a.Error))
	}
	return c.Redirect(http.StatusSeeOther, s.URL("event_hooks.delivery", id, a.Delivery))
}
