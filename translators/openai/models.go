package openai

import (
	"sort"
	"strings"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonw"
	"github.com/tidwall/gjson"
)

// ModelEntry is one model of the gateway's list.
type ModelEntry struct {
	ID      string
	OwnedBy string
}

// ModelsFromGemini reads Gemini models.list pages and keeps the models a
// client of this gateway can use (generateContent or embedContent), ids
// without the "models/" prefix (§4.13).
func ModelsFromGemini(pages ...[]byte) ([]ModelEntry, *apierror.Error) {
	var out []ModelEntry
	for _, p := range pages {
		if !gjson.ValidBytes(p) {
			return nil, apierror.New(apierror.BadGateway, "Gemini answered the model list with a body that is not JSON.")
		}
		gjson.GetBytes(p, "models").ForEach(func(_, m gjson.Result) bool {
			usable := false
			m.Get("supportedGenerationMethods").ForEach(func(_, g gjson.Result) bool {
				if s := g.String(); s == "generateContent" || s == "embedContent" {
					usable = true
					return false
				}
				return true
			})
			if id := strings.TrimPrefix(m.Get("name").String(), "models/"); usable && id != "" {
				out = append(out, ModelEntry{ID: id, OwnedBy: "google"})
			}
			return true
		})
	}
	return out, nil
}

// WithAliases adds the gateway's model aliases whose target is in the list
// (or every alias when the list is only the configured map), sorted by id.
func WithAliases(list []ModelEntry, aliases map[string]string, all bool) []ModelEntry {
	have := make(map[string]bool, len(list))
	for _, m := range list {
		have[m.ID] = true
	}
	for alias, target := range aliases {
		if !have[alias] && (all || have[target]) {
			list = append(list, ModelEntry{ID: alias, OwnedBy: "gemini-code-api"})
			have[alias] = true
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
	return list
}

// ModelsList renders OpenAI's model list.
func ModelsList(list []ModelEntry) []byte {
	out := make([]byte, 0, 64*len(list)+32)
	out = append(out, `{"object":"list","data":[`...)
	for i, m := range list {
		if i > 0 {
			out = append(out, ',')
		}
		out = appendModel(out, m)
	}
	return append(out, "]}"...)
}

// Model renders one model, or a 404 in OpenAI's terms.
func Model(list []ModelEntry, id string) ([]byte, *apierror.Error) {
	for _, m := range list {
		if m.ID == id {
			return appendModel(nil, m), nil
		}
	}
	e := apierror.New(apierror.NotFound, "The model `"+id+"` does not exist or you do not have access to it.")
	e.Param = "model"
	return nil, e
}

func appendModel(out []byte, m ModelEntry) []byte {
	out = append(out, `{"id":`...)
	out = jsonw.String(out, m.ID)
	out = append(out, `,"object":"model","created":0,"owned_by":`...)
	out = jsonw.String(out, m.OwnedBy)
	return append(out, '}')
}
