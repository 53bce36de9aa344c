package web

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/templates"
)

// previewRows is how many rows of a CSV file the import preview shows.
const previewRows = 10

// tableImportForm asks for a CSV file to import.
func (s *Server) tableImportForm(c echo.Context) error {
	id, err := tableID(c)
	if err != nil {
		return err
	}
	t, err := s.store.Table(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, templates.TableImportPage(s.page(c, "Import into "+t.Name, "tables"), templates.ImportPreview{Table: t}))
}

// tableImportPreview reads an uploaded CSV file and shows its first rows
// and every problem flows.ReadCSV finds, writing nothing.
func (s *Server) tableImportPreview(c echo.Context) error {
	id, err := tableID(c)
	if err != nil {
		return err
	}
	t, err := s.store.Table(c.Request().Context(), id)
	if err != nil {
		return err
	}
	v := templates.ImportPreview{Table: t}
	fh, err := c.FormFile("file")
	if err != nil {
		v.Problems = []string{"Choose a CSV file to import."}
		return render(c, http.StatusUnprocessableEntity, templates.TableImportPage(s.page(c, "Import into "+t.Name, "tables"), v))
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		return err
	}
	v.FileName, v.CSV = fh.Filename, string(b)
	v.Head, v.Lines, v.More = previewCSV(v.CSV)
	rows, _, err := flows.ReadCSV(strings.NewReader(v.CSV), &t)
	var ve *flows.ValidationError
	switch {
	case errors.As(err, &ve):
		for _, p := range ve.Problems {
			v.Problems = append(v.Problems, plainSentence(p.Message))
		}
	case err != nil:
		return err
	}
	v.Count = len(rows)
	status := http.StatusOK
	if len(v.Problems) > 0 {
		status = http.StatusUnprocessableEntity
	}
	return render(c, status, templates.TableImportPage(s.page(c, "Import into "+t.Name, "tables"), v))
}

// previewCSV reads the header and the first rows of a CSV file as they
// are, for showing; More says there are rows after them.
func previewCSV(text string) (head []string, lines [][]string, more bool) {
	r := csv.NewReader(strings.NewReader(text))
	r.FieldsPerRecord = -1
	rec, err := r.Read()
	if err != nil {
		return nil, nil, false
	}
	head = append(head, rec...)
	for {
		rec, err := r.Read()
		if err != nil {
			return head, lines, false
		}
		if len(lines) == previewRows {
			return head, lines, true
		}
		lines = append(lines, append([]string(nil), rec...))
	}
}

// tableImport imports the previewed CSV: every row, or none.
func (s *Server) tableImport(c echo.Context) error {
	id, err := tableID(c)
	if err != nil {
		return err
	}
	n, err := s.tables().Import(c.Request().Context(), id, strings.NewReader(c.FormValue("csv")))
	if err != nil {
		if err := s.flashProblem(c, "Nothing was imported. ", err); err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, s.URL("tables.import.form", id))
	}
	s.flash(c, "success", fmt.Sprintf("Imported %d rows.", n))
	return c.Redirect(http.StatusSeeOther, s.URL("tables.show", id))
}
