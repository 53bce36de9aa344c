package webtest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
)

// AcmeKey is the API key the fake provider wants in X-Api-Key.
const AcmeKey = "acme-api-key-123"

// AcmeSub is a subscription the fake provider holds.
type AcmeSub struct {
	ID, URL, Events, Secret string
}

// Acme is a fake outside service, a real HTTP server: POST /subscriptions
// {url, events} → {id, secret}, DELETE /subscriptions/{id}, GET /me; it
// pushes events signed with the subscription's secret to registered URLs.
type Acme struct {
	*httptest.Server
	mu   sync.Mutex
	subs map[string]AcmeSub
	next int
	Fail atomic.Bool // registration and deregistration answer 5xx
	// Deletes counts the subscriptions deleted.
	Deletes atomic.Int32
	// FlakyCalls counts the calls of GET /flaky.
	FlakyCalls atomic.Int32
}

// NewAcme starts the fake Acme provider; it stops when the test ends.
func NewAcme(t *testing.T) *Acme {
	a := &Acme{subs: map[string]AcmeSub{}}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/flaky" { // a public endpoint that fails while Fail is set
			a.FlakyCalls.Add(1)
			if a.Fail.Load() {
				http.Error(w, "try later", http.StatusServiceUnavailable)
				return
			}
			fmt.Fprint(w, `{"ok":true}`)
			return
		}
		if r.Header.Get("X-Api-Key") != AcmeKey {
			http.Error(w, `{"error":"bad api key"}`, http.StatusUnauthorized)
			return
		}
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/me":
			fmt.Fprint(w, `{"ok":true}`)
		case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/users/"):
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(map[string]string{"name": "User " + strings.TrimPrefix(r.URL.Path, "/users/")})
		case r.Method == http.MethodPost && r.URL.Path == "/subscriptions":
			if a.Fail.Load() {
				http.Error(w, "provider is down", http.StatusServiceUnavailable)
				return
			}
			var in struct{ URL, Events string }
			if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.URL == "" {
				http.Error(w, "want {url, events}", http.StatusBadRequest)
				return
			}
			a.mu.Lock()
			a.next++
			s := AcmeSub{ID: fmt.Sprintf("sub_%d", a.next), URL: in.URL, Events: in.Events, Secret: fmt.Sprintf("whsec_%d", a.next)}
			a.subs[s.ID] = s
			a.mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			json.NewEncoder(w).Encode(map[string]string{"id": s.ID, "secret": s.Secret})
		case r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, "/subscriptions/"):
			if a.Fail.Load() {
				http.Error(w, "provider is down", http.StatusServiceUnavailable)
				return
			}
			id := strings.TrimPrefix(r.URL.Path, "/subscriptions/")
			a.mu.Lock()
			_, ok := a.subs[id]
			delete(a.subs, id)
			a.mu.Unlock()
			if !ok {
				http.NotFound(w, r)
				return
			}
			a.Deletes.Add(1)
			w.WriteHeader(http.StatusNoContent)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(a.Close)
	return a
}

// Subscriptions lists the subscriptions the provider holds now.
func (a *Acme) Subscriptions() []AcmeSub {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []AcmeSub
	for _, s := range a.subs {
		out = append(out, s)
	}
	return out
}

// Push sends events to every registered URL as the provider does, signed
// with the subscription's secret (or a wrong one), with a delivery id.
// It returns the status of each delivery.
func (a *Acme) Push(t *testing.T, delivery string, badSignature bool, events ...map[string]any) []int {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"data": map[string]any{"events": events}})
	var codes []int
	for _, s := range a.Subscriptions() {
		secret := s.Secret
		if badSignature {
			secret = "not-the-secret"
		}
		req, _ := http.NewRequest(http.MethodPost, s.URL, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		a.Sign(req, secret, string(body))
		req.Header.Set("X-Delivery-Id", delivery)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("push to %s: %v", s.URL, err)
		}
		res.Body.Close()
		codes = append(codes, res.StatusCode)
	}
	return codes
}

// Sign sets the provider's signature of body made with secret.
func (a *Acme) Sign(req *http.Request, secret, body string) {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(body))
	req.Header.Set("X-Acme-Signature", "sha256="+hex.EncodeToString(mac.Sum(nil)))
}

// Ref binds an input to a card's output field, at path within it.
func Ref(card, field, path string) flows.Binding {
	return flows.Binding{Ref: &flows.Ref{Card: card, Field: field, Path: path}}
}

