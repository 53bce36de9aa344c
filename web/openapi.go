package web

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"

	"github.com/labstack/echo/v4"
	"go.yaml.in/yaml/v4"
)

// openAPIYAML is the OpenAPI 3.1 document of the JSON API under /api/v1.
//
//go:embed openapi.yaml
var openAPIYAML []byte

// openAPIJSON is openapi.yaml as JSON, converted once.
var openAPIJSON = sync.OnceValues(func() ([]byte, error) {
	var doc any
	if err := yaml.Unmarshal(openAPIYAML, &doc); err != nil {
		return nil, fmt.Errorf("web: read openapi.yaml: %w", err)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("web: openapi.yaml as JSON: %w", err)
	}
	return b, nil
})

// OpenAPI returns the OpenAPI 3.1 document of the JSON API, as JSON: what
// GET /api/v1/openapi.json serves.
func OpenAPI() ([]byte, error) { return openAPIJSON() }

// apiOpenAPI serves the OpenAPI document. It is open: it describes the API
// and holds nothing of the server's data.
func (s *Server) apiOpenAPI(c echo.Context) error {
	b, err := openAPIJSON()
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-cache")
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, b)
}
