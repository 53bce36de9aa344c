package flows

import (
	"context"
	"errors"
	"time"
)

// addWaits adds the cards that wait: Wait For, Wait Until, Pause, and
// Resume URL (see waits.go).
func addWaits(add func(CardSpec, func(r *run, ctx context.Context, n *Node, in map[string]any, step int) (Output, error))) {
	unit := func(def string) Field {
		return Field{Key: "unit", Label: "Unit", Type: TypeText, Choices: WaitUnits, Default: def}
	}
	add(spec(ControlWaitFor, "Wait For", "Pause the flow for an amount of time (seconds to days). A long wait holds nothing while it waits and survives restarts.",
		[]Field{{Key: "amount", Label: "Amount", Type: TypeNumber, Required: true}, unit("seconds")}, nil),
		func(r *run, ctx context.Context, n *Node, in map[string]any, _ int) (Output, error) {
			d, _, err := duration(in, 0)
			if err != nil {
				return nil, err
			}
			return r.waitUntil(ctx, n, r.e.opts.Now().Add(d))
		})

	add(spec(ControlWaitUntil, "Wait Until", "Pause the flow until a date-time (RFC 3339); a time that has passed goes on at once.",
		[]Field{{Key: "until", Label: "Until", Type: TypeDate, Required: true}}, nil),
		func(r *run, ctx context.Context, n *Node, in map[string]any, _ int) (Output, error) {
			until, ok := in["until"].(time.Time)
			if !ok {
				return nil, errors.New("until is not a date-time")
			}
			return r.waitUntil(ctx, n, until)
		})

	s := spec(ControlPause, "Pause", "Stop the run until its resume URL receives a POST; the request's JSON body fills the outputs. "+
		"Send the URL from a Resume URL card before the Pause. Fails when the timeout passes first.",
		[]Field{{Key: "amount", Label: "Timeout", Type: TypeNumber, Default: 30.0, Help: "How long to wait for the resume request."}, unit("days")},
		[]Field{{Key: "body", Label: "Body", Type: TypeAny, Help: "The resume request's JSON body."},
			{Key: "resumeUrl", Label: "Resume URL", Type: TypeText}})
	s.ExtensibleOutputs = true
	add(s, func(r *run, _ context.Context, n *Node, in map[string]any, _ int) (Output, error) {
		return r.pause(n, in)
	})

	add(spec(ControlResumeURL, "Resume URL", "The URL that resumes this run when a Pause stops it: send it to whoever should resume the run, before the Pause.",
		nil, []Field{{Key: "url", Label: "URL", Type: TypeText}}),
		func(r *run, _ context.Context, _ *Node, _ map[string]any, _ int) (Output, error) {
			if r.e.opts.Waits == nil {
				return nil, errNoWaits
			}
			if !r.durable() {
				return nil, ErrPauseNested
			}
			tok, err := r.resumeToken()
			if err != nil {
				return nil, err
			}
			return Output{"url": r.e.opts.ResumeURL(tok)}, nil
		})
}
