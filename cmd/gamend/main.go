// Command gamend is the Gamend-Go server: one binary with accounts, lobbies,
// parties, groups, friends, chat, notifications, leaderboards, achievements,
// key-value storage and realtime channels.
//
//	gamend [serve]      start the server (default)
//	gamend migrate      apply database migrations and exit
//	gamend version      print the version
//	gamend config       print every environment variable with its default
//	gamend --help       the same as config, with usage
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/gamend-go/gamend/config"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	cmd := "serve"
	if len(args) > 0 {
		cmd = args[0]
		args = args[1:]
	}
	switch cmd {
	case "-h", "--help", "help":
		usage()
		return 0
	case "version", "--version":
		fmt.Println("gamend", version)
		return 0
	case "config":
		if err := config.Usage(os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return 0
	case "serve", "migrate", "admin":
	default:
		fmt.Fprintf(os.Stderr, "gamend: unknown command %q (try gamend --help)\n", cmd)
		return 2
	}

	cfg, err := config.FromEnv()
	if err != nil {
		printConfigError(os.Stderr, err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	switch cmd {
	case "migrate":
		return migrate(ctx, cfg)
	case "admin":
		return adminCommand(ctx, cfg, args)
	}
	return serve(ctx, cfg)
}

// printConfigError reports a configuration error once: config.Errors
// already starts with "invalid configuration:" and lists one problem per
// line; other errors (an unreadable .env file) get that header here.
func printConfigError(w io.Writer, err error) {
	var errs config.Errors
	if errors.As(err, &errs) {
		fmt.Fprintf(w, "gamend: %v\n", err)
		return
	}
	fmt.Fprintf(w, "gamend: invalid configuration:\n  %v\n", err)
}

func usage() {
	fmt.Print(`gamend: the Gamend-Go game server.

Usage:
  gamend [serve]                    start the server (default)
  gamend migrate                    apply database migrations and exit
  gamend admin grant EMAIL|USER_ID  make a user an administrator
  gamend version                    print the version
  gamend config                     print the environment variables only

Configuration comes from environment variables and an optional .env file
(ENV_FILE, default ./.env); with none set, the server listens on port 4000
of every interface (BIND_ADDRESS narrows it) with an SQLite database under
./data/.

Environment variables:
`)
	_ = config.Usage(os.Stdout)
}
