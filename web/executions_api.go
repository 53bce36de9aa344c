package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/hookflow/hookflow/flows"
)

// apiHistoryQuery reads the API's names of the history's filters: since
// and until are from and to.
func apiHistoryQuery(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = v
	}
	for alias, k := range map[string]string{"since": "from", "until": "to"} {
		if v := q.Get(alias); v != "" && q.Get(k) == "" {
			out.Set(k, v)
		}
	}
	return out
}

// maxBulkRerun is how many executions one bulk re-run takes at most.
const maxBulkRerun = 100

// bulkRerunRequest is the body of POST /api/v1/executions/rerun: the ids
// to re-run, or a filter (as GET /api/v1/executions takes) and how many
// of the newest it chooses to re-run.
type bulkRerunRequest struct {
	IDs    []string          `json:"ids"`
	Filter map[string]string `json:"filter"`
	Limit  int               `json:"limit"`
	// Original re-runs each on the revision of the flow it ran with.
	Original bool `json:"original"`
}

// rerunOutcome is what became of one execution of a bulk re-run: the new
// execution, or the error that refused it.
type rerunOutcome struct {
	ID     string        `json:"id"`
	Rerun  string        `json:"rerun,omitempty"`
	Status flows.Status  `json:"status,omitempty"`
	Error  *outcomeError `json:"error,omitempty"`
}

// outcomeError is one refusal, as the API's errors say it.
type outcomeError struct {
	Status  int    `json:"status"`
	Message string `json:"message"`
}

// bulkRerunJSON is the answer of a bulk re-run.
type bulkRerunJSON struct {
	Results []rerunOutcome `json:"results"`
	Rerun   int            `json:"rerun"`
	Failed  int            `json:"failed"`
}

// bulkRerunIDs are the executions a bulk re-run names or chooses.
func (s *Server) bulkRerunIDs(c echo.Context, req bulkRerunRequest) ([]string, error) {
	switch {
	case len(req.IDs) > 0 && req.Filter != nil:
		return nil, fmt.Errorf("%w: send ids or a filter, not both", flows.ErrInvalid)
	case len(req.IDs) > maxBulkRerun:
		return nil, fmt.Errorf("%w: re-run at most %d executions at once", flows.ErrInvalid, maxBulkRerun)
	case len(req.IDs) > 0:
		return req.IDs, nil
	case req.Filter == nil:
		return nil, fmt.Errorf("%w: send the ids of the executions to re-run, or a filter", flows.ErrInvalid)
	case req.Limit < 0 || req.Limit > maxBulkRerun:
		return nil, fmt.Errorf("%w: limit is 1 to %d", flows.ErrInvalid, maxBulkRerun)
	}
	q := url.Values{}
	for k, v := range req.Filter {
		if k == "before" || k == "after" || k == "limit" {
			return nil, fmt.Errorf("%w: the filter takes no %s", flows.ErrInvalid, k)
		}
		q.Set(k, v)
	}
	f, _, err := historyFilter(apiHistoryQuery(q))
	if err != nil {
		return nil, err
	}
	f.Limit = cmp0(req.Limit, maxBulkRerun)
	rows, err := s.store.Executions(c.Request().Context(), f)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(rows))
	for i, e := range rows {
		ids[i] = e.ID
	}
	return ids, nil
}

// cmp0 is n, or def when n is 0.
func cmp0(n, def int) int {
	if n == 0 {
		return def
	}
	return n
}

// rerunOne re-runs one execution, as its page's Re-run does.
func (s *Server) rerunOne(ctx context.Context, id string, original bool) (*flows.Execution, error) {
	e, err := s.store.Execution(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.lifecycle.Rerun(ctx, s.store, e, original)
}

// apiExecutionsRerun re-runs executions one after the other and answers
// with what became of each: a refusal of one stops none of the others.
func (s *Server) apiExecutionsRerun(c echo.Context) error {
	var req bulkRerunRequest
	if err := decodeJSON(c, &req, `{"ids": ["…"]} or {"filter": {"status": "failed", "flow": "3"}, "limit": 100}`); err != nil {
		return err
	}
	ids, err := s.bulkRerunIDs(c, req)
	if err != nil {
		return err
	}
	out := bulkRerunJSON{Results: make([]rerunOutcome, 0, len(ids))}
	for _, id := range ids {
		x, err := s.rerunOne(c.Request().Context(), id, req.Original)
		if err != nil {
			code, msg := statusOf(err)
			if code >= 500 {
				s.log.ErrorContext(c.Request().Context(), "bulk re-run failed", "execution", id, "error", err)
			}
			out.Results = append(out.Results, rerunOutcome{ID: id, Error: &outcomeError{Status: code, Message: msg}})
			out.Failed++
			continue
		}
		out.Results = append(out.Results, rerunOutcome{ID: id, Rerun: x.ID, Status: x.Status})
		out.Rerun++
	}
	return c.JSON(http.StatusOK, out)
}
