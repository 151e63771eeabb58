// Package rest is the HTTP edge of Gamend-Go: the fiber app, its middleware
// (request id, panic recovery, access log, CORS, body limits, Accept check,
// per-IP rate limits with the real client IP), the huma API that generates
// the OpenAPI document from typed handlers, and the shared helpers every
// handler uses to answer with the contract's error bodies (API.md §1.3,
// §1.4) and pagination meta (§1.5).
//
// Handlers stay thin: parse, validate, call the domain (registry or store),
// map the domain error to the contract body here at the edge.
package rest
