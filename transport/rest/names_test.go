package rest_test

import (
	"fmt"
	"testing"

	"github.com/gamend-go/gamend/persistence/users"
	"github.com/gamend-go/gamend/transport/rest/resttest"
)

// spoofingNames are display names that could impersonate someone or
// mangle what other players see: bidirectional controls, zero-width
// characters and control characters (terminal escapes included).
var spoofingNames = map[string]string{
	"right-to-left override U+202E":  "admin\u202egpj.exe",
	"left-to-right embedding U+202A": "a\u202ab",
	"right-to-left embedding U+202B": "a\u202bb",
	"pop directional U+202C":         "a\u202cb",
	"left-to-right override U+202D":  "a\u202db",
	"left-to-right isolate U+2066":   "a\u2066b",
	"right-to-left isolate U+2067":   "a\u2067b",
	"first strong isolate U+2068":    "a\u2068b",
	"pop directional isolate U+2069": "a\u2069b",
	"left-to-right mark U+200E":      "a\u200eb",
	"right-to-left mark U+200F":      "a\u200fb",
	"arabic letter mark U+061C":      "a\u061cb",
	"zero-width space U+200B":        "ad\u200bmin",
	"zero-width non-joiner U+200C":   "a\u200cb",
	"zero-width joiner U+200D":       "a\u200db",
	"word joiner U+2060":             "a\u2060b",
	"byte order mark U+FEFF":         "\ufeffadmin",
	"terminal escape (C0 ESC)":       "\x1b[2J\x1b[31mred",
	"C0 control U+0001":              "a\x01b",
	"newline":                        "line\nbreak",
	"tab":                            "a\tb",
	"DEL":                            "a\x7fb",
	"C1 control U+0085":              "a\u0085b",
	"C1 CSI U+009B":                  "a\u009b31mb",
	"line separator U+2028":          "a\u2028b",
}

const (
	unsafeNameMsg = `must not contain control, bidirectional-override or zero-width characters`
	reservedMsg   = `is reserved`
)

// TestSpoofingNamesRefused: wherever a player or an administrator sets a
// display name or a username over the API, control, bidi and zero-width
// characters are refused with 422 naming the field, and nothing changes.
func TestSpoofingNamesRefused(t *testing.T) {
	resttest.Dialects(t, resttest.Options{}, func(t *testing.T, e *resttest.Env) {
		admin := e.CreateUser(t, resttest.UserSpec{New: users.New{Username: "first-admin"}})
		player := e.CreateUser(t, resttest.UserSpec{New: users.New{Username: "player-one", DisplayName: "Player One"}})
		var list []resttest.Scenario
		for what, name := range spoofingNames {
			list = append(list,
				resttest.Scenario{Name: "me display_name: " + what, Method: "PATCH", Path: "/api/v1/me/display_name", Token: player.Token,
					Body: map[string]string{"display_name": name}, Status: 422,
					Want: []string{`{"error":"invalid_data","errors":{"display_name":["` + unsafeNameMsg + `"]}}`}, Events: map[string]int{}},
				resttest.Scenario{Name: "me username: " + what, Method: "PATCH", Path: "/api/v1/me/username", Token: player.Token,
					Body: map[string]string{"username": name}, Status: 422,
					Want: []string{`{"error":"invalid_data","errors":{"username":["` + unsafeNameMsg + `"]}}`}, Events: map[string]int{}},
				resttest.Scenario{Name: "admin display_name: " + what, Method: "PATCH", Path: "/api/v1/admin/users/" + player.ID, Token: admin.Token,
					Body: map[string]string{"display_name": name}, Status: 422,
					Want: []string{`{"error":"validation_failed","errors":{"display_name":["` + unsafeNameMsg + `"]}}`}, Events: map[string]int{}},
				resttest.Scenario{Name: "admin username: " + what, Method: "PATCH", Path: "/api/v1/admin/users/" + player.ID, Token: admin.Token,
					Body: map[string]string{"username": name}, Status: 422,
					Want: []string{`{"error":"validation_failed","errors":{"username":["` + unsafeNameMsg + `"]}}`}, Events: map[string]int{}},
				// An administrator is refused too: a reserved name is a
				// privilege, a spoofing one is not.
				resttest.Scenario{Name: "admin's own display_name: " + what, Method: "PATCH", Path: "/api/v1/me/display_name", Token: admin.Token,
					Body: map[string]string{"display_name": name}, Status: 422, Want: []string{`"display_name":["` + unsafeNameMsg + `"]`}},
			)
		}
		list = append(list,
			resttest.Scenario{Name: "nothing changed", Method: "GET", Path: "/api/v1/me", Token: player.Token, Status: 200,
				Want: []string{`"display_name":"Player One"`, `"username":"player-one"`}},
			// Names that are not spoofing still pass: accents, scripts, emoji.
			resttest.Scenario{Name: "unicode display name", Method: "PATCH", Path: "/api/v1/me/display_name", Token: player.Token,
				Body: map[string]string{"display_name": "Zoë 日本 مرحبا 🎮"}, Status: 200, Want: []string{`"display_name":"Zoë 日本 مرحبا 🎮"`}},
			resttest.Scenario{Name: "admin sets a display name", Method: "PATCH", Path: "/api/v1/admin/users/" + player.ID, Token: admin.Token,
				Body: map[string]string{"display_name": "Ünïcödé Player"}, Status: 200, Want: []string{`"display_name":"Ünïcödé Player"`}},
		)
		e.Run(t, list)
	})
}