// AcmeExport is the Acme connector as an export file: registration,
// deregistration, a Webhook Event (each record of data.events, signed
// with the Registration Data's secret, deduplicated by X-Delivery-Id) and
// an Auth Ping.
func AcmeExport(t *testing.T, baseURL string) []byte {
	t.Helper()
	return AcmeExportWith(t, baseURL, nil)
}

// AcmeExportWith is AcmeExport with its flows changed by edit first.
func AcmeExportWith(t *testing.T, baseURL string, edit func(*flows.ConnectorExport)) []byte {
	t.Helper()
	reg, _ := flows.NewDefinition(flows.KindWebhookRegistration, "Subscribe")
	reg.Event.Outputs = []flows.Field{{Key: "events", Label: "Events", Type: flows.TypeText, Required: true}}
	reg.Cards = []flows.Node{
		{ID: "body", Type: "object.construct", Inputs: []flows.Field{{Key: "url", Type: flows.TypeText}, {Key: "events", Type: flows.TypeText}},
			Bindings: map[string]flows.Binding{"url": Ref("event", flows.FieldEventURL, ""), "events": Ref("event", "events", "")}},
		{ID: "post", Type: "http.post", Bindings: map[string]flows.Binding{"url": {Value: "/subscriptions"}, "body": Ref("body", "output", "")}},
		{ID: "return", Type: flows.ControlReturn, Inputs: []flows.Field{{Key: flows.FieldRegistrationData, Label: "Registration Data", Type: flows.TypeAny}},
			Bindings: map[string]flows.Binding{flows.FieldRegistrationData: Ref("post", "body", "")}},
	}
	dereg, _ := flows.NewDefinition(flows.KindWebhookDeregistration, "Unsubscribe")
	dereg.Cards = []flows.Node{
		{ID: "url", Type: "text.compose", Bindings: map[string]flows.Binding{"text": {Parts: []flows.Part{
			{Text: "/subscriptions/"}, {Ref: &flows.Ref{Card: "event", Field: flows.FieldRegistrationData, Path: "id"}}}}}},
		{ID: "delete", Type: "http.delete", Bindings: map[string]flows.Binding{"url": Ref("url", "output", "")}},
	}
	ev, _ := flows.NewDefinition(flows.KindWebhookEvent, "User event")
	ev.Cards = []flows.Node{{ID: "return", Type: flows.ControlReturn, Inputs: []flows.Field{{Key: "events", Label: "Events", Type: flows.ListOf(flows.TypeObject)}},
		Bindings: map[string]flows.Binding{"events": Ref("event", "body", "data.events")}}}
	ev.Webhook = &flows.WebhookSettings{
		Options:        []flows.Field{{Key: "events", Label: "Events", Type: flows.TypeText, Required: true}},
		Registration:   &flows.FlowLink{Flow: 1, Inputs: map[string]flows.Binding{"events": Ref(flows.OptionsCard, "events", "")}},
		Deregistration: &flows.FlowLink{Flow: 2},
		RunMode:        flows.RunEach, RecordsPath: "events", AckStatus: 202,
		Security: flows.WebhookSecurity{SignatureHeader: "X-Acme-Signature", Secret: "registration.secret", DedupeHeader: "X-Delivery-Id"},
	}
	get, _ := flows.NewDefinition(flows.KindAction, "Get user")
	get.Event.Outputs = []flows.Field{{Key: "id", Label: "User ID", Type: flows.TypeText, Required: true}}
	get.Cards = []flows.Node{
		{ID: "url", Type: "text.compose", Bindings: map[string]flows.Binding{"text": {Parts: []flows.Part{{Text: "/users/"}, {Ref: &flows.Ref{Card: "event", Field: "id"}}}}}},
		{ID: "get", Type: "http.get", Bindings: map[string]flows.Binding{"url": Ref("url", "output", "")}},
		{ID: "return", Type: flows.ControlReturn, Inputs: []flows.Field{{Key: "name", Label: "Name", Type: flows.TypeText}},
			Bindings: map[string]flows.Binding{"name": Ref("get", "body", "name")}},
	}
	ping, _ := flows.NewDefinition(flows.KindAuthPing, "Ping")
	ping.Cards = []flows.Node{{ID: "me", Type: "http.get", Bindings: map[string]flows.Binding{"url": {Value: "/me"}}}}
	x := flows.ConnectorExport{Schema: flows.SchemaVersion,
		Connector: flows.ConnectorInfo{Name: "Acme", BaseURL: baseURL, Auth: flows.AuthDefinition{Kind: flows.AuthAPIKeyHeader, Header: "X-Api-Key"}},
		Flows:     []flows.ExportedFlow{{Key: "1", Definition: reg}, {Key: "2", Definition: dereg}, {Key: "3", Definition: ev}, {Key: "4", Definition: ping}, {Key: "5", Definition: get}}}
	if edit != nil {
		edit(&x)
	}
	b, err := flows.MarshalConnector(x)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// APIJSON calls the API and decodes the answer, failing unless the status is want.
func APIJSON(t *testing.T, c *Client, token, method, path string, body any, want int) map[string]any {
	t.Helper()
	var s string
	switch b := body.(type) {
	case nil:
	case string:
		s = b
	case []byte:
		s = string(b)
	default:
		raw, _ := json.Marshal(b)
		s = string(raw)
	}
	code, out := c.API(t, token, method, path, s)
	if code != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, code, want, out)
	}
	var m map[string]any
	json.Unmarshal([]byte(out), &m)
	return m
}

