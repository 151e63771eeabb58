package mail_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gamend-go/gamend/auth/mail"
)

// received is one transaction seen by fakeSMTP.
type received struct {
	auth     string // "user\x00password" from AUTH PLAIN
	from     string
	rcpt     []string
	data     string
	overTLS  bool
	startTLS bool
}

// fakeSMTP speaks just enough SMTP (EHLO, STARTTLS, AUTH PLAIN, MAIL, RCPT,
// DATA, RSET, NOOP, QUIT) on a loopback listener to receive one message
// per connection.
type fakeSMTP struct {
	ln       net.Listener
	tls      *tls.Config // offered via STARTTLS when starttls is set
	starttls bool
	implicit bool

	mu        sync.Mutex
	got       []received
	rcptReply string // answer to RCPT ("" = 250 ok)
}

func newFakeSMTP(t *testing.T, cert *tls.Config, implicit, starttls bool) *fakeSMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if implicit {
		ln = tls.NewListener(ln, cert)
	}
	f := &fakeSMTP{ln: ln, tls: cert, implicit: implicit, starttls: starttls}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go f.serve(c)
		}
	}()
	return f
}

func (f *fakeSMTP) port() int { return f.ln.Addr().(*net.TCPAddr).Port }

func (f *fakeSMTP) messages() []received {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]received(nil), f.got...)
}

func (f *fakeSMTP) serve(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	say := func(s string) { _, _ = c.Write([]byte(s + "\r\n")) }
	cur := received{overTLS: f.implicit}
	say("220 fake.test ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		switch verb {
		case "EHLO", "HELO":
			say("250-fake.test")
			if f.starttls && !cur.overTLS {
				say("250-STARTTLS")
			}
			say("250 AUTH PLAIN LOGIN")
		case "STARTTLS":
			say("220 go ahead")
			tc := tls.Server(c, f.tls)
			if err := tc.Handshake(); err != nil {
				return
			}
			c, r = tc, bufio.NewReader(tc)
			cur.overTLS, cur.startTLS = true, true
		case "AUTH":
			parts := strings.Fields(line)
			b64 := ""
			if len(parts) == 3 {
				b64 = parts[2]
			} else {
				say("334 ")
				l, _ := r.ReadString('\n')
				b64 = strings.TrimSpace(l)
			}
			raw, _ := base64.StdEncoding.DecodeString(b64)
			cur.auth = strings.TrimPrefix(string(raw), "\x00")
			say("235 2.7.0 authenticated")
		case "MAIL":
			cur.from = line
			say("250 ok")
		case "RCPT":
			cur.rcpt = append(cur.rcpt, line)
			f.mu.Lock()
			reply := f.rcptReply
			f.mu.Unlock()
			if reply == "" {
				reply = "250 ok"
			}
			say(reply)
		case "DATA":
			say("354 end with .")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(l)
			}
			cur.data = b.String()
			f.mu.Lock()
			f.got = append(f.got, cur)
			f.mu.Unlock()
			say("250 queued")
		case "RSET", "NOOP":
			say("250 ok")
		case "QUIT":
			say("221 bye")
			return
		default:
			say("502 unknown command")
		}
	}
}

// selfSigned returns a server config for "localhost" and a client pool
// trusting it.
func selfSigned(t *testing.T) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"}, DNSNames: []string{"localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, pool
}

