package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// DevSecretFile is the file name, inside the data directory, of the
// development secret written by EnsureDevSecret.
const DevSecretFile = "dev_secret"

// DevSecretPath is the path of the development secret under dataDir.
func DevSecretPath(dataDir string) string { return filepath.Join(dataDir, DevSecretFile) }

// EnsureDevSecret gives a non-production server a stable signing secret
// when neither SECRET_KEY_BASE nor GUARDIAN_SECRET_KEY is set: it reads
// DevSecretPath(dataDir), creating it first (directory included, file mode
// 0600) with 64 random bytes hex-encoded, and uses it as SECRET_KEY_BASE,
// so tokens and cookies survive restarts.
//
// used reports that the secret now comes from that file (newly created or
// not); the caller should then log a loud warning naming DevSecretPath and
// telling operators to set SECRET_KEY_BASE. With a secret already set, or
// in production (where Validate requires one), it does nothing.
func (c *Config) EnsureDevSecret(dataDir string) (used bool, err error) {
	if c.Production() || c.Auth.SecretKeyBase != "" || c.Auth.GuardianSecretKey != "" {
		return false, nil
	}
	path := DevSecretPath(dataDir)
	secret, err := readDevSecret(path)
	if errors.Is(err, fs.ErrNotExist) {
		secret, err = createDevSecret(path)
	}
	if err != nil {
		return false, err
	}
	c.Auth.SecretKeyBase = secret
	return true, nil
}

func readDevSecret(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	secret := strings.TrimSpace(string(data))
	if len(secret) < MinSecretBytes {
		return "", fmt.Errorf("config: development secret %s is shorter than %d bytes; delete it to have a new one made", path, MinSecretBytes)
	}
	return secret, nil
}

// createDevSecret writes a new secret without replacing a file that
// appeared meanwhile (another process starting at the same time wins, and
// its secret is read back).
func createDevSecret(path string) (string, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("config: create data directory for development secret: %w", err)
	}
	secret := randomHex(64)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return readDevSecret(path)
	}
	if err != nil {
		return "", fmt.Errorf("config: create development secret: %w", err)
	}
	_, werr := f.WriteString(secret + "\n")
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		_ = os.Remove(path)
		return "", fmt.Errorf("config: write development secret: %w", err)
	}
	return secret, nil
}
