package webtest

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// exchange builds a request to the API and the response a server gave.
func exchange(method, path, reqBody string, status int, resBody string) (*http.Request, []byte, *http.Response, []byte) {
	req, _ := http.NewRequest(method, "http://127.0.0.1:1"+path, strings.NewReader(reqBody))
	if reqBody != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer hf_x")
	res := &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(resBody))}
	return req, []byte(reqBody), res, []byte(resBody)
}

func TestCheckAPI(t *testing.T) {
	tests := []struct {
		name                  string
		method, path, reqBody string
		status                int
		resBody               string
		wantErr               string // "" when the exchange matches the document
	}{
		{"a documented answer", "GET", "/api/v1/me", "", 200, `{"id": 1, "email": "a@b.test"}`, ""},
		{"the error shape", "GET", "/api/v1/flows/9", "", 404, `{"error": {"status": 404, "message": "Not found."}}`, ""},
		{"a field of the wrong type", "GET", "/api/v1/me", "", 200, `{"id": "1", "email": "a@b.test"}`, "response does not match"},
		{"a field the document does not know", "GET", "/api/v1/me", "", 200, `{"id": 1, "email": "a@b.test", "admin": true}`, "admin"},
		{"a required field missing", "GET", "/api/v1/me", "", 200, `{"id": 1}`, "email"},
		{"an error in another shape", "GET", "/api/v1/flows/9", "", 404, `{"error": "not found"}`, "response does not match"},
		{"a status the operation does not list", "GET", "/api/v1/me", "", 203, `{"id": 1, "email": "a@b.test"}`, "response does not match"},
		{"a route the document lacks", "GET", "/api/v1/widgets", "", 200, `{}`, "no operation"},
		{"a route neither knows", "GET", "/api/v1/widgets", "", 404, `{"error": {"status": 404, "message": "Not Found"}}`, ""},
		{"a refused request, refused", "POST", "/api/v1/tables", `{"name": 3}`, 422, `{"error": {"status": 422, "message": "no"}}`, ""},
		{"a refused request, accepted", "POST", "/api/v1/tables", `{"name": 3}`, 201,
			`{"id": 1, "name": "3", "description": "", "columns": [], "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z"}`, "accepted a request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := checkAPI(exchange(tt.method, tt.path, tt.reqBody, tt.status, tt.resBody))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("checkAPI = %v, want no error", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("checkAPI = %v, want an error with %q", err, tt.wantErr)
			}
		})
	}
}
