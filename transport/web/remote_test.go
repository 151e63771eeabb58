package web_test

import (
	"context"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// A remote client without leaving this machine: with envOptions.remote the
// server also accepts connections on a Unix socket, whose peer has no IP
// address (fasthttp reports it as 0.0.0.0). To the server such a client is
// not on loopback, as one from another host would be, and no test traffic
// goes to any address but loopback.

// remotePeer is the client address the server sees for remoteBrowser.
const remotePeer = "0.0.0.0"

// listenRemote opens the Unix socket of envOptions.remote.
func listenRemote(t *testing.T) (net.Listener, string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "gamend-web") // short: socket paths are limited to ~100 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "remote.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	return ln, sock
}

// remoteBrowser is a browser whose requests reach the server over the
// remote socket (envOptions.remote).
func (e *env) remoteBrowser() *browser {
	e.t.Helper()
	if e.remoteSock == "" {
		e.t.Fatal("remoteBrowser needs envOptions.remote")
	}
	jar, _ := cookiejar.New(nil)
	dial := func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", e.remoteSock)
	}
	tr := &http.Transport{DialContext: dial}
	e.t.Cleanup(tr.CloseIdleConnections)
	return &browser{t: e.t, e: e, base: "http://remote.test", c: &http.Client{Jar: jar, Transport: tr, Timeout: 10 * time.Second}}
}

// bothListeners accepts from a loopback TCP listener and the remote socket
// as one listener, so one server serves both (fiber builds its routes once
// per Listener call).
type bothListeners struct {
	net.Listener // the TCP one: Addr
	remote       net.Listener
	conns        chan net.Conn
	done         chan struct{}
	once         sync.Once
}

func newBothListeners(tcp, remote net.Listener) *bothListeners {
	b := &bothListeners{Listener: tcp, remote: remote, conns: make(chan net.Conn), done: make(chan struct{})}
	for _, ln := range []net.Listener{tcp, remote} {
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return // closed
				}
				select {
				case b.conns <- c:
				case <-b.done:
					c.Close()
					return
				}
			}
		}()
	}
	return b
}

func (b *bothListeners) Accept() (net.Conn, error) {
	select {
	case c := <-b.conns:
		return c, nil
	case <-b.done:
		return nil, net.ErrClosed
	}
}

func (b *bothListeners) Close() error {
	b.once.Do(func() { close(b.done) })
	b.remote.Close()
	return b.Listener.Close()
}
