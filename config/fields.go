package config

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Var describes one environment variable read into Config, as declared by
// the field's struct tags.
type Var struct {
	Name    string   // variable name, e.g. "PORT"
	Default string   // default value; "" when the variable has none
	Doc     string   // one-sentence description
	Group   string   // section, e.g. "Database / PostgreSQL"
	Field   string   // Go path inside Config, e.g. "DB.Postgres.Host"
	Secret  bool     // value is never printed
	OneOf   []string // allowed values, when restricted
}

// fieldMeta is a Var plus what validation and parsing need.
type fieldMeta struct {
	Var
	index      []int
	kind       reflect.Kind
	min, max   *int64
	lenientOn  bool // any value but an explicit false word is true
	hasDefault bool
}

// rootGroup is the section of Config's own top-level variables.
const rootGroup = "Server"

var allFields = sync.OnceValue(func() []fieldMeta {
	var out []fieldMeta
	walkFields(reflect.TypeFor[Config](), nil, rootGroup, "", &out)
	return out
})

// Vars lists every variable Config reads, in declaration order.
func Vars() []Var {
	fs := allFields()
	out := make([]Var, len(fs))
	for i, f := range fs {
		out[i] = f.Var
		out[i].OneOf = slices.Clone(f.OneOf)
	}
	return out
}

func walkFields(t reflect.Type, index []int, group, path string, out *[]fieldMeta) {
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		idx := append(slices.Clone(index), i)
		name, _, _ := strings.Cut(sf.Tag.Get("env"), ",")
		if name == "" && sf.Type.Kind() == reflect.Struct {
			sub := sf.Tag.Get("group")
			if group != rootGroup {
				sub = group + " / " + sub
			}
			walkFields(sf.Type, idx, sub, path+sf.Name+".", out)
			continue
		}
		if name == "" || name == "-" {
			continue
		}
		def, hasDef := sf.Tag.Lookup("envDefault")
		kind := sf.Type.Kind()
		if kind == reflect.Pointer {
			kind = sf.Type.Elem().Kind()
		}
		f := fieldMeta{
			Var: Var{
				Name:    name,
				Default: def,
				Doc:     sf.Tag.Get("doc"),
				Group:   group,
				Field:   path + sf.Name,
				Secret:  sf.Tag.Get("secret") == "true",
			},
			index:      idx,
			kind:       kind,
			min:        intTag(sf, "min"),
			max:        intTag(sf, "max"),
			lenientOn:  sf.Tag.Get("bool") == "lenient",
			hasDefault: hasDef,
		}
		if o := sf.Tag.Get("oneof"); o != "" {
			f.OneOf = strings.Split(o, ",")
		}
		*out = append(*out, f)
	}
}

func intTag(sf reflect.StructField, key string) *int64 {
	s, ok := sf.Tag.Lookup(key)
	if !ok {
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		panic("config: bad " + key + " tag on " + sf.Name)
	}
	return &n
}

// value returns the field of c that f describes.
func (f *fieldMeta) value(c *Config) reflect.Value {
	return reflect.ValueOf(c).Elem().FieldByIndex(f.index)
}

// display formats the field's current value of c for humans, redacting secrets.
func (f *fieldMeta) display(c *Config) string {
	v := f.value(c)
	if f.Secret {
		if v.IsZero() {
			return ""
		}
		return "[redacted]"
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return ""
		}
		return strconv.FormatBool(v.Elem().Bool())
	case reflect.Slice:
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = v.Index(i).String()
		}
		return strings.Join(parts, ",")
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case reflect.Int, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10)
	default:
		return v.String()
	}
}