// DeployAcme imports and deploys the Acme connector through the API and
// returns its id and version 1.
func DeployAcme(t *testing.T, srv *Server, prov *Acme, token string) (int64, flows.ConnectorVersion) {
	t.Helper()
	c := srv.NewClient()
	con := APIJSON(t, c, token, "POST", "/api/v1/connectors/import", AcmeExport(t, prov.URL), http.StatusCreated)
	conID := int64(con["id"].(float64))
	APIJSON(t, c, token, "POST", fmt.Sprintf("/api/v1/connectors/%d/deploy", conID), nil, http.StatusCreated)
	v, err := srv.Store.Version(context.Background(), conID, 1)
	if err != nil {
		t.Fatal(err)
	}
	return conID, v
}

// AcmeConnection makes a connection to Acme through the API and returns it.
func AcmeConnection(t *testing.T, srv *Server, token string, conID int64) map[string]any {
	t.Helper()
	conn := APIJSON(t, srv.NewClient(), token, "POST", "/api/v1/connections", map[string]any{"connectorId": conID, "name": "Acme prod",
		"values": map[string]string{"api_key": AcmeKey}}, http.StatusCreated)
	if vals, _ := conn["values"].(map[string]any); vals["api_key"] != flows.Masked {
		t.Fatalf("the API shows the connection's secret as %v, not masked", vals["api_key"])
	}
	return conn
}

// AcmeSetup deploys Acme, makes a connection and a workspace flow on its
// Webhook Event (upper-casing each event's actor) through the API; it
// returns the flow's id.
func AcmeSetup(t *testing.T, srv *Server, prov *Acme, token string) int64 {
	t.Helper()
	conID, v := DeployAcme(t, srv, prov, token)
	flowID, _ := NewUsersFlow(t, srv, token, conID, v)
	return flowID
}

// NewUsersFlow makes a connection to the deployed Acme connector conID and
// a workspace flow on version v's Webhook Event (upper-casing each event's
// actor) through the API; it returns the flow's id and the event flow's.
func NewUsersFlow(t *testing.T, srv *Server, token string, conID int64, v flows.ConnectorVersion) (flowID, eventFlow int64) {
	t.Helper()
	conn := AcmeConnection(t, srv, token, conID)
	fmt.Sscan(v.Export.FlowsOfKind(flows.KindWebhookEvent)[0].Key, &eventFlow)
	node, src, err := flows.ConnectorEvent(v, eventFlow)
	if err != nil {
		t.Fatal(err)
	}
	node.Bindings["events"] = flows.Binding{Value: "user.created"}
	src.Connection = int64(conn["id"].(float64))
	def, _ := flows.NewDefinition(flows.KindWorkspace, "New users")
	def.Event, def.Source = node, src
	def.Cards = []flows.Node{{ID: "who", Type: "text.upper", Bindings: map[string]flows.Binding{"text": Ref("event", "events", "actor.displayName")}}}
	doc, _ := flows.MarshalDefinition(def)
	f := APIJSON(t, srv.NewClient(), token, "POST", "/api/v1/flows", doc, http.StatusCreated)
	return int64(f["id"].(float64)), eventFlow
}

