package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/gamend-go/gamend/auth"
	"github.com/gamend-go/gamend/config"
	"github.com/gamend-go/gamend/persistence/writebehind"
)

const adminUsage = "usage: gamend admin grant EMAIL|USER_ID"

// adminCommand runs `gamend admin ...` subcommands. Exit codes: 0 done, 1
// failed (unknown user, database error), 2 usage error.
func adminCommand(ctx context.Context, cfg *config.Config, args []string) int {
	return runAdmin(ctx, cfg, args, os.Stdout, os.Stderr)
}

func runAdmin(ctx context.Context, cfg *config.Config, args []string, stdout, stderr io.Writer) int {
	if len(args) != 2 || args[0] != "grant" || strings.TrimSpace(args[1]) == "" {
		fmt.Fprintln(stderr, adminUsage)
		return 2
	}
	return grantAdmin(ctx, cfg, strings.TrimSpace(args[1]), stdout, stderr)
}

// grantAdmin makes the user with the given e-mail (case-insensitive) or id
// an activated administrator. It opens the store like the server does (and
// so may run with the server up: the write goes through the same
// acknowledged write path), and drains it before returning.
func grantAdmin(ctx context.Context, cfg *config.Config, who string, stdout, stderr io.Writer) int {
	log, closer := newLogger(cfg)
	defer closer.Close()
	db, err := openDB(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "gamend: database: %v\n", err)
		return 1
	}
	defer db.Close()
	q := writebehind.New(db, writebehind.Options{Logger: log.With("component", "writebehind")})
	defer func() {
		drain, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		_ = q.Close(drain)
	}()
	// The CLI hashes and checks no password: the minimum bcrypt cost only
	// skips computing the cost-12 timing dummy at start-up.
	svc := auth.NewService(q, auth.NewTokens(cfg.JWTSecret()), auth.Options{BcryptCost: bcrypt.MinCost})
	u, err := svc.GrantAdmin(ctx, who)
	switch {
	case errors.Is(err, auth.ErrNotFound):
		fmt.Fprintf(stderr, "gamend: no user with e-mail or id %q\n", who)
		return 1
	case err != nil:
		fmt.Fprintf(stderr, "gamend: grant admin: %v\n", err)
		return 1
	}
	name := u.Email
	if name == "" {
		name = u.Username
	}
	fmt.Fprintf(stdout, "%s (id %s, username %s) is now an administrator\n", name, u.ID, u.Username)
	return 0
}
