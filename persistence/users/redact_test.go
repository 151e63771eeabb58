package users_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/gamend-go/gamend/persistence"
	"github.com/gamend-go/gamend/persistence/persistencetest"
	"github.com/gamend-go/gamend/persistence/users"
)

// TestRowNeverPrintsTheHash stores an account with a real bcrypt hash,
// loads its row from the database, and prints it every way a row can leave
// the process by mistake: JSON (responses, cross-node messages, which the
// registry encodes as JSON), every fmt verb, and both slog handlers. None
// of them may carry the hash or a piece of it; HasPassword survives a JSON
// round trip (a row that crossed nodes still knows the account has a
// password).
func TestRowNeverPrintsTheHash(t *testing.T) {
	const hash = "$2a$04$4yuWXGw8Ri34Xmrb3nTv6eayQXjPGSUE50zv0b2BhYBS4RSDb3zB6"
	persistencetest.Dialects(t, func(t *testing.T, tg persistencetest.Target) {
		ctx := context.Background()
		if bcrypt.CompareHashAndPassword([]byte(hash), []byte("correct horse battery")) != nil {
			t.Fatal("the fixture is not a bcrypt hash")
		}
		var row *users.Row
		err := tg.DB.WriteTx(ctx, func(tx *persistence.Tx) (err error) {
			row, err = users.Insert(ctx, tx, users.New{ID: persistence.NewID(), Email: "hash@example.com", Password: hash, Username: "hash-owner"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if !row.HasPassword() || string(row.HashedPassword) != hash {
			t.Fatal("the stored row lost its hash")
		}
		// A fragment long enough to be unique to this hash: the salt and
		// checksum after "$2a$04$".
		secret := hash[7:]

		var out []string
		add := func(how string, s string) { out = append(out, how+": "+s) }
		for _, v := range []any{row, *row, row.HashedPassword} {
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			add(fmt.Sprintf("json %T", v), string(b))
			for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X"} {
				add(fmt.Sprintf("fmt %s %T", verb, v), fmt.Sprintf(verb, v))
			}
		}
		add("fmt Sprint", fmt.Sprint(row.HashedPassword, *row))
		add("fmt New", fmt.Sprintf("%+v", users.New{Password: hash}))
		b, _ := json.Marshal(users.New{Password: hash})
		add("json New", string(b))
		for name, h := range map[string]func(*bytes.Buffer) slog.Handler{
			"text": func(w *bytes.Buffer) slog.Handler { return slog.NewTextHandler(w, nil) },
			"json": func(w *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(w, nil) },
		} {
			var buf bytes.Buffer
			log := slog.New(h(&buf))
			log.Info("row", "user", row, "value", *row, "hash", row.HashedPassword, slog.Any("any", row.HashedPassword))
			add("slog "+name, buf.String())
		}
		for _, s := range out {
			if strings.Contains(s, secret) || strings.Contains(s, fmt.Sprintf("%x", secret[:16])) {
				t.Errorf("the password hash leaked: %s", s)
			}
		}

		// Across nodes (JSON), the row keeps HasPassword but not the hash.
		var back users.Row
		b, _ = json.Marshal(row)
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if !back.HasPassword() || back.HashedPassword != "" {
			t.Fatalf("after a JSON round trip: HasPassword %v, hash %q", back.HasPassword(), back.HashedPassword)
		}
	})
}
