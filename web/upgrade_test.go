package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/web/webtest"
)

// TestDeployRefusesEventWithoutOutputs: a Webhook Event flow with no Return
// card would give workspace flows an event card without outputs; Deploy
// refuses it on the page and in the API, saying why and naming the flow.
func TestDeployRefusesEventWithoutOutputs(t *testing.T) {
	prov := newAcme(t)
	srv := webtest.Start(t)
	c := srv.SignedIn(t)
	x, err := flows.ParseConnector(acmeExportWith(t, prov.URL, func(x *flows.ConnectorExport) {
		x.Flows[2].Definition.Cards = []flows.Node{}
	}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	con, err := srv.Store.ImportConnector(ctx, x, 0)
	if err != nil {
		t.Fatal(err)
	}

	res, body := postForm(t, c, fmt.Sprintf("/connectors/%d/deploy", con.ID), url.Values{})
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("deploy: status %d", res.StatusCode)
	}
	problem := parse(t, body).Find(`[data-testid="deploy-problem"]`).Text()
	if !strings.Contains(problem, `flow "User event": a Webhook Event flow ends in a Return card`) {
		t.Fatalf("the page says %q", problem)
	}

	code, out := srv.NewClient().API(t, srv.Token(t), http.MethodPost, fmt.Sprintf("/api/v1/connectors/%d/deploy", con.ID), "")
	if code != http.StatusUnprocessableEntity || !strings.Contains(out, `"code":"event_return"`) || !strings.Contains(out, `flow \"User event\"`) {
		t.Fatalf("API deploy: %d %s", code, out)
	}
	if vs, _ := srv.Store.Versions(ctx, con.ID); len(vs) != 0 {
		t.Fatalf("a refused deploy stored %d versions", len(vs))
	}
}
