package anthropic

import (
	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonw"
	"github.com/gemini-code-api/gemini-code-api/translators/models"
)

// ModelsList renders Anthropic's model list (GET /v1/models): one page
// holding every model. Gemini gives no creation date; created_at is the
// epoch.
func ModelsList(list []models.Entry) []byte {
	out := make([]byte, 0, 96*len(list)+64)
	out = append(out, `{"data":[`...)
	for i, m := range list {
		if i > 0 {
			out = append(out, ',')
		}
		out = appendModel(out, m)
	}
	out = append(out, `],"has_more":false,"first_id":`...)
	if len(list) > 0 {
		out = jsonw.String(out, list[0].ID)
		out = append(out, `,"last_id":`...)
		out = jsonw.String(out, list[len(list)-1].ID)
	} else {
		out = append(out, `null,"last_id":null`...)
	}
	return append(out, '}')
}

// Model renders one model, or Anthropic's 404.
func Model(list []models.Entry, id string) ([]byte, *apierror.Error) {
	if m, ok := models.Find(list, id); ok {
		return appendModel(nil, m), nil
	}
	return nil, apierror.New(apierror.NotFound, "model: "+id)
}

func appendModel(out []byte, m models.Entry) []byte {
	out = append(out, `{"type":"model","id":`...)
	out = jsonw.String(out, m.ID)
	out = append(out, `,"display_name":`...)
	out = jsonw.String(out, m.ID)
	return append(out, `,"created_at":"1970-01-01T00:00:00Z"}`...)
}
