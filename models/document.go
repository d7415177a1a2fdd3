package models

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"gopkg.in/yaml.v3"
)

// DecodeStrict decodes a site document (a registry, the manifests) written as JSON or YAML
// into v: unknown keys and data after the document are errors, named by what (e.g. "registry").
func DecodeStrict(data []byte, what string, v any) error {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.DisallowUnknownFields()
		if err := dec.Decode(v); err != nil {
			return fmt.Errorf("not a valid %s document: %w", what, err)
		}
		if dec.More() {
			return fmt.Errorf("not a valid %s document: data after the document", what)
		}
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("not a valid %s document: it is empty", what)
		}
		return fmt.Errorf("not a valid %s document: %w", what, err)
	}
	return nil
}
