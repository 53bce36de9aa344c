package flopack

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"
)

// The shapes of a flopack file as Okta Workflows writes it (see
// shared/research/flopack.md); only what the translation reads.

type rawPack struct {
	Type    string `json:"type"`
	Version string `json:"version"`
	Data    *struct {
		Flos   map[string]rawFlo   `json:"flos"`
		Tables map[string]rawTable `json:"tables"`
		Groups map[string]struct {
			Data struct {
				Name string `json:"name"`
			} `json:"data"`
		} `json:"groups"`
	} `json:"data"`
}

type rawFlo struct {
	ID          string       `json:"id"`
	Name        string       `json:"name"`
	Description string       `json:"description"`
	Data        *rawFlowData `json:"data"`
}

type rawTable struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Data        struct {
		Structure []struct {
			Name    string `json:"name"`
			Type    string `json:"type"`
			Default any    `json:"default"`
		} `json:"structure"`
	} `json:"data"`
}

// rawFlowData is a flow's body: a top-level flow's, or an inline flow's
// (a lane of If/ElseIf or If Error, an app event's body).
type rawFlowData struct {
	UUID          string              `json:"uuid"`
	Methods       []rawMethod         `json:"methods"`
	Orderings     map[string][]string `json:"orderings"`
	Scheduled     bool                `json:"scheduled"`
	Cron          json.RawMessage     `json:"cron"`
	SecurityLevel string              `json:"security_level"`
}

type rawMethod struct {
	Address string `json:"address"`
	UUID    string `json:"uuid"`
	Node    struct {
		Key  string `json:"key"`
		Data struct {
			Name      string `json:"name"`
			Displayed *bool  `json:"displayed"`
		} `json:"data"`
		Model rawModel `json:"model"`
	} `json:"node"`
	// Inputs and Outputs are read here too: some exports (and trimmed
	// examples) hold them on the card rather than in its model.
	Inputs   rawFields                      `json:"inputs"`
	Outputs  rawFields                      `json:"outputs"`
	Pins     map[string]map[string][]rawPin `json:"pins"`
	Joins    map[string][]rawJoin           `json:"joins"`
	Branches map[string]bool                `json:"branches"`
}

type rawModel struct {
	Key         string          `json:"key"`
	Webhook     bool            `json:"webhook"`
	WebhookList bool            `json:"webhookList"`
	Parameters  json.RawMessage `json:"parameters"`
	// Config names the connection (a configs uuid) the card runs with.
	Config json.RawMessage `json:"config"`
	Policy struct {
		Error *rawPolicy `json:"error"`
	} `json:"policy"`
	Inputs  rawFields `json:"inputs"`
	Outputs rawFields `json:"outputs"`
}

type rawPolicy struct {
	Type  string          `json:"type"`
	Flo   json.RawMessage `json:"flo"`
	Retry float64         `json:"retry"`
	Delay json.RawMessage `json:"delay"`
}

type rawPin struct {
	Input     string                  `json:"input"`
	Transform map[string]rawTransform `json:"transform"`
}

type rawTransform struct {
	Convert        string `json:"convert"`
	ForceWrapArray bool   `json:"forceWrapArray"`
}

type rawJoin struct {
	Output string `json:"output"`
}

type rawField struct {
	ID    string `json:"id"`
	Group any    `json:"group"`
	Key   string `json:"key"`
	Value struct {
		Type       json.RawMessage `json:"type"`
		Collection bool            `json:"collection"`
		Data       json.RawMessage `json:"data"`
		Proxy      *struct {
			Dynamic bool   `json:"dynamic"`
			Path    string `json:"path"`
		} `json:"proxy"`
	} `json:"value"`
	Required bool `json:"required"`
	Metadata struct {
		Index       float64 `json:"index"`
		DisplayName string  `json:"displayname"`
		Path        string  `json:"path"`
	} `json:"metadata"`
}

// rawFields are a card's fields in their order: Okta writes them as
// {"data": {id: field}}, as {id: field} or as a list.
type rawFields []rawField

