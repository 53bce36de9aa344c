package web_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
	"github.com/hookflow/hookflow/web/webtest"
)

// BenchmarkDeliveryPath posts the reference payload to an Event URL from
// parallel clients and waits until every execution is recorded: the
// acknowledgement, the group commit, the worker, both flows and the
// history. go test -tags sqlite_fts5 -run '^$' -bench DeliveryPath ./web/
func BenchmarkDeliveryPath(b *testing.B) {
	srv := webtest.StartWith(b, webtest.Options{StartQueue: true})
	ctx := context.Background()
	raw, err := os.ReadFile("../cmd/hookflow-bench/testdata/connector.json")
	if err != nil {
		b.Fatal(err)
	}
	x, _ := flows.ParseConnector(raw)
	con, err := srv.Store.ImportConnector(ctx, x, 0)
	if err != nil {
		b.Fatal(err)
	}
	fs, _ := srv.Store.Flows(ctx, con.ID)
	v, err := srv.Store.Deploy(ctx, flows.ExportConnector(con, fs), con.ID, "bench")
	if err != nil {
		b.Fatal(err)
	}
	raw, _ = os.ReadFile("../cmd/hookflow-bench/testdata/flow.json")
	def, _ := flows.ParseDefinition(raw)
	_, def.Source, _ = flows.ConnectorEvent(v, fs[0].ID)
	f, err := srv.Store.CreateFlow(ctx, flows.Flow{Definition: def})
	if err != nil {
		b.Fatal(err)
	}
	sub, err := srv.Web.Lifecycle().On(ctx, f.ID)
	if err != nil {
		b.Fatal(err)
	}
	hook := srv.Web.Lifecycle().EventURL(sub.Token)
	var n atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			body := `{"data":{"events":[{"uuid":"` + strconv.FormatInt(i, 10) + `","actor":{"displayName":"Ada Lovelace","alternateId":"ada@example.com"}}]}}`
			res, err := http.Post(hook, "application/json", bytes.NewReader([]byte(body)))
			if err != nil || res.StatusCode != 202 {
				b.Fatalf("post: %v %v", res, err)
			}
			res.Body.Close()
		}
	})
	for deadline := time.Now().Add(5 * time.Minute); ; time.Sleep(5 * time.Millisecond) {
		q, _ := srv.Store.CountQueuedDeliveries(ctx)
		if q == 0 {
			break
		}
		if time.Now().After(deadline) {
			b.Fatal("deliveries still queued")
		}
	}
	b.StopTimer()
	runs, _ := srv.Store.Executions(ctx, store.ExecutionFilter{FlowID: f.ID, Limit: int(n.Load()) + 10})
	if len(runs) != int(n.Load()) {
		b.Fatal(fmt.Sprintf("%d runs of %d payloads", len(runs), n.Load()))
	}
}
