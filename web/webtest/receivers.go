package webtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
)

// HookReceiver is a real endpoint for event hooks: it answers the
// verification challenge, and POSTs with status (200 unless set) and a
// short body, keeping every POST it gets.
type HookReceiver struct {
	*httptest.Server
	mu     sync.Mutex
	status int
	posts  []ReceivedPost
}

// ReceivedPost is one POST a HookReceiver got.
type ReceivedPost struct {
	Header http.Header
	Body   []byte
}

// NewHookReceiver starts a HookReceiver; it stops when the test ends.
func NewHookReceiver(t *testing.T) *HookReceiver {
	t.Helper()
	r := &HookReceiver{status: http.StatusOK}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method == http.MethodGet {
			fmt.Fprintf(w, `{"verification":%q}`, req.Header.Get(flows.HeaderVerification))
			return
		}
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.posts = append(r.posts, ReceivedPost{req.Header.Clone(), b})
		status := r.status
		r.mu.Unlock()
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"received":true,"status":%d}`, status)
	}))
	t.Cleanup(r.Close)
	return r
}

// SetStatus sets the status later POSTs are answered with.
func (r *HookReceiver) SetStatus(s int) { r.mu.Lock(); r.status = s; r.mu.Unlock() }

// Received lists the POSTs received so far.
func (r *HookReceiver) Received() []ReceivedPost {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]ReceivedPost(nil), r.posts...)
}

// Tracker is a fake outside service, a real HTTP server: GET
// /tickets?project=…&since=<cursor> answers the tickets added after the
// cursor (a ticket's number) and the next cursor, the newest number. It
// wants Acme's API key and records the cursor each request asked from.
type Tracker struct {
	*httptest.Server
	mu      sync.Mutex
	titles  []string // ticket n is titles[n-1]
	asked   []string // the since of each request, in order
	Fail    atomic.Bool
	Garbled atomic.Bool  // answers text in place of the tickets
	Big     atomic.Bool  // answers a next cursor of 11 KB
	Slow    atomic.Int64 // answers after this many milliseconds
	running atomic.Int32
	Most    atomic.Int32 // the most requests answered at once
}

// NewTracker starts a Tracker with no tickets; it stops when the test ends.
func NewTracker(t *testing.T) *Tracker {
	s := &Tracker{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Api-Key") != AcmeKey || r.URL.Path != "/tickets" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		n := s.running.Add(1)
		defer s.running.Add(-1)
		for m := s.Most.Load(); n > m && !s.Most.CompareAndSwap(m, n); m = s.Most.Load() {
		}
		time.Sleep(time.Duration(s.Slow.Load()) * time.Millisecond)
		since := r.URL.Query().Get("since")
		s.mu.Lock()
		s.asked = append(s.asked, since)
		from, _ := strconv.Atoi(since)
		var list []map[string]any
		for i := from; i < len(s.titles); i++ {
			list = append(list, map[string]any{"number": i + 1, "title": s.titles[i]})
		}
		next := strconv.Itoa(max(from, len(s.titles)))
		s.mu.Unlock()
		if s.Fail.Load() {
			http.Error(w, "the tracker is down", http.StatusInternalServerError)
			return
		}
		if s.Big.Load() {
			next = strings.Repeat("9", 11<<10)
		}
		var tickets any = list
		if s.Garbled.Load() {
			tickets = "garbled"
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"tickets": tickets, "next": next})
	}))
	t.Cleanup(s.Close)
	return s
}

// Add adds tickets with the titles, numbered after the last one.
func (s *Tracker) Add(titles ...string) {
	s.mu.Lock()
	s.titles = append(s.titles, titles...)
	s.mu.Unlock()
}

// Requests lists the cursor (since) each request asked from, in order.
func (s *Tracker) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.asked)
}

// TrackerPoll is the Tracker connector's Polling Event flow in a run
// mode: it reads the cursor, asks for the tickets since, sets the cursor
// to the next one and returns the tickets as its records.
func TrackerPoll(name string, mode flows.RunMode) flows.Definition {
	def, _ := flows.NewDefinition(flows.KindPollingEvent, name)
	def.Event.Outputs = []flows.Field{{Key: "project", Label: "Project", Type: flows.TypeText, Required: true}}
	def.Polling.RunMode = mode
	def.Cards = []flows.Node{
		{ID: "cursor", Type: flows.PollingGetCursor},
		{ID: "query", Type: "object.construct", Inputs: []flows.Field{{Key: "project", Type: flows.TypeText}, {Key: "since", Type: flows.TypeText}},
			Bindings: map[string]flows.Binding{"project": Ref("event", "project", ""), "since": Ref("cursor", "cursor", "")}},
		{ID: "fetch", Type: "http.get", Bindings: map[string]flows.Binding{"url": {Value: "/tickets"}, "query": Ref("query", "output", "")}},
		{ID: "set", Type: flows.PollingSetCursor, Bindings: map[string]flows.Binding{"cursor": Ref("fetch", "body", "next")}},
		{ID: "return", Type: flows.ControlReturn, Inputs: []flows.Field{{Key: "records", Label: "Tickets", Type: flows.ListOf(flows.TypeObject)},
			{Key: "next", Label: "Next", Type: flows.TypeText}},
			Bindings: map[string]flows.Binding{"records": Ref("fetch", "body", "tickets"), "next": Ref("set", "cursor", "")}},
	}
	return def
}

// TrackerFlow is a workspace flow on a Polling Event, and that event's key.
type TrackerFlow struct {
	ID, Event int64
}

// TrackerSetup imports and deploys the Tracker connector with a Polling
// Event flow per run mode, makes a connection, and a workspace flow on
// each that polls project HF every second and composes its records as
// text; it returns the flows, in the order of the modes.
func TrackerSetup(t *testing.T, srv *Server, svc *Tracker, token string, modes ...flows.RunMode) []TrackerFlow {
	t.Helper()
	x := flows.ConnectorExport{Schema: flows.SchemaVersion,
		Connector: flows.ConnectorInfo{Name: "Tracker", BaseURL: svc.URL, Auth: flows.AuthDefinition{Kind: flows.AuthAPIKeyHeader, Header: "X-Api-Key"}}}
	for i, m := range modes {
		x.Flows = append(x.Flows, flows.ExportedFlow{Key: strconv.Itoa(i + 1), Definition: TrackerPoll("New tickets "+string(m), m)})
	}
	doc, err := flows.MarshalConnector(x)
	if err != nil {
		t.Fatal(err)
	}
	c := srv.NewClient()
	conID := int64(APIJSON(t, c, token, "POST", "/api/v1/connectors/import", doc, http.StatusCreated)["id"].(float64))
	APIJSON(t, c, token, "POST", fmt.Sprintf("/api/v1/connectors/%d/deploy", conID), nil, http.StatusCreated)
	v, err := srv.Store.Version(context.Background(), conID, 1)
	if err != nil {
		t.Fatal(err)
	}
	conn := AcmeConnection(t, srv, token, conID)
	var out []TrackerFlow
	for _, m := range modes {
		i := slices.IndexFunc(v.Export.Flows, func(f flows.ExportedFlow) bool { return f.Definition.Name == "New tickets "+string(m) })
		ef := v.Export.Flows[i]
		var key int64
		fmt.Sscan(ef.Key, &key)
		node, src, err := flows.ConnectorEvent(v, key)
		if err != nil {
			t.Fatal(err)
		}
		node.Bindings[flows.FieldPollInterval] = flows.Binding{Value: "1s"}
		node.Bindings["project"] = flows.Binding{Value: "HF"}
		src.Connection = int64(conn["id"].(float64))
		def, _ := flows.NewDefinition(flows.KindWorkspace, ef.Definition.Name)
		def.Event, def.Source = node, src
		def.Cards = []flows.Node{{ID: "say", Type: "text.compose", Bindings: map[string]flows.Binding{"text": {Parts: []flows.Part{{Ref: &flows.Ref{Card: "event", Field: "records"}}}}}}}
		doc, _ := flows.MarshalDefinition(def)
		f := APIJSON(t, c, token, "POST", "/api/v1/flows", doc, http.StatusCreated)
		out = append(out, TrackerFlow{ID: int64(f["id"].(float64)), Event: key})
	}
	return out
}