func (fs *rawFields) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] == 'n' {
		return nil
	}
	var list []rawField
	if b[0] == '[' {
		if err := json.Unmarshal(b, &list); err != nil {
			return err
		}
	} else {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(b, &obj); err != nil {
			return err
		}
		if d, ok := obj["data"]; ok && len(obj) <= 2 {
			if err := json.Unmarshal(d, &obj); err != nil {
				obj = nil
			}
		}
		for id, raw := range obj {
			var f rawField
			if json.Unmarshal(raw, &f) != nil || (f.Key == "" && f.ID == "") {
				continue
			}
			if f.ID == "" {
				f.ID = id
			}
			list = append(list, f)
		}
	}
	sort.SliceStable(list, func(i, j int) bool {
		if list[i].Metadata.Index != list[j].Metadata.Index {
			return list[i].Metadata.Index < list[j].Metadata.Index
		}
		return list[i].ID < list[j].ID
	})
	*fs = list
	return nil
}

func (m *rawMethod) inputs() rawFields {
	if len(m.Node.Model.Inputs) > 0 {
		return m.Node.Model.Inputs
	}
	return m.Inputs
}

func (m *rawMethod) outputs() rawFields {
	if len(m.Node.Model.Outputs) > 0 {
		return m.Node.Model.Outputs
	}
	return m.Outputs
}

func (m *rawMethod) title() string {
	if m.Node.Data.Name != "" {
		return m.Node.Data.Name
	}
	if m.Node.Model.Key != "" {
		return m.Node.Model.Key
	}
	return m.Node.Key
}

func (f *rawField) group() string {
	s, _ := f.Group.(string)
	return s
}

// typeName is the field's Okta type: string, number, boolean, Date,
// object, flo, file; an inline schema counts as object.
func (f *rawField) typeName() string {
	var s string
	if json.Unmarshal(f.Value.Type, &s) == nil {
		return s
	}
	if len(bytes.TrimSpace(f.Value.Type)) > 0 && bytes.TrimSpace(f.Value.Type)[0] == '{' {
		return "object"
	}
	return ""
}

// data is the field's static value, nil when there is none.
func (f *rawField) data() any {
	if len(f.Value.Data) == 0 {
		return nil
	}
	var v any
	if json.Unmarshal(f.Value.Data, &v) != nil {
		return nil
	}
	return v
}

// inlineFlow is the whole flow a field of type flo holds, or nil when it
// names a flow by uuid.
func inlineFlow(raw json.RawMessage) *rawFlowData {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return nil
	}
	var d rawFlowData
	if json.Unmarshal(raw, &d) != nil || (d.UUID == "" && len(d.Methods) == 0) {
		return nil
	}
	return &d
}

// flowUUID is the uuid a field of type flo names (as text, or an object
// with an id that is not a whole flow), "" when none.
func flowUUID(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var obj struct {
		ID   string `json:"id"`
		UUID string `json:"uuid"`
	}
	if json.Unmarshal(raw, &obj) == nil && inlineFlow(raw) == nil {
		if obj.ID != "" {
			return obj.ID
		}
		return obj.UUID
	}
	return ""
}

// addressKey is an address without its version: root:kernel:string:0.0.1:compose
// becomes root:kernel:string:compose.
func addressKey(addr string) string {
	parts := strings.Split(addr, ":")
	switch {
	case len(parts) == 5 && parts[1] == "kernel":
		return strings.Join([]string{parts[0], parts[1], parts[2], parts[4]}, ":")
	case len(parts) == 6 && parts[1] == "channels":
		return strings.Join([]string{parts[0], parts[1], parts[2], parts[3], parts[5]}, ":")
	}
	return addr
}

// channel is a connector card's app ("okta", "stash" …), "" for a kernel card.
func channel(addr string) (app, method string) {
	parts := strings.Split(addressKey(addr), ":")
	if len(parts) == 5 && parts[1] == "channels" {
		return parts[3], parts[4]
	}
	return "", ""
}
