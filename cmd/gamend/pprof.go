package main

import (
	"expvar"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"runtime/debug"
	"time"
)

// startPprof serves Go's profiling endpoints and the expvar counters
// (/debug/vars) on addr (DEBUG_PPROF_ADDR), on a listener of its own so they are never reachable through the public
// port.
func startPprof(addr string, log *slog.Logger) {
	if addr == "" {
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.Handle("/debug/vars", expvar.Handler()) // counters, e.g. gamend_mail
	// /debug/freeos runs a GC and returns freed memory to the OS, so a
	// benchmark can read the live footprint from RSS.
	mux.HandleFunc("/debug/freeos", func(w http.ResponseWriter, _ *http.Request) {
		debug.FreeOSMemory()
		_, _ = w.Write([]byte("ok\n"))
	})
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		log.Info("pprof listening", "addr", addr)
		if err := srv.ListenAndServe(); err != nil {
			log.Warn("pprof listener stopped", "err", err)
		}
	}()
}
