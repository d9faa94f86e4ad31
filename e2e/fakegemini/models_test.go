package fakegemini

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestModelsPagination(t *testing.T) {
	s := newServer(t)
	var names []string
	token := ""
	pages := 0
	for {
		path := "/v1beta/models?pageSize=3"
		if token != "" {
			path += "&pageToken=" + token
		}
		code, b, _ := call(t, s, "GET", path, keyHeader, "")
		if code != 200 {
			t.Fatal(code, b)
		}
		var page struct {
			Models []struct {
				Name                       string   `json:"name"`
				SupportedGenerationMethods []string `json:"supportedGenerationMethods"`
			} `json:"models"`
			NextPageToken string `json:"nextPageToken"`
		}
		if err := json.Unmarshal([]byte(b), &page); err != nil {
			t.Fatal(err)
		}
		if len(page.Models) > 3 {
			t.Fatalf("page of %d", len(page.Models))
		}
		for _, m := range page.Models {
			if len(m.SupportedGenerationMethods) == 0 {
				t.Errorf("%s without methods", m.Name)
			}
			names = append(names, m.Name)
		}
		pages++
		if page.NextPageToken == "" {
			break
		}
		token = page.NextPageToken
	}
	all := strings.Join(names, " ")
	for _, want := range []string{"models/gemini-2.5-pro", "models/gemini-2.5-flash", "models/gemini-3-pro-preview", "models/text-embedding-004", "models/gemini-embedding-001"} {
		if !strings.Contains(all+" ", want+" ") {
			t.Errorf("missing %s in %s", want, all)
		}
	}
	if pages != (len(names)+2)/3 || len(names) != len(defaultCatalogue()) {
		t.Errorf("%d pages for %d models", pages, len(names))
	}
	// Default page size holds everything; a bad token is refused.
	_, b, _ := call(t, s, "GET", "/v1beta/models", keyHeader, "")
	if strings.Contains(b, "nextPageToken") {
		t.Error("default page should hold the catalogue")
	}
	if code, _, _ := call(t, s, "GET", "/v1beta/models?pageToken=garbage", keyHeader, ""); code != 400 {
		t.Error("bad page token accepted")
	}
}

func TestModelLookup(t *testing.T) {
	s := newServer(t)
	for _, tc := range []struct {
		method, path string
		status       int
		want         string
	}{
		{"GET", "/v1beta/models/gemini-2.5-pro", 200, `"supportedGenerationMethods"`},
		{"GET", "/v1/models/gemini-embedding-001", 200, `"embedContent"`},
		{"GET", "/v1beta/models/gpt-4o", 404, "models/gpt-4o is not found for API version v1beta"},
		{"POST", "/v1beta/models/gpt-4o:generateContent", 404, "models/gpt-4o is not found for API version v1beta, or is not supported for generateContent. Call ListModels"},
		{"POST", "/v1/models/text-embedding-004:generateContent", 404, "models/text-embedding-004 is not found for API version v1, or is not supported for generateContent."},
		{"POST", "/v1beta/models/gemini-2.5-flash:embedContent", 404, "not supported for embedContent"},
		{"POST", "/v1beta/models/gemini-2.5-flash:predict", 404, "NOT_FOUND"},
		{"GET", "/v1beta/models/gemini-2.5-flash:generateContent", 404, "NOT_FOUND"},
		{"POST", "/v1/chat/completions", 404, "NOT_FOUND"},
		{"POST", "/v1/models/gemini-2.5-flash:generateContent", 200, `"candidates"`},
	} {
		code, b, _ := call(t, s, tc.method, tc.path, keyHeader, body(contents(userHi)))
		if code != tc.status || !strings.Contains(b, tc.want) {
			t.Errorf("%s %s: %d %s", tc.method, tc.path, code, b)
		}
	}
	s.AddModel(Model{Name: "gemini-custom"})
	if code, b := gen(t, s, "gemini-custom", "generateContent", body(contents(userHi))); code != 200 {
		t.Errorf("AddModel: %d %s", code, b)
	}
}
