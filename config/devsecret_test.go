package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEnsureDevSecretPersists(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "data")

	first := load(t)
	used, err := first.EnsureDevSecret(dir)
	if err != nil || !used {
		t.Fatalf("first EnsureDevSecret = %v, %v; want true, nil", used, err)
	}
	if n := len(first.JWTSecret()); n != 128 {
		t.Errorf("secret is %d hex characters, want 128 (64 bytes)", n)
	}
	info, err := os.Stat(DevSecretPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("dev secret mode %o, want 600", perm)
	}

	second := load(t)
	used, err = second.EnsureDevSecret(dir)
	if err != nil || !used {
		t.Fatalf("second EnsureDevSecret = %v, %v; want true, nil", used, err)
	}
	if string(second.JWTSecret()) != string(first.JWTSecret()) {
		t.Error("secret changed across restarts")
	}
	if err := second.Validate(); err != nil {
		t.Errorf("config with dev secret invalid: %v", err)
	}
}

func TestEnsureDevSecretNotNeeded(t *testing.T) {
	tests := []struct {
		name string
		env  []string
	}{
		{"secret key base set", []string{"SECRET_KEY_BASE=" + goodSecret}},
		{"guardian key set", []string{"GUARDIAN_SECRET_KEY=" + goodSecret}},
		{"production", []string{"GAMEND_ENV=production", "SECRET_KEY_BASE=" + goodSecret}},
	}
	for _, tt := range tests {
		dir := t.TempDir()
		c := load(t, tt.env...)
		used, err := c.EnsureDevSecret(dir)
		if used || err != nil {
			t.Errorf("%s: EnsureDevSecret = %v, %v; want false, nil", tt.name, used, err)
		}
		if _, err := os.Stat(DevSecretPath(dir)); !os.IsNotExist(err) {
			t.Errorf("%s: dev secret file written", tt.name)
		}
	}
}

func TestEnsureDevSecretRejectsShortFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(DevSecretPath(dir), []byte("short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := load(t)
	_, err := c.EnsureDevSecret(dir)
	if err == nil || !strings.Contains(err.Error(), "shorter than") || strings.Contains(err.Error(), "short\n") {
		t.Errorf("err = %v, want a 'shorter than' error without the secret", err)
	}
}
