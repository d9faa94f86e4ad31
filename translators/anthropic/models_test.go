package anthropic

import (
	"testing"

	"github.com/gemini-code-api/gemini-code-api/translators/internal/jsontest"
	"github.com/gemini-code-api/gemini-code-api/translators/models"
)

func TestModels(t *testing.T) {
	list := []models.Entry{{ID: "claude-sonnet-4-5", OwnedBy: "gemini-code-api"}, {ID: "gemini-2.5-pro", OwnedBy: "google"}}
	jsontest.Equal(t, ModelsList(list), `{"data":[{"type":"model","id":"claude-sonnet-4-5","display_name":"claude-sonnet-4-5","created_at":"1970-01-01T00:00:00Z"},{"type":"model","id":"gemini-2.5-pro","display_name":"gemini-2.5-pro","created_at":"1970-01-01T00:00:00Z"}],"has_more":false,"first_id":"claude-sonnet-4-5","last_id":"gemini-2.5-pro"}`)
	jsontest.Equal(t, ModelsList(nil), `{"data":[],"has_more":false,"first_id":null,"last_id":null}`)
	if m, e := Model(list, "gemini-2.5-pro"); e != nil || string(m) != `{"type":"model","id":"gemini-2.5-pro","display_name":"gemini-2.5-pro","created_at":"1970-01-01T00:00:00Z"}` {
		t.Fatalf("%s %v", m, e)
	}
	if _, e := Model(list, "nope"); e == nil || Status(e) != 404 {
		t.Fatal("unknown model must be a 404")
	}
}
