package resttest

import (
	"bytes"
	"compress/gzip"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// Memory is a reading of this process's memory use, taken to show that a
// request (answered by a server in this process) cost next to nothing.
type Memory struct {
	// TotalAlloc is runtime.MemStats.TotalAlloc: every byte ever
	// allocated, by any goroutine, client and server alike.
	TotalAlloc uint64
	// RSS is VmRSS of /proc/self/status (0 where /proc is missing).
	RSS uint64
}

// ReadMemory reads the process's memory use now.
func ReadMemory(t *testing.T) Memory {
	t.Helper()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return Memory{TotalAlloc: ms.TotalAlloc, RSS: vmRSS(t)}
}

// CheckSince fails t when more than budget bytes were allocated since m,
// or when RSS grew by more than twice budget.
func (m Memory) CheckSince(t *testing.T, budget uint64) {
	t.Helper()
	now := ReadMemory(t)
	alloc := now.TotalAlloc - m.TotalAlloc
	if alloc > budget {
		t.Errorf("allocated %d MiB (budget %d MiB)", alloc>>20, budget>>20)
	}
	if now.RSS > m.RSS+2*budget {
		t.Errorf("RSS grew by %d MiB (budget %d MiB)", (now.RSS-m.RSS)>>20, 2*budget>>20)
	}
	t.Logf("allocated %d KiB; RSS %d MiB → %d MiB", alloc>>10, m.RSS>>20, now.RSS>>20)
}

func vmRSS(t *testing.T) uint64 {
	t.Helper()
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatalf("VmRSS %q: %v", v, err)
			}
			return kb << 10
		}
	}
	return 0
}

// Gzip returns the gzip encoding of b.
func Gzip(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	w := gzip.NewWriter(&out)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// GzipBomb is a gzip stream of mib members, each the gzip of 1 MiB of
// zeros (about 1 KB): it decodes to mib MiB.
func GzipBomb(t *testing.T, mib int) []byte {
	t.Helper()
	return bytes.Repeat(Gzip(t, make([]byte, 1<<20)), mib)
}
