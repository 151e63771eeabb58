package main

import (
	"io"
	"log/slog"
	"os"

	"gopkg.in/natefinch/lumberjack.v2"

	"github.com/gamend-go/gamend/config"
)

// newLogger builds the process logger: text or JSON on stdout at LOG_LEVEL,
// plus a size-rotated file at LOG_FILE_LEVEL when LOG_FILE_PATH is set.
func newLogger(cfg *config.Config) (*slog.Logger, io.Closer) {
	level, _ := config.SlogLevel(cfg.Log.Level)
	handlers := []slog.Handler{newHandler(os.Stdout, cfg.Log.Format, level)}
	var closer io.Closer = io.NopCloser(nil)
	if cfg.Log.FilePath != "" {
		fl, _ := config.SlogLevel(cfg.Log.FileLevel)
		lj := &lumberjack.Logger{
			Filename:   cfg.Log.FilePath,
			MaxSize:    max(1, int(cfg.Log.FileMaxBytes/1_000_000)),
			MaxBackups: cfg.Log.FileMaxFiles,
		}
		handlers = append(handlers, newHandler(lj, cfg.Log.Format, fl))
		closer = lj
	}
	if len(handlers) == 1 {
		return slog.New(handlers[0]), closer
	}
	return slog.New(slog.NewMultiHandler(handlers...)), closer
}

func newHandler(w io.Writer, format string, level slog.Level) slog.Handler {
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.NewJSONHandler(w, opts)
	}
	return slog.NewTextHandler(w, opts)
}
