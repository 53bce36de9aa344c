package web

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/hookflow/hookflow/flows"
)

// conditionEdit adds, sets (column and operator) or removes one condition
// of a Search Rows card, as its form on the canvas asks.
func (s *Server) conditionEdit(c echo.Context, def *flows.Definition, card string) error {
	n, ok := def.Card(card)
	if !ok {
		return fmt.Errorf("%w: there is no card %q", flows.ErrNotFound, card)
	}
	if n.Type != flows.TableSearch {
		return fmt.Errorf("%w: only Search Rows takes conditions", flows.ErrInvalid)
	}
	index, err := strconv.Atoi(c.FormValue("index"))
	if err != nil && c.FormValue("op") != "add_condition" {
		return fmt.Errorf("%w: say which condition to change", flows.ErrInvalid)
	}
	if c.FormValue("op") == "remove_condition" {
		return flows.RemoveCondition(n, index)
	}
	id, ok := n.Bindings[flows.TableInput].Value.(float64)
	if !ok {
		return fmt.Errorf("%w: choose the card's table first", flows.ErrInvalid)
	}
	t, err := s.store.Table(c.Request().Context(), int64(id))
	if errors.Is(err, flows.ErrNotFound) {
		return fmt.Errorf("%w: the card's table no longer exists: choose another", flows.ErrInvalid)
	} else if err != nil {
		return err
	}
	if c.FormValue("op") == "add_condition" {
		return flows.AddCondition(n, &t)
	}
	return flows.SetCondition(n, &t, index, c.FormValue("column"), flows.Operator(c.FormValue("operator")))
}
