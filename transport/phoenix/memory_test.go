package phoenix_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/gofiber/fiber/v2"

	"github.com/gamend-go/gamend/transport/phoenix"
	"github.com/gamend-go/gamend/transport/rest"
)

// The memory experiment runs the server in a child process (this test
// binary re-executed) so the client sockets do not pollute its RSS:
//
//	PHOENIX_MEMTEST=10000 go test -run TestMemoryPerSocket -v ./transport/phoenix/
//
// PHOENIX_MEMTEST_APP=rest (default) serves from rest.New exactly as the
// binary does; "reduce" uses a fiber app with rest.New's buffer sizes and
// timeouts plus ReduceMemoryUsage. PHOENIX_MEMTEST_DEEPJOIN=1 makes Join
// use ~32 KiB of stack, as real domain code may.

type memReport struct {
	RSS        int64 `json:"rss"`
	HeapInuse  int64 `json:"heap_inuse"`
	StackInuse int64 `json:"stack_inuse"`
	Goroutines int   `json:"goroutines"`
	Sockets    int64 `json:"sockets"`
	Channels   int64 `json:"channels"`
}

func TestMemoryPerSocket(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("PHOENIX_MEMTEST"))
	if n <= 0 {
		t.Skip("set PHOENIX_MEMTEST=<sockets> to run the memory experiment")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestMemoryServer$")
	cmd.Env = append(os.Environ(), "PHOENIX_MEMSERVER=1")
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); cmd.Wait() }()
	addr, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	addr = strings.TrimSpace(addr)
	report := func() memReport {
		res, err := http.Get("http://" + addr + "/__memtest")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var r memReport
		json.NewDecoder(res.Body).Decode(&r)
		return r
	}
	dialer := &websocket.Dialer{ReadBufferSize: 256, WriteBufferSize: 256, EnableCompression: true}
	open := func(i int) (*websocket.Conn, error) {
		url := fmt.Sprintf("ws://%s/socket/websocket?vsn=2.0.0&token=tok-user%d", addr, i)
		ws, _, err := dialer.Dial(url, nil)
		if err != nil {
			return nil, err
		}
		ws.WriteMessage(websocket.TextMessage, []byte(`["1","1","room:lobby","phx_join",{}]`))
		ws.SetReadDeadline(time.Now().Add(30 * time.Second))
		if _, _, err := ws.ReadMessage(); err != nil {
			return nil, err
		}
		return ws, nil
	}
	warm, err := open(-1) // prime pools and lazily built state
	if err != nil {
		t.Fatal(err)
	}
	defer warm.Close()
	time.Sleep(time.Second)
	before := report()

	conns := make([]*websocket.Conn, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				ws, err := open(i)
				if err != nil {
					t.Errorf("socket %d: %v", i, err)
					return
				}
				conns[i] = ws
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	t.Logf("%d sockets connected and joined in %v", n, time.Since(start))
	time.Sleep(3 * time.Second) // let the sockets go idle
	after := report()
	per := func(a, b int64) float64 { return float64(b-a) / float64(n) }
	t.Logf("app=%s deep_join=%q before: %+v", envOr("PHOENIX_MEMTEST_APP", "rest"), os.Getenv("PHOENIX_MEMTEST_DEEPJOIN"), before)
	t.Logf("after:  %+v", after)
	t.Logf("per idle joined socket: RSS %.0f B, heap %.0f B, stacks %.0f B, goroutines %.2f",
		per(before.RSS, after.RSS), per(before.HeapInuse, after.HeapInuse), per(before.StackInuse, after.StackInuse),
		float64(after.Goroutines-before.Goroutines)/float64(n))
	for _, c := range conns {
		c.Close()
	}
}

// TestMemoryServer is the child side of TestMemoryPerSocket.
func TestMemoryServer(t *testing.T) {
	if os.Getenv("PHOENIX_MEMSERVER") == "" {
		t.Skip("child process of TestMemoryPerSocket")
	}
	runtime.MemProfileRate = 4096
	discard := slog.New(slog.NewTextHandler(io.Discard, nil))
	var app *fiber.App
	if envOr("PHOENIX_MEMTEST_APP", "rest") == "reduce" {
		app = fiber.New(fiber.Config{DisableStartupMessage: true, ReadBufferSize: 8192, ReadTimeout: 30 * time.Second,
			WriteTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second, ReduceMemoryUsage: true})
	} else {
		app = rest.New(rest.Options{Logger: discard}).App
	}
	subs := &subscriberSet{m: map[*phoenix.Conn]struct{}{}}
	ep := phoenix.Mount(app, phoenix.Config{Logger: discard}, fakeAuth, phoenix.NewRouter().Handle("room:*", subs))
	app.Get("/__memtest", func(c *fiber.Ctx) error {
		for range 4 { // each GC halves an idle goroutine's oversized stack once
			runtime.GC()
		}
		debug.FreeOSMemory()
		if path := os.Getenv("PHOENIX_MEMTEST_HEAPPROFILE"); path != "" {
			if f, err := os.Create(path); err == nil {
				pprof.WriteHeapProfile(f)
				f.Close()
			}
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		st := ep.Stats()
		return c.JSON(memReport{RSS: rssBytes(), HeapInuse: int64(ms.HeapInuse), StackInuse: int64(ms.StackInuse),
			Goroutines: runtime.NumGoroutine(), Sockets: st.SocketsOpen, Channels: st.ChannelsJoined})
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go app.Listener(ln)
	fmt.Println(ln.Addr().String())
	io.Copy(io.Discard, os.Stdin) // until the parent is done
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ep.Shutdown(ctx)
}

// subscriberSet is what a lobby actor keeps: the Conns to push to.
type subscriberSet struct {
	mu sync.Mutex
	m  map[*phoenix.Conn]struct{}
}

func (s *subscriberSet) Join(_ context.Context, c *phoenix.Conn, _ json.RawMessage) (any, error) {
	if os.Getenv("PHOENIX_MEMTEST_DEEPJOIN") != "" {
		deepStack(64) // a Join that goes deep (actor request, JSON, SQL...)
	}
	s.mu.Lock()
	s.m[c] = struct{}{}
	s.mu.Unlock()
	return nil, nil
}

func (s *subscriberSet) HandleIn(context.Context, *phoenix.Conn, string, json.RawMessage) (any, error) {
	return nil, phoenix.PushError("unknown_event", true)
}

func (s *subscriberSet) Leave(c *phoenix.Conn, _ phoenix.LeaveReason) {
	s.mu.Lock()
	delete(s.m, c)
	s.mu.Unlock()
}

func rssBytes() int64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

//go:noinline
func deepStack(n int) byte {
	var pad [512]byte
	pad[n%512] = byte(n)
	if n == 0 {
		return pad[0]
	}
	return deepStack(n-1) + pad[(n*7)%512]
}
