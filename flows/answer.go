package flows

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Answer is what the caller of an API Endpoint flow gets: a status,
// headers and a body. ExecutionID names the run that answered.
type Answer struct {
	Status      int
	Headers     map[string]string
	Body        []byte
	ExecutionID string
}

// FieldExecutionID is the API Endpoint event card's output holding the
// run's execution id.
const FieldExecutionID = "executionId"

// statusRange is the status codes a card may answer with.
type statusRange struct {
	text string
	ok   func(int) bool
}

var (
	// returnRawStatuses: a Return Raw answers 200 or an error status.
	returnRawStatuses = statusRange{"200 or 400 to 599", func(s int) bool { return s == 200 || s >= 400 && s <= 599 }}
	// closeStatuses: an HTTP Close answers with a success or an error.
	closeStatuses = statusRange{"200 to 299 or 400 to 599", func(s int) bool { return s >= 200 && s <= 299 || s >= 400 && s <= 599 }}
)

// check fails unless v is a whole status code in the range.
func (sr statusRange) check(v any) error {
	f, ok := v.(float64)
	if !ok || f != float64(int(f)) || !sr.ok(int(f)) {
		got, _ := ToText(v)
		return fmt.Errorf("the status code must be %s, not %q", sr.text, got)
	}
	return nil
}

// answerStatuses are the status ranges of the cards that answer.
var answerStatuses = map[string]statusRange{ControlReturnRaw: returnRawStatuses, ControlHTTPClose: closeStatuses}

// answerStatus checks the static status code of a card that answers.
func (v *validator) answerStatus(n *Node, lane string) {
	sr, ok := answerStatuses[n.Type]
	if !ok {
		return
	}
	if b, ok := n.Bindings["status"]; ok && b.Value != nil {
		st, err := Convert(b.Value, TypeNumber)
		if err != nil {
			return // the binding's type problem is told already
		}
		if err := sr.check(st); err != nil {
			v.add(n.ID, lane, "status", "status", "%s", err.Error())
		}
	}
}

// answerFields are the inputs of the cards that answer a request.
func answerFields(sr statusRange) []Field {
	return []Field{{Key: "status", Label: "Status code", Type: TypeNumber, Default: 200.0, Help: "The HTTP status: " + sr.text + "."},
		{Key: "headers", Label: "Headers", Type: TypeObject, Help: "Response headers, e.g. {\"Content-Type\": \"text/csv\"}."},
		{Key: "body", Label: "Body", Type: TypeAny, Help: "Text is sent as it is; any other value as JSON."}}
}

// runHTTPClose is the HTTP Close card: it answers the run's caller at once
// (a run without one, or that has answered, goes on all the same).
func runHTTPClose(r *run, _ context.Context, _ *Node, in map[string]any, _ int) (Output, error) {
	if err := closeStatuses.check(in["status"]); err != nil {
		return nil, err
	}
	r.respond(rawAnswer(in))
	return Output{}, nil
}

// respond hands the caller its answer, the first time only.
func (r *run) respond(a Answer) {
	if r.req.Respond == nil || r.answered {
		return
	}
	r.answered = true
	a.ExecutionID = r.exec.ID
	r.req.Respond(a)
}

// answerEnd answers the caller with how the run ended, unless an HTTP
// Close answered already: a Return's outputs as JSON (200), a Return
// Raw's status, headers and body, a Return Error's status and message, a
// body the flow cannot read (400), a failure's message (500; 503 when the
// server shut down), and an empty object when the flow ends without a
// Return.
func (r *run) answerEnd(err error) {
	if r.req.Respond == nil || r.answered {
		return
	}
	x := r.exec
	var ret returnSignal
	var fe *FlowError
	switch {
	case x.Status == StatusSucceeded && errors.As(err, &ret) && ret.raw:
		r.respond(rawAnswer(ret.output))
	case x.Status == StatusSucceeded || x.Status == StatusStopped:
		out := x.Output
		if out == nil {
			out = map[string]any{}
		}
		r.respond(JSONAnswer(http.StatusOK, out))
	case errors.As(x.cause, &fe):
		r.respond(ErrorAnswer(fe.Status, fe.Message))
	case errors.As(x.cause, new(*BodyError)):
		r.respond(ErrorAnswer(http.StatusBadRequest, x.cause.Error()))
	case x.Interrupted():
		r.respond(ErrorAnswer(http.StatusServiceUnavailable, x.Error))
	default:
		r.respond(ErrorAnswer(http.StatusInternalServerError, failureText(x)))
	}
}

// failureText is a failed run's error in words: the failing card's, as
// its step shows it, else the run's.
func failureText(x *Execution) string {
	for i := len(x.Steps) - 1; i >= 0; i-- {
		if st := x.Steps[i]; st.CardID == x.ErrorCard && st.Error != "" {
			return st.Error
		}
	}
	if x.Error == "" {
		return "the flow " + string(x.Status)
	}
	return x.Error
}

// rawAnswer is the answer of a Return Raw's or HTTP Close's inputs:
// text bodies go as they are (text/plain unless the headers say), other
// values as JSON.
func rawAnswer(in map[string]any) Answer {
	a := Answer{Status: http.StatusOK, Headers: map[string]string{}}
	if f, ok := in["status"].(float64); ok {
		a.Status = int(f)
	}
	hs, _ := in["headers"].(map[string]any)
	for k, v := range hs {
		s, err := ToText(v)
		if err == nil && k != "" {
			a.Headers[k] = s
		}
	}
	ctype := "text/plain; charset=utf-8"
	switch b := in["body"].(type) {
	case nil:
	case string:
		a.Body = []byte(b)
	default:
		a.Body, _ = json.Marshal(b)
		ctype = "application/json"
	}
	if !hasHeader(a.Headers, "Content-Type") && len(a.Body) > 0 {
		a.Headers["Content-Type"] = ctype
	}
	return a
}

func hasHeader(h map[string]string, name string) bool {
	for k := range h {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}

// JSONAnswer is an answer with v as its JSON body.
func JSONAnswer(status int, v any) Answer {
	b, err := json.Marshal(v)
	if err != nil {
		return ErrorAnswer(http.StatusInternalServerError, "the flow's answer cannot be sent as JSON: "+err.Error())
	}
	return Answer{Status: status, Headers: map[string]string{"Content-Type": "application/json"}, Body: b}
}

// ErrorAnswer is an error answer: {"error": {"status": …, "message": …}}.
func ErrorAnswer(status int, message string) Answer {
	type body struct {
		Status  int    `json:"status"`
		Message string `json:"message"`
	}
	return JSONAnswer(status, map[string]body{"error": {status, message}})
}
