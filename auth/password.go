package auth

import (
	"sync"

	"golang.org/x/crypto/bcrypt"
)

// MaxPasswordBytes is bcrypt's input limit; longer passwords are refused
// rather than silently truncated.
const MaxPasswordBytes = 72

// Passwords hashes and checks passwords with bcrypt.
type Passwords struct {
	Cost int
	// dummy is compared against when the account does not exist, so an
	// unknown email costs as much time as a wrong password. It is made on
	// first use, not at start-up (a cost-12 hash takes a noticeable time).
	dummyOnce sync.Once
	dummy     []byte
}

// NewPasswords returns a hasher with the given bcrypt cost (0 = 12).
func NewPasswords(cost int) *Passwords {
	if cost == 0 {
		cost = 12
	}
	return &Passwords{Cost: cost}
}

// Hash returns the bcrypt hash of pw.
func (p *Passwords) Hash(pw string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), p.Cost)
	return string(h), err
}

// Check reports whether pw matches hash; an empty hash (no password, or no
// account) still costs one bcrypt comparison.
func (p *Passwords) Check(hash, pw string) bool {
	if hash == "" {
		p.dummyOnce.Do(func() {
			p.dummy, _ = bcrypt.GenerateFromPassword([]byte("gamend-timing-equalizer"), p.Cost)
		})
		_ = bcrypt.CompareHashAndPassword(p.dummy, []byte(pw))
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) == nil
}

// ValidatePassword applies the length rules: at least minLen characters
// (MIN_PASSWORD_LENGTH) and at most 72 bytes.
func ValidatePassword(pw string, minLen int) *ValidationError {
	switch {
	case pw == "":
		return fieldError("password", "can't be blank")
	case len([]rune(pw)) < minLen:
		return fieldError("password", "should be at least "+itoa(minLen)+" character(s)")
	case len(pw) > MaxPasswordBytes:
		return fieldError("password", "should be at most 72 byte(s)")
	}
	return nil
}
