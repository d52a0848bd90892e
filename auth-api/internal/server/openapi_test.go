package server

import (
	"os"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// An unquoted comma inside a YAML flow mapping ({description: a, b}) turns
// the rest of the text into a stray key, which OpenAPI tools refuse
// ("extra sibling fields"). No key of the document has a space in it.
func TestOpenAPIHasNoStrayKeys(t *testing.T) {
	raw, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, child := range v {
				if strings.ContainsAny(k, " \t") {
					t.Errorf("%s: stray key %q (quote the text before it)", path, k)
				}
				walk(path+"/"+k, child)
			}
		case []any:
			for _, child := range v {
				walk(path+"[]", child)
			}
		}
	}
	walk("", doc)
}
