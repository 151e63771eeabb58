package main

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// TestStartupLogsDisabledProviders: the server binary names, in one Info
// line at start-up, every OAuth sign-in flow it has no credentials for,
// and their routes answer 404 provider_not_configured.
func TestStartupLogsDisabledProviders(t *testing.T) {
	srv := startBinary(t, []string{"LOG_LEVEL=info", "LOG_FORMAT=json",
		"DISCORD_CLIENT_ID=discord-id", "DISCORD_CLIENT_SECRET=discord-secret", "STEAM_API_KEY=steam-key", "STEAM_APP_ID=480"})
	r, err := call(context.Background(), "GET", srv.base+"/api/v1/auth/google", "", nil)
	if err != nil || r.Status != 404 || strings.TrimSpace(r.Raw) != `{"error":"provider_not_configured"}` {
		t.Fatalf("GET /api/v1/auth/google: %v %d %s", err, r.Status, r.Raw)
	}
	_ = srv.cmd.Process.Kill()
	_ = srv.cmd.Wait() // the output is complete once it has exited

	var found []map[string]any
	for _, line := range strings.Split(srv.logs.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["disabled_providers"] != nil {
			found = append(found, rec)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d start-up lines name the disabled providers, want 1:\n%s", len(found), srv.logs.String())
	}
	rec := found[0]
	var off []string
	for _, v := range rec["disabled_providers"].([]any) {
		off = append(off, v.(string))
	}
	if rec["level"] != "INFO" || !slices.Equal(off, []string{"google", "facebook", "apple", "apple_ios", "google_id_token"}) {
		t.Fatalf("start-up line %v: disabled %v", rec, off)
	}
	if strings.Contains(srv.logs.String(), "discord-secret") || strings.Contains(srv.logs.String(), "steam-key") {
		t.Fatal("a provider secret reached the log")
	}
}
