package rest

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
)

// HealthBody is the health check answer (API.md §4.1).
type HealthBody struct {
	Status    string `json:"status" example:"ok" doc:"always ok when the server answers"`
	Timestamp string `json:"timestamp" example:"2026-01-15T10:30:00.123456Z" doc:"server time, ISO-8601 UTC with microseconds"`
}

type healthOutput struct{ Body HealthBody }

func (s *Server) registerHealth() {
	huma.Register(s.API, huma.Operation{
		OperationID: "index",
		Method:      http.MethodGet,
		Path:        "/api/v1/health",
		Summary:     "Health check",
		Description: "Answers 200 while the server is up. Exempt from rate limits.",
		Tags:        []string{"Health"},
	}, func(ctx context.Context, _ *struct{}) (*healthOutput, error) {
		return &healthOutput{Body: HealthBody{Status: "ok", Timestamp: time.Now().UTC().Format("2006-01-02T15:04:05.000000Z")}}, nil
	})
}
