package main

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookflow/hookflow/flows"
)

// park stores paused runs (a Pause of 30 days) and runs waiting a
// minute (Wait For), each started through the API by 8 senders, and
// returns how long that took: the parked workload runs the reference
// workload beside them.
func (b *bench) park(paused, waiting int) (time.Duration, error) {
	began := time.Now()
	flow := func(name string, card flows.Node) (int64, error) {
		def, err := flows.NewDefinition(flows.KindWorkspace, name)
		if err != nil {
			return 0, err
		}
		def.Cards = []flows.Node{card}
		doc, _ := flows.MarshalDefinition(def)
		var f struct{ ID int64 }
		return f.ID, b.api("POST", "/api/v1/flows", doc, &f)
	}
	pauseID, err := flow("Parked: paused", flows.Node{ID: "pause", Type: flows.ControlPause,
		Bindings: map[string]flows.Binding{"amount": {Value: 30.0}, "unit": {Value: "days"}}})
	if err != nil {
		return 0, err
	}
	waitID, err := flow("Parked: waits a minute", flows.Node{ID: "wait", Type: flows.ControlWaitFor,
		Bindings: map[string]flows.Binding{"amount": {Value: 1.0}, "unit": {Value: "minutes"}}})
	if err != nil {
		return 0, err
	}
	var next atomic.Int64
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n := int(next.Add(1))
				if n > paused+waiting {
					return
				}
				id, want := pauseID, flows.StatusPaused
				if n > paused {
					id, want = waitID, flows.StatusWaiting
				}
				var x struct{ Status flows.Status }
				err := b.api("POST", fmt.Sprintf("/api/v1/flows/%d/runs", id), []byte(`{"input":{}}`), &x)
				if err == nil && x.Status != want {
					err = fmt.Errorf("a parked run ended %s, want %s", x.Status, want)
				}
				if err != nil {
					once.Do(func() { first = err })
					return
				}
			}
		}()
	}
	wg.Wait()
	return time.Since(began), first
}
