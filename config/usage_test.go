package config

import (
	"bytes"
	"flag"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite ../.env.example from EnvExample")

const envExamplePath = "../.env.example"

// envTags collects every `env` tag of t by walking the struct directly,
// independent of the package's own walker.
func envTags(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		sf := t.Field(i)
		if name, _, _ := strings.Cut(sf.Tag.Get("env"), ","); name != "" {
			out = append(out, name)
		} else if sf.Type.Kind() == reflect.Struct {
			out = append(out, envTags(sf.Type)...)
		}
	}
	return out
}

func TestEveryFieldIsTagged(t *testing.T) {
	tags := envTags(reflect.TypeFor[Config]())
	if len(tags) != len(Vars()) {
		t.Errorf("%d env tags but %d Vars", len(tags), len(Vars()))
	}
	seen := map[string]bool{}
	for _, v := range Vars() {
		if seen[v.Name] {
			t.Errorf("%s declared twice", v.Name)
		}
		seen[v.Name] = true
		if v.Doc == "" || !strings.HasSuffix(v.Doc, ".") || strings.Count(v.Doc, ". ") > 0 {
			t.Errorf("%s: doc %q is not one sentence", v.Name, v.Doc)
		}
		if v.Secret && v.Default != "" {
			t.Errorf("%s: a secret must not have a default", v.Name)
		}
	}
	for _, f := range allFields() {
		if strings.HasSuffix(f.Name, "_ENABLED") && f.kind != reflect.Bool {
			t.Errorf("%s is a gate but not a bool", f.Name)
		}
	}
}

func TestUsageListsEveryVariable(t *testing.T) {
	var buf bytes.Buffer
	if err := Usage(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, name := range envTags(reflect.TypeFor[Config]()) {
		if !regexp.MustCompile(`(?m)^  ` + name + `  \(`).MatchString(out) {
			t.Errorf("Usage does not list %s", name)
		}
	}
	for _, v := range Vars() {
		if !strings.Contains(out, v.Doc) {
			t.Errorf("Usage lacks the doc of %s", v.Name)
		}
	}
	if !strings.Contains(out, "\nRate limits\n") || !strings.Contains(out, "\nOAuth / Google\n") {
		t.Error("Usage is not grouped")
	}
}

func TestEnvExampleListsEveryVariable(t *testing.T) {
	data, err := os.ReadFile(envExamplePath)
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^#? ?([A-Z][A-Z0-9_]*)=`).FindAllSubmatch(data, -1) {
		listed[string(m[1])] = true
	}
	known := map[string]bool{}
	for _, name := range envTags(reflect.TypeFor[Config]()) {
		known[name] = true
		if !listed[name] {
			t.Errorf("%s is missing from .env.example (regenerate: go test ./config -run TestEnvExampleUpToDate -update)", name)
		}
	}
	for name := range listed {
		if !known[name] {
			t.Errorf(".env.example lists %s, which Config does not read", name)
		}
	}
}

func TestEnvExampleUpToDate(t *testing.T) {
	var buf bytes.Buffer
	if err := EnvExample(&buf); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(envExamplePath, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(envExamplePath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, buf.Bytes()) {
		t.Error(".env.example differs from EnvExample; regenerate: go test ./config -run TestEnvExampleUpToDate -update")
	}
}

// TestEnvExampleLoads checks that the template, uncommented as is, gives
// the defaults (ENV_FILE and GAMEND_ENV aside, it is a valid .env file).
func TestEnvExampleLoads(t *testing.T) {
	data, err := os.ReadFile(envExamplePath)
	if err != nil {
		t.Fatal(err)
	}
	uncommented := regexp.MustCompile(`(?m)^# ([A-Z][A-Z0-9_]*=)`).ReplaceAll(data, []byte("$1"))
	path := t.TempDir() + "/example.env"
	if err := os.WriteFile(path, uncommented, 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := Load([]string{"ENV_FILE=" + path, "CLUSTER_NODE_ID=n1"})
	if err != nil {
		t.Fatal(err)
	}
	want := load(t, "CLUSTER_NODE_ID=n1")
	got.EnvFile, want.EnvFile = "", ""
	if !reflect.DeepEqual(got, want) {
		t.Errorf("uncommented .env.example loads\n%s\nwant defaults\n%s", got, want)
	}
}
