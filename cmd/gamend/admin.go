package main

import (
	"context"
	"fmt"
	"os"

	"github.com/gamend-go/gamend/config"
)

// adminCommand runs `gamend admin ...` subcommands.
func adminCommand(ctx context.Context, cfg *config.Config, args []string) int {
	fmt.Fprintln(os.Stderr, "usage: gamend admin grant EMAIL|USER_ID")
	return 2
}