// WaitFor polls until cond holds, failing after a generous guard.
func WaitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// PayloadRuns lists the flow's payload executions.
func PayloadRuns(t *testing.T, st *store.Store, flowID int64) []*flows.Execution {
	t.Helper()
	es, err := st.Executions(context.Background(), store.ExecutionFilter{FlowID: flowID, Trigger: flows.TriggerPayload})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// UserEvent is one Acme user-created event with its uuid and actor's name.
func UserEvent(uuid, name string) map[string]any {
	return map[string]any{"uuid": uuid, "eventType": "user.lifecycle.create", "actor": map[string]any{"displayName": name}}
}

// FlakyAcmeSetup is AcmeSetup with a Webhook Event flow that first calls
// the provider's GET /flaky, which fails while prov.Fail is set.
func FlakyAcmeSetup(t *testing.T, srv *Server, prov *Acme, token string) (flowID, eventFlow int64) {
	t.Helper()
	c := srv.NewClient()
	export := AcmeExportWith(t, prov.URL, func(x *flows.ConnectorExport) {
		for i := range x.Flows {
			if d := &x.Flows[i].Definition; d.Kind == flows.KindWebhookEvent {
				d.Cards = append([]flows.Node{{ID: "flaky", Type: "http.get", Bindings: map[string]flows.Binding{"url": {Value: "/flaky"}}}}, d.Cards...)
			}
		}
	})
	con := APIJSON(t, c, token, "POST", "/api/v1/connectors/import", export, http.StatusCreated)
	conID := int64(con["id"].(float64))
	APIJSON(t, c, token, "POST", fmt.Sprintf("/api/v1/connectors/%d/deploy", conID), nil, http.StatusCreated)
	v, err := srv.Store.Version(context.Background(), conID, 1)
	if err != nil {
		t.Fatal(err)
	}
	return NewUsersFlow(t, srv, token, conID, v)
}

// PushRaw sends a body to the flow's Event URL as the provider does,
// signed, with a delivery id.
func (a *Acme) PushRaw(t *testing.T, delivery, body string) {
	t.Helper()
	for _, s := range a.Subscriptions() {
		req, _ := http.NewRequest(http.MethodPost, s.URL, bytes.NewReader([]byte(body)))
		req.Header.Set("Content-Type", "application/json")
		a.Sign(req, s.Secret, body)
		req.Header.Set("X-Delivery-Id", delivery)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusAccepted {
			t.Fatalf("push: %d", res.StatusCode)
		}
	}
}

// ConnectorRuns lists the runs of the connector's Webhook Event flow.
func ConnectorRuns(t *testing.T, st *store.Store, eventFlow int64, status flows.Status) []*flows.Execution {
	t.Helper()
	es, err := st.Executions(context.Background(), store.ExecutionFilter{FlowID: eventFlow, Status: status})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// Registrations counts the subscriptions the provider was ever asked for.
func (a *Acme) Registrations() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.next
}

// DeployNext changes the connector's draft flows with edit and deploys
// them as the next version.
func DeployNext(t *testing.T, srv *Server, token string, conID int64, edit func(*flows.Definition)) flows.ConnectorVersion {
	t.Helper()
	ctx := context.Background()
	fs, err := srv.Store.Flows(ctx, conID)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		before, _ := flows.MarshalDefinition(f.Definition)
		edit(&f.Definition)
		if after, _ := flows.MarshalDefinition(f.Definition); string(after) != string(before) {
			if _, err := srv.Store.UpdateFlow(ctx, f); err != nil {
				t.Fatal(err)
			}
		}
	}
	res := APIJSON(t, srv.NewClient(), token, "POST", fmt.Sprintf("/api/v1/connectors/%d/deploy", conID), nil, http.StatusCreated)
	v, err := srv.Store.Version(ctx, conID, int(res["version"].(float64)))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// EventReturn edits the Return card of the connector's Webhook Event flow.
func EventReturn(edit func(ret *flows.Node, w *flows.WebhookSettings)) func(*flows.Definition) {
	return func(d *flows.Definition) {
		if d.Kind != flows.KindWebhookEvent {
			return
		}
		for i := range d.Cards {
			if d.Cards[i].Type == flows.ControlReturn {
				edit(&d.Cards[i], d.Webhook)
			}
		}
	}
}

// RenameRecords renames the event's records output "events" to "records".
var RenameRecords = EventReturn(func(ret *flows.Node, w *flows.WebhookSettings) {
	ret.Inputs[0].Key, ret.Bindings = "records", map[string]flows.Binding{"records": ret.Bindings["events"]}
	w.RecordsPath = "records"
})
