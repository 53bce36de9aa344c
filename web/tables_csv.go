package web

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/hookflow/hookflow/flows"
)

// apiExportCSV answers a table's rows as a CSV file, read a page at a
// time. A failure once the file has begun ends the connection, so that
// a cut file is never taken for a whole one.
func (s *Server) apiExportCSV(c echo.Context) error {
	id, err := tableID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	t, err := s.store.Table(ctx, id)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s.csv"`, fileName(t.Name)))
	c.Response().WriteHeader(http.StatusOK)
	if err := flows.ExportRows(ctx, s.store, &t, c.Response()); err != nil {
		s.log.ErrorContext(ctx, "export table", "table", id, "error", err)
		panic(http.ErrAbortHandler)
	}
	return nil
}

// fileName keeps the letters, digits, dashes and underscores of a name.
func fileName(name string) string {
	f := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		case r == ' ':
			return '-'
		}
		return -1
	}, name)
	if f == "" {
		return "table"
	}
	return f
}

// apiImportCSV adds the rows of a CSV file, the body itself or the file
// field of a form: all of them, or none when any is wrong.
func (s *Server) apiImportCSV(c echo.Context) error {
	id, err := tableID(c)
	if err != nil {
		return err
	}
	var body io.Reader = c.Request().Body
	if strings.HasPrefix(c.Request().Header.Get(echo.HeaderContentType), echo.MIMEMultipartForm) {
		fh, err := c.FormFile("file")
		if err != nil {
			return fmt.Errorf("%w: send the CSV file in the form's file field", flows.ErrInvalid)
		}
		f, err := fh.Open()
		if err != nil {
			return err
		}
		defer f.Close()
		body = f
	}
	n, err := s.tables().Import(c.Request().Context(), id, body)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]int{"imported": n})
}
