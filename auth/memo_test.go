package auth

import (
	"errors"
	"sync"
	"testing"
	"time"
)

// A remembered token gets exactly the verdict a fresh verification gives
// at every instant: the memo never accepts what the full path refuses.
func TestParseMemoVerdicts(t *testing.T) {
	signer := fixedTokens(testSecret, testNow)
	access, _ := signer.Sign(TypeAccess, testUserID, 3)
	refresh, _ := signer.Sign(TypeRefresh, testUserID, 3)
	for _, tc := range []struct {
		name  string
		token string
		typ   string
		at    time.Time // clock of the second Parse
		ok    bool
	}{
		{"same instant", access, TypeAccess, testNow, true},
		{"just before expiry", access, TypeAccess, testNow.Add(AccessTTL - time.Second), true},
		{"at expiry", access, TypeAccess, testNow.Add(AccessTTL), false},
		{"after expiry", access, TypeAccess, testNow.Add(AccessTTL + time.Second), false},
		{"clock set back before nbf", access, TypeAccess, testNow.Add(-time.Hour), false},
		{"clock set back before iat only", access, TypeAccess, testNow.Add(-time.Second / 2), false},
		{"refresh token as access", refresh, TypeAccess, testNow, false},
		{"access token as refresh", access, TypeRefresh, testNow, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := testNow
			tk := NewTokens(testSecret)
			tk.now = func() time.Time { return clock }
			// Remember the token, whatever its type.
			first := TypeAccess
			if tc.token == refresh {
				first = TypeRefresh
			}
			if _, err := tk.Parse(tc.token, first); err != nil {
				t.Fatalf("first parse: %v", err)
			}
			clock = tc.at
			c, err := tk.Parse(tc.token, tc.typ)
			fresh := NewTokens(testSecret)
			fresh.now = func() time.Time { return clock }
			_, ferr := fresh.Parse(tc.token, tc.typ)
			if (err == nil) != tc.ok || (ferr == nil) != tc.ok {
				t.Fatalf("remembered: %v, fresh: %v, want ok=%v", err, ferr, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrTokenInvalid) {
				t.Fatalf("error %v does not wrap ErrTokenInvalid", err)
			}
			if err == nil && (c.Subject != testUserID || *c.TokenVersion != 3) {
				t.Fatalf("claims %+v", c)
			}
		})
	}
}

func TestParseMemoHitsAndBounds(t *testing.T) {
	tk := fixedTokens(testSecret, testNow)
	access, _ := tk.Sign(TypeAccess, testUserID, 3)
	a, err := tk.Parse(access, TypeAccess)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := tk.Parse(access, TypeAccess)
	if a != b {
		t.Fatal("the second Parse of a token verified it again instead of using the memo")
	}
	// ParseOnce uses the memo but adds nothing to it.
	other, _ := tk.Sign(TypeAccess, "0198c0de-0002-7000-8000-000000000003", 1)
	if _, err := tk.ParseOnce(other, TypeAccess); err != nil {
		t.Fatal(err)
	}
	if tk.memo.get(other, testNow) != nil {
		t.Fatal("ParseOnce remembered its token")
	}
	if c, _ := tk.ParseOnce(access, TypeAccess); c != a {
		t.Fatal("ParseOnce did not use the memo")
	}
	// A tampered copy of a remembered token is still refused.
	tampered := access[:len(access)-2] + "AA"
	if _, err := tk.Parse(tampered, TypeAccess); err == nil {
		t.Fatal("a token with a changed signature was accepted")
	}
	// However many tokens pass, the memo stays bounded.
	for i := range 3 * memoShards * memoShardMax {
		tok, _ := tk.Sign(TypeAccess, testUserID, i)
		if _, err := tk.Parse(tok, TypeAccess); err != nil {
			t.Fatal(err)
		}
	}
	total := 0
	for i := range tk.memo.shards {
		total += len(tk.memo.shards[i].m)
	}
	if total > memoShards*memoShardMax || total < memoShards*memoShardMax/2 {
		t.Fatalf("memo holds %d tokens, bound %d", total, memoShards*memoShardMax)
	}
}

func TestParseMemoConcurrent(t *testing.T) {
	tk := fixedTokens(testSecret, testNow)
	var toks []string
	for i := range 64 {
		s, _ := tk.Sign(TypeAccess, testUserID, i)
		toks = append(toks, s)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				tok := toks[(g*7+i)%len(toks)]
				c, err := tk.Parse(tok, TypeAccess)
				if err != nil || c.Subject != testUserID {
					t.Errorf("parse: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
