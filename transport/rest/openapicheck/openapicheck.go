// Package openapicheck validates an OpenAPI document structurally, for the
// tests that keep the served /api/openapi true: the document must parse as
// OpenAPI 3.1, build a model with every $ref resolved, and validate against
// the OpenAPI 3.1 specification schema (github.com/pb33f/libopenapi and its
// validator). Only tests import it; the server binary does not.
package openapicheck

import (
	"fmt"
	"strings"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
)

// Problems returns what is wrong with doc (nil when it is valid) and, for a
// valid document, a validator that checks real requests and responses
// against it.
func Problems(doc []byte) ([]string, validator.Validator) {
	d, err := libopenapi.NewDocument(doc)
	if err != nil {
		return []string{"does not parse: " + err.Error()}, nil
	}
	if v := d.GetVersion(); !strings.HasPrefix(v, "3.1") {
		return []string{fmt.Sprintf("version %q, want 3.1.x", v)}, nil
	}
	if _, err := d.BuildV3Model(); err != nil {
		return []string{"model: " + err.Error()}, nil
	}
	v, errs := validator.NewValidator(d)
	if len(errs) > 0 {
		return []string{fmt.Sprint("validator: ", errs)}, nil
	}
	ok, verrs := v.ValidateDocument()
	if ok {
		return nil, v
	}
	var out []string
	for _, e := range verrs {
		out = append(out, e.Message+": "+e.Reason)
		for _, se := range e.SchemaValidationErrors {
			out = append(out, fmt.Sprintf("  at %s (%s): %s", se.FieldPath, se.KeywordLocation, se.Reason))
		}
	}
	if len(out) == 0 {
		out = []string{"invalid, without details"}
	}
	return out, nil
}