func TestSMTP(t *testing.T) {
	server, pool := selfSigned(t)
	msg := mail.Confirm("player@example.com", "http://localhost:4000/users/confirm/abc")
	tests := []struct {
		name               string
		implicit, starttls bool
		cfg                mail.SMTPConfig
		wantTLS            bool
		wantErr            string
	}{
		{name: "plain with auth", cfg: mail.SMTPConfig{Username: "apikey", Password: "s3cret", StartTLS: mail.StartTLSNever}},
		{name: "implicit TLS with SNI", implicit: true, wantTLS: true,
			cfg: mail.SMTPConfig{Username: "apikey", Password: "s3cret", SSL: true, ServerName: "localhost"}},
		{name: "STARTTLS if available", starttls: true, wantTLS: true,
			cfg: mail.SMTPConfig{Username: "apikey", Password: "s3cret", StartTLS: mail.StartTLSIfAvailable, ServerName: "localhost"}},
		{name: "STARTTLS always, relay without it", wantErr: "STARTTLS",
			cfg: mail.SMTPConfig{Username: "apikey", Password: "s3cret", StartTLS: mail.StartTLSAlways, ServerName: "localhost"}},
		{name: "implicit TLS, wrong server name", implicit: true, wantErr: "certificate",
			cfg: mail.SMTPConfig{SSL: true, ServerName: "other.example"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeSMTP(t, server, tt.implicit, tt.starttls)
			cfg := tt.cfg
			cfg.Relay, cfg.Port = "127.0.0.1", f.port()
			cfg.FromName, cfg.FromEmail = "Gamend", "noreply@example.com"
			cfg.TLSConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
			cfg.Timeout = 5 * time.Second
			m, err := mail.NewSMTP(cfg)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err = m.Send(ctx, msg)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "s3cret") {
					t.Fatalf("error leaks the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := f.messages()
			if len(got) != 1 {
				t.Fatalf("server got %d messages", len(got))
			}
			g := got[0]
			if g.overTLS != tt.wantTLS {
				t.Errorf("over TLS = %v, want %v", g.overTLS, tt.wantTLS)
			}
			if cfg.Username != "" && g.auth != "apikey\x00s3cret" {
				t.Errorf("auth = %q", g.auth)
			}
			if !strings.Contains(g.from, "<noreply@example.com>") || len(g.rcpt) != 1 || !strings.Contains(g.rcpt[0], "<player@example.com>") {
				t.Errorf("envelope from %q rcpt %q", g.from, g.rcpt)
			}
			for _, want := range []string{`From: "Gamend" <noreply@example.com>`, "To: <player@example.com>", "Subject: Confirm your account", "http://localhost:4000/users/confirm/abc"} {
				if !strings.Contains(g.data, want) {
					t.Errorf("data lacks %q:\n%s", want, g.data)
				}
			}
		})
	}
}

func TestNewSMTPValidates(t *testing.T) {
	for _, cfg := range []mail.SMTPConfig{
		{FromEmail: "a@b.c"},                       // no relay
		{Relay: "smtp.example", FromEmail: "nope"}, // bad from
		{Relay: "smtp.example", FromEmail: "a@b.c", StartTLS: "sometimes"},
	} {
		if _, err := mail.NewSMTP(cfg); err == nil {
			t.Errorf("NewSMTP(%+v) accepted", cfg)
		}
	}
}

func TestMailboxIsBounded(t *testing.T) {
	b := mail.NewMailbox(3, "Gamend <noreply@localhost>", nil)
	for i := range 5 {
		_ = b.Send(context.Background(), mail.Message{To: "x@example.com", Subject: string(rune('a' + i))})
	}
	list := b.List()
	if len(list) != 3 || list[0].Subject != "e" || list[2].Subject != "c" {
		t.Fatalf("list = %+v", list)
	}
	if m, ok := b.Get(list[1].ID); !ok || m.Subject != "d" {
		t.Fatalf("get = %+v %v", m, ok)
	}
	if _, ok := b.Get("1"); ok {
		t.Fatal("evicted message still readable")
	}
}

// A 5xx reply is a permanent failure (the queue does not retry it); a 4xx
// reply is transient.
func TestSMTPPermanentFailures(t *testing.T) {
	for _, tt := range []struct {
		reply     string
		permanent bool
	}{
		{"550 5.1.1 no such user", true},
		{"451 4.3.0 try again later", false},
	} {
		f := newFakeSMTP(t, nil, false, false)
		f.mu.Lock()
		f.rcptReply = tt.reply
		f.mu.Unlock()
		m, err := mail.NewSMTP(mail.SMTPConfig{Relay: "127.0.0.1", Port: f.port(), FromEmail: "noreply@example.com", Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = m.Send(ctx, mail.Confirm("player@example.com", "http://localhost:4000/users/confirm/abc"))
		cancel()
		if err == nil || mail.IsPermanent(err) != tt.permanent {
			t.Errorf("%s: err %v, permanent %v; want permanent %v", tt.reply, err, mail.IsPermanent(err), tt.permanent)
		}
	}
}