// TestReservedUsernames: a player cannot take a reserved username (in any
// case, or spelled with separators); an administrator can, for their own
// account or through the admin API.
func TestReservedUsernames(t *testing.T) {
	resttest.Dialects(t, resttest.Options{}, func(t *testing.T, e *resttest.Env) {
		admin := e.CreateUser(t, resttest.UserSpec{New: users.New{Username: "first-admin"}})
		player := e.CreateUser(t, resttest.UserSpec{New: users.New{Username: "player-one"}})
		other := e.CreateUser(t, resttest.UserSpec{New: users.New{Username: "player-two"}})
		var list []resttest.Scenario
		for _, name := range []string{"admin", "administrator", "root", "system", "support", "moderator", "mod", "gamend", "staff",
			"official", "security", "help", "null", "undefined", "server", "api", "Admin", "ROOT", "Sup.Port", "a-d-m-i-n", "s_y_s_t_e_m"} {
			list = append(list, resttest.Scenario{Name: "player takes " + name, Method: "PATCH", Path: "/api/v1/me/username", Token: player.Token,
				Body: map[string]string{"username": name}, Status: 422,
				Want: []string{`{"error":"invalid_data","errors":{"username":["` + reservedMsg + `"]}}`}, Events: map[string]int{}})
		}
		list = append(list,
			resttest.Scenario{Name: "not reserved: a longer name", Method: "PATCH", Path: "/api/v1/me/username", Token: player.Token,
				Body: map[string]string{"username": "admiral-help-desk"}, Status: 200, Want: []string{`"username":"admiral-help-desk"`}},
			resttest.Scenario{Name: "admin takes admin", Method: "PATCH", Path: "/api/v1/me/username", Token: admin.Token,
				Body: map[string]string{"username": "Admin"}, Status: 200, Want: []string{`"username":"admin"`}},
			resttest.Scenario{Name: "admin API gives support", Method: "PATCH", Path: "/api/v1/admin/users/" + other.ID, Token: admin.Token,
				Body: map[string]string{"username": "Support"}, Status: 200, Want: []string{`"username":"support"`}, Events: map[string]int{"updated": 1}},
			resttest.Scenario{Name: "admin API: username rules still apply", Method: "PATCH", Path: "/api/v1/admin/users/" + other.ID, Token: admin.Token,
				Body: map[string]string{"username": "no spaces"}, Status: 422, Want: []string{`"error":"validation_failed"`, `"username":[`}},
			resttest.Scenario{Name: "admin API: taken", Method: "PATCH", Path: "/api/v1/admin/users/" + other.ID, Token: admin.Token,
				Body: map[string]string{"username": "admin"}, Status: 422, Want: []string{`{"error":"validation_failed","errors":{"username":["has already been taken"]}}`}},
			resttest.Scenario{Name: "player cannot rename the support account", Method: "PATCH", Path: "/api/v1/admin/users/" + other.ID, Token: player.Token,
				Body: map[string]string{"username": "mine"}, Status: 403},
		)
		e.Run(t, list)
		// The support account keeps its name when its owner changes
		// something else, and cannot pick another reserved one.
		e.Run(t, []resttest.Scenario{
			{Name: "support account renames to a reserved name", Method: "PATCH", Path: "/api/v1/me/username", Token: other.Token,
				Body: map[string]string{"username": "staff"}, Status: 422, Want: []string{fmt.Sprintf(`"username":["%s"]`, reservedMsg)}},
			{Name: "support account changes its display name", Method: "PATCH", Path: "/api/v1/me/display_name", Token: other.Token,
				Body: map[string]string{"display_name": "Support Team"}, Status: 200},
		})
	})
}
