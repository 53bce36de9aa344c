package web_test

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
	"github.com/hookflow/hookflow/web/webtest"
)

// acmeKey is the API key the fake provider wants in X-Api-Key.
const acmeKey = "acme-api-key-123"

// acmeSub is a subscription the fake provider holds.
type acmeSub struct {
	ID, URL, Events, Secret string
}

// acme is a fake outside service, a real HTTP server: POST /subscriptions
// {url, events} → {id, secret}, DELETE /subscriptions/{id}, GET /me; it
// pushes events signed with the subscription's secret to registered URLs.
type acme struct {
	*httptest.Server
	mu      sync.Mutex
	subs    map[string]acmeSub
	next    int
	fail    atomic.Bool // registration and deregistration answer 5xx
	deletes atomic.Int32
	// flakyCalls counts the calls of GET /flaky.
	flakyCalls atomic.Int32
}

func newAcme(t *testing.T) *acme {
	a := &acme{subs: map[string]acmeSub{}}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/flaky" { // a public endpoint that fails while fail is set
			a.flakyCalls.Add(1)
			if a.fail.Load() {
				http.Error(w, "try later", http.StatusServiceUnavailable)
				return
			}
			fmt.Fprint(w, `{"ok":true}`)
			return
		}
		if r.Header.Get("X-Api-Key") != acmeKey {
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
			if a.fail.Load() {
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
			s := acmeSub{ID: fmt.Sprintf("sub_%d", a.next), URL: in.URL, Events: in.Events, Secret: fmt.Sprintf("whsec_%d", a.next)}
			a.subs[s.ID] = s
			a.mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			json.NewEncoder(w).Encode(map[string]string{"id": s.ID, "secret": s.Secret})
		case r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, "/subscriptions/"):
			if a.fail.Load() {
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
			a.deletes.Add(1)
			w.WriteHeader(http.StatusNoContent)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(a.Close)
	return a
}

func (a *acme) subscriptions() []acmeSub {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []acmeSub
	for _, s := range a.subs {
		out = append(out, s)
	}
	return out
}

// push sends events to every registered URL as the provider does, signed
// with the subscription's secret (or a wrong one), with a delivery id.
// It returns the status of each delivery.
func (a *acme) push(t *testing.T, delivery string, badSignature bool, events ...map[string]any) []int {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"data": map[string]any{"events": events}})
	var codes []int
	for _, s := range a.subscriptions() {
		secret := s.Secret
		if badSignature {
			secret = "not-the-secret"
		}
		req, _ := http.NewRequest(http.MethodPost, s.URL, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		a.sign(req, secret, string(body))
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

// sign sets the provider's signature of body made with secret.
func (a *acme) sign(req *http.Request, secret, body string) {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(body))
	req.Header.Set("X-Acme-Signature", "sha256="+hex.EncodeToString(mac.Sum(nil)))
}

func ref(card, field, path string) flows.Binding {
	return flows.Binding{Ref: &flows.Ref{Card: card, Field: field, Path: path}}
}

// acmeExport is the Acme connector as an export file: registration,
// deregistration, a Webhook Event (each record of data.events, signed
// with the Registration Data's secret, deduplicated by X-Delivery-Id) and
// an Auth Ping.
func acmeExport(t *testing.T, baseURL string) []byte {
	t.Helper()
	return acmeExportWith(t, baseURL, nil)
}

// acmeExportWith is acmeExport with its flows changed by edit first.
func acmeExportWith(t *testing.T, baseURL string, edit func(*flows.ConnectorExport)) []byte {
	t.Helper()
	reg, _ := flows.NewDefinition(flows.KindWebhookRegistration, "Subscribe")
	reg.Event.Outputs = []flows.Field{{Key: "events", Label: "Events", Type: flows.TypeText, Required: true}}
	reg.Cards = []flows.Node{
		{ID: "body", Type: "object.construct", Inputs: []flows.Field{{Key: "url", Type: flows.TypeText}, {Key: "events", Type: flows.TypeText}},
			Bindings: map[string]flows.Binding{"url": ref("event", flows.FieldEventURL, ""), "events": ref("event", "events", "")}},
		{ID: "post", Type: "http.post", Bindings: map[string]flows.Binding{"url": {Value: "/subscriptions"}, "body": ref("body", "output", "")}},
		{ID: "return", Type: flows.ControlReturn, Inputs: []flows.Field{{Key: flows.FieldRegistrationData, Label: "Registration Data", Type: flows.TypeAny}},
			Bindings: map[string]flows.Binding{flows.FieldRegistrationData: ref("post", "body", "")}},
	}
	dereg, _ := flows.NewDefinition(flows.KindWebhookDeregistration, "Unsubscribe")
	dereg.Cards = []flows.Node{
		{ID: "url", Type: "text.compose", Bindings: map[string]flows.Binding{"text": {Parts: []flows.Part{
			{Text: "/subscriptions/"}, {Ref: &flows.Ref{Card: "event", Field: flows.FieldRegistrationData, Path: "id"}}}}}},
		{ID: "delete", Type: "http.delete", Bindings: map[string]flows.Binding{"url": ref("url", "output", "")}},
	}
	ev, _ := flows.NewDefinition(flows.KindWebhookEvent, "User event")
	ev.Cards = []flows.Node{{ID: "return", Type: flows.ControlReturn, Inputs: []flows.Field{{Key: "events", Label: "Events", Type: flows.ListOf(flows.TypeObject)}},
		Bindings: map[string]flows.Binding{"events": ref("event", "body", "data.events")}}}
	ev.Webhook = &flows.WebhookSettings{
		Options:        []flows.Field{{Key: "events", Label: "Events", Type: flows.TypeText, Required: true}},
		Registration:   &flows.FlowLink{Flow: 1, Inputs: map[string]flows.Binding{"events": ref(flows.OptionsCard, "events", "")}},
		Deregistration: &flows.FlowLink{Flow: 2},
		RunMode:        flows.RunEach, RecordsPath: "events", AckStatus: 202,
		Security: flows.WebhookSecurity{SignatureHeader: "X-Acme-Signature", Secret: "registration.secret", DedupeHeader: "X-Delivery-Id"},
	}
	get, _ := flows.NewDefinition(flows.KindAction, "Get user")
	get.Event.Outputs = []flows.Field{{Key: "id", Label: "User ID", Type: flows.TypeText, Required: true}}
	get.Cards = []flows.Node{
		{ID: "url", Type: "text.compose", Bindings: map[string]flows.Binding{"text": {Parts: []flows.Part{{Text: "/users/"}, {Ref: &flows.Ref{Card: "event", Field: "id"}}}}}},
		{ID: "get", Type: "http.get", Bindings: map[string]flows.Binding{"url": ref("url", "output", "")}},
		{ID: "return", Type: flows.ControlReturn, Inputs: []flows.Field{{Key: "name", Label: "Name", Type: flows.TypeText}},
			Bindings: map[string]flows.Binding{"name": ref("get", "body", "name")}},
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

// apiJSON calls the API and decodes the answer, failing unless the status is want.
func apiJSON(t *testing.T, c *webtest.Client, token, method, path string, body any, want int) map[string]any {
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

// deployAcme imports and deploys the Acme connector through the API and
// returns its id and version 1.
func deployAcme(t *testing.T, srv *webtest.Server, prov *acme, token string) (int64, flows.ConnectorVersion) {
	t.Helper()
	c := srv.NewClient()
	con := apiJSON(t, c, token, "POST", "/api/v1/connectors/import", acmeExport(t, prov.URL), http.StatusCreated)
	conID := int64(con["id"].(float64))
	apiJSON(t, c, token, "POST", fmt.Sprintf("/api/v1/connectors/%d/deploy", conID), nil, http.StatusCreated)
	v, err := srv.Store.Version(context.Background(), conID, 1)
	if err != nil {
		t.Fatal(err)
	}
	return conID, v
}

// acmeConnection makes a connection to Acme through the API and returns it.
func acmeConnection(t *testing.T, srv *webtest.Server, token string, conID int64) map[string]any {
	t.Helper()
	conn := apiJSON(t, srv.NewClient(), token, "POST", "/api/v1/connections", map[string]any{"connectorId": conID, "name": "Acme prod",
		"values": map[string]string{"api_key": acmeKey}}, http.StatusCreated)
	if vals, _ := conn["values"].(map[string]any); vals["api_key"] != flows.Masked {
		t.Fatalf("the API shows the connection's secret as %v, not masked", vals["api_key"])
	}
	return conn
}

// acmeSetup deploys Acme, makes a connection and a workspace flow on its
// Webhook Event (upper-casing each event's actor) through the API; it
// returns the flow's id.
func acmeSetup(t *testing.T, srv *webtest.Server, prov *acme, token string) int64 {
	t.Helper()
	conID, v := deployAcme(t, srv, prov, token)
	flowID, _ := newUsersFlow(t, srv, token, conID, v)
	return flowID
}

// newUsersFlow makes a connection to the deployed Acme connector conID and
// a workspace flow on version v's Webhook Event (upper-casing each event's
// actor) through the API; it returns the flow's id and the event flow's.
func newUsersFlow(t *testing.T, srv *webtest.Server, token string, conID int64, v flows.ConnectorVersion) (flowID, eventFlow int64) {
	t.Helper()
	conn := acmeConnection(t, srv, token, conID)
	fmt.Sscan(v.Export.FlowsOfKind(flows.KindWebhookEvent)[0].Key, &eventFlow)
	node, src, err := flows.ConnectorEvent(v, eventFlow)
	if err != nil {
		t.Fatal(err)
	}
	node.Bindings["events"] = flows.Binding{Value: "user.created"}
	src.Connection = int64(conn["id"].(float64))
	def, _ := flows.NewDefinition(flows.KindWorkspace, "New users")
	def.Event, def.Source = node, src
	def.Cards = []flows.Node{{ID: "who", Type: "text.upper", Bindings: map[string]flows.Binding{"text": ref("event", "events", "actor.displayName")}}}
	doc, _ := flows.MarshalDefinition(def)
	f := apiJSON(t, srv.NewClient(), token, "POST", "/api/v1/flows", doc, http.StatusCreated)
	return int64(f["id"].(float64)), eventFlow
}

// waitFor polls until cond holds, failing after a generous guard.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// payloadRuns lists the flow's payload executions.
func payloadRuns(t *testing.T, st *store.Store, flowID int64) []*flows.Execution {
	t.Helper()
	es, err := st.Executions(context.Background(), store.ExecutionFilter{FlowID: flowID, Trigger: flows.TriggerPayload})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func event(uuid, name string) map[string]any {
	return map[string]any{"uuid": uuid, "eventType": "user.lifecycle.create", "actor": map[string]any{"displayName": name}}
}
