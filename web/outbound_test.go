package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/web/webtest"
)

// TestPayloadChosenURLRefusedByDefault: a workspace flow posts to the URL
// its payload names. A server with the default outbound policy refuses a
// loopback URL and says which setting opens it; one that allows loopback
// (as the test harness does) calls it.
func TestPayloadChosenURLRefusedByDefault(t *testing.T) {
	var reached atomic.Int32
	service := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		w.Write([]byte("ok"))
	}))
	t.Cleanup(service.Close)
	tests := []struct {
		name    string
		opts    webtest.Options
		wantErr string
	}{
		{name: "default policy", opts: webtest.Options{StartQueue: true, NoOutboundAllow: true},
			wantErr: "outbound call to " + service.Listener.Addr().String() + " refused: loopback addresses are closed; allow them with HOOKFLOW_OUTBOUND_ALLOW"},
		{name: "loopback allowed", opts: webtest.Options{StartQueue: true, OutboundAllow: "127.0.0.1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reached.Store(0)
			srv := webtest.StartWith(t, tt.opts)
			flowID, hook := webtest.OktaFlowWith(t, srv, flows.Node{ID: "post", Type: "http.post",
				Bindings: map[string]flows.Binding{"url": webtest.Ref("event", "event", "callback"), "body": {Value: "hello"}}})
			body := fmt.Sprintf(`{"data":{"events":[{"uuid":"evt-1","callback":%q}]}}`, service.URL+"/collect")
			res, _ := srv.NewClient().Do(t, http.MethodPost, hook, strings.NewReader(body), http.Header{"Content-Type": {"application/json"}, "Authorization": {webtest.OktaHookSecret}})
			if res.StatusCode != http.StatusOK {
				t.Fatalf("delivery: %d", res.StatusCode)
			}
			run := finishedPayloadRun(t, srv, flowID)
			if tt.wantErr == "" {
				if run.Status != flows.StatusSucceeded || reached.Load() != 1 {
					t.Fatalf("run %s (%s), %d requests", run.Status, run.Error, reached.Load())
				}
				return
			}
			if run.Status != flows.StatusFailed || !strings.Contains(run.Error, tt.wantErr) {
				t.Fatalf("run %s: %q, want %q", run.Status, run.Error, tt.wantErr)
			}
			if reached.Load() != 0 {
				t.Fatal("the refused request reached the service")
			}
		})
	}
}

// TestConnectorFormCredentialHosts: the overview form keeps the other
// hosts that get a connection's credentials, and refuses one that is not
// an origin next to the field.
func TestConnectorFormCredentialHosts(t *testing.T) {
	srv := webtest.Start(t)
	c := srv.SignedIn(t)
	form := acmeForm()
	form.Set("auth.kind", "bearer") // a kind whose connections send credentials
	form.Set("auth.hosts", "https://uploads.acme.test\r\nhttps://files.acme.test:8443")
	res, _ := webtest.PostConnectorForm(t, c, "/connectors", form)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d", res.StatusCode)
	}
	list, _ := srv.Store.Connectors(context.Background())
	want := []string{"https://uploads.acme.test", "https://files.acme.test:8443"}
	if len(list) != 1 || !slices.Equal(list[0].Info.Auth.Hosts, want) {
		t.Fatalf("stored %+v", list)
	}
	_, body := c.Get(t, strings.TrimSuffix(res.Header.Get("Location"), "?tab=flows")) // the Overview tab
	if got := parse(t, body).Find(`[data-testid="auth-hosts"]`).Text(); got != strings.Join(want, "\n") {
		t.Fatalf("the form shows %q", got)
	}

	form.Set("name", "Other")
	form.Set("auth.hosts", "uploads.acme.test/files")
	res, body = webtest.PostConnectorForm(t, c, "/connectors", form)
	doc := parse(t, body)
	if res.StatusCode != http.StatusUnprocessableEntity || doc.Find(`[data-testid="error-auth.hosts"]`).Length() != 1 {
		t.Fatalf("a host that is no origin: %d", res.StatusCode)
	}
	if got := doc.Find(`[data-testid="auth-hosts"]`).Text(); got != "uploads.acme.test/files" {
		t.Fatalf("the form lost what was typed: %q", got)
	}
}
