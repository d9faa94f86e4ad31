package models

import (
	"strings"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/jsondepth"
	"github.com/tidwall/gjson"
)

// Entry is one model of the gateway's list.
type Entry struct {
	ID      string
	OwnedBy string
}

// FromGemini reads Gemini models.list pages and keeps the models a
// client of this gateway can use (generateContent or embedContent), ids
// without the "models/" prefix, as OpenAI clients expect.
func FromGemini(pages ...[]byte) ([]Entry, *apierror.Error) {
	var out []Entry
	for _, p := range pages {
		valid, e := jsondepth.ReadAnswer(p)
		if e != nil {
			return nil, e
		}
		if !valid {
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
				out = append(out, Entry{ID: id, OwnedBy: "google"})
			}
			return true
		})
	}
	return out, nil
}

// WithAliases adds the gateway's model aliases whose target is in the list
// (or every alias when the list is only the configured map), sorted by id.
func WithAliases(list []Entry, aliases map[string]string, all bool) []Entry {
	have := make(map[string]bool, len(list))
	for _, m := range list {
		have[m.ID] = true
	}
	for alias, target := range aliases {
		if !have[alias] && (all || have[target]) {
			list = append(list, Entry{ID: alias, OwnedBy: "gemini-code-api"})
			have[alias] = true
		}
	}
	// By insertion: the list comes sorted but for the aliases added, and a
	// sort's generic code would cost the module 20 KB for a list of tens.
	for i := 1; i < len(list); i++ {
		for j := i; j > 0 && list[j].ID < list[j-1].ID; j-- {
			list[j], list[j-1] = list[j-1], list[j]
		}
	}
	return list
}

// Find returns the entry with the given id.
func Find(list []Entry, id string) (Entry, bool) {
	for _, m := range list {
		if m.ID == id {
			return m, true
		}
	}
	return Entry{}, false
}
