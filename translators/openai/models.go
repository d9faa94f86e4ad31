package openai

import (
	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonw"
	"github.com/gemini-code-api/gemini-code-api/translators/models"
)

// ModelsList renders OpenAI's model list.
func ModelsList(list []models.Entry) []byte {
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
func Model(list []models.Entry, id string) ([]byte, *apierror.Error) {
	if m, ok := models.Find(list, id); ok {
		return appendModel(nil, m), nil
	}
	e := apierror.New(apierror.NotFound, "The model `"+id+"` does not exist or you do not have access to it.")
	e.Param = "model"
	return nil, e
}

func appendModel(out []byte, m models.Entry) []byte {
	out = append(out, `{"id":`...)
	out = jsonw.String(out, m.ID)
	out = append(out, `,"object":"model","created":0,"owned_by":`...)
	out = jsonw.String(out, m.OwnedBy)
	return append(out, '}')
}
