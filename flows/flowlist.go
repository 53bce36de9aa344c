package flows

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// What starts a workspace flow, as lists and filters name it.
const (
	StartManual      = "manual"
	StartHelper      = "helper"
	StartAPIEndpoint = "api_endpoint"
	StartSchedule    = "schedule"
	StartWebhook     = "webhook"
	StartPolling     = "polling"
	StartUnbound     = "unbound"
)

// StartKinds lists every kind of start a workspace flow can have.
var StartKinds = []string{StartManual, StartHelper, StartAPIEndpoint, StartSchedule, StartWebhook, StartPolling, StartUnbound}

// StartKind names what starts a workspace flow; polls says that its
// connector event card is a Polling Event (which only its deployed
// version knows).
func StartKind(d *Definition, polls bool) string {
	switch d.Event.Type {
	case EventHelper:
		return StartHelper
	case EventAPIEndpoint:
		return StartAPIEndpoint
	case EventSchedule:
		return StartSchedule
	case EventUnbound:
		return StartUnbound
	case EventConnector:
		if polls {
			return StartPolling
		}
		return StartWebhook
	}
	return StartManual
}

// FlowFilter chooses workspace flows: by text in the name, ON or OFF,
// folder and kind of start; empty parts choose every flow.
type FlowFilter struct {
	Query string
	// State is "on" (its subscription is active) or "off" (anything
	// else, a flow being turned on or off included).
	State string
	// Folder is a folder id; -1 chooses the flows in no folder.
	Folder int64
	Kind   string
}

// Check says what is wrong with a filter, naming the parameter.
func (f FlowFilter) Check() error {
	switch {
	case f.State != "" && f.State != "on" && f.State != "off":
		return fmt.Errorf("%w: state must be on or off", ErrInvalid)
	case f.Kind != "" && !slices.Contains(StartKinds, f.Kind):
		return fmt.Errorf("%w: kind must be one of %s", ErrInvalid, strings.Join(StartKinds, ", "))
	case len(f.Query) > 200:
		return fmt.Errorf("%w: search for at most 200 characters", ErrInvalid)
	}
	return nil
}

// Match reports whether a flow whose start is kind and whose subscription
// is in state passes the filter.
func (f FlowFilter) Match(fl Flow, kind string, state SubscriptionState) bool {
	on := state == SubscriptionActive
	switch {
	case f.Query != "" && !strings.Contains(strings.ToLower(fl.Definition.Name), strings.ToLower(strings.TrimSpace(f.Query))):
		return false
	case f.State == "on" && !on, f.State == "off" && on:
		return false
	case f.Folder > 0 && fl.FolderID != f.Folder, f.Folder < 0 && fl.FolderID != 0:
		return false
	case f.Kind != "" && f.Kind != kind:
		return false
	}
	return true
}

// CheckDelete says why a workspace flow cannot be deleted: while its
// subscription is live (ON, or being turned on or off), or while other
// flows of all call it (they are named). The refusal wraps ErrConflict.
func CheckDelete(f Flow, state SubscriptionState, all []Flow) error {
	switch {
	case state == SubscriptionActive:
		return fmt.Errorf("%w: turn the flow OFF before deleting it", ErrConflict)
	case state.Live():
		return fmt.Errorf("%w: the flow is still being turned on or off (%s): wait, or turn it off anyway, before deleting it", ErrConflict, state)
	}
	var users []string
	for _, other := range all {
		if other.ID != f.ID && other.Definition.Calls(f.ID) {
			users = append(users, fmt.Sprintf("%q", other.Definition.Name))
		}
	}
	switch len(users) {
	case 0:
		return nil
	case 1:
		return fmt.Errorf("%w: %q cannot be deleted: %s calls it", ErrConflict, f.Definition.Name, users[0])
	}
	return fmt.Errorf("%w: %q cannot be deleted: %s call it", ErrConflict, f.Definition.Name, strings.Join(users, ", "))
}

// CheckReplace says why a workspace flow's document cannot replace the
// saved one: it keeps its kind, and while the flow is ON its
// event card and source stay as they are (turn it OFF to change them, or
// upgrade it).
func CheckReplace(saved, next *Definition, live bool) error {
	if next.Kind != saved.Kind {
		return fmt.Errorf("%w: the flow keeps its kind (%q)", ErrInvalid, saved.Kind)
	}
	if !live {
		return nil
	}
	a, _ := json.Marshal(saved.Event)
	b, _ := json.Marshal(next.Event)
	if !bytes.Equal(a, b) || !sameSource(saved.Source, next.Source) {
		return fmt.Errorf("%w: the flow is ON: turn it OFF before changing its event card, its options or its connection", ErrConflict)
	}
	return nil
}
