package rest

import (
	"encoding/json"

	"github.com/gofiber/fiber/v2"
)

// registerOpenAPI serves the generated OpenAPI 3 document at /api/openapi
// and a Swagger UI at /api/docs, both behind OPENAPI_ENABLED (404
// text/plain "Not Found" when off).
func (s *Server) registerOpenAPI() {
	s.App.Get("/api/openapi", func(c *fiber.Ctx) error {
		if !s.opts.OpenAPIEnabled() {
			return gateOff(c)
		}
		b, err := json.Marshal(s.API.OpenAPI())
		if err != nil {
			return err
		}
		c.Type("json")
		return c.Send(b)
	})
	s.App.Get("/api/docs", func(c *fiber.Ctx) error {
		if !s.opts.OpenAPIEnabled() {
			return gateOff(c)
		}
		c.Type("html")
		return c.SendString(docsPage)
	})
}

// gateOff is the answer of a feature-gated route that is disabled.
func gateOff(c *fiber.Ctx) error {
	c.Status(fiber.StatusNotFound).Type("txt")
	return c.SendString("Not Found")
}

const docsPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Gamend-Go API</title>
<link rel="stylesheet" href="https://unpkg.com/swagger-ui-dist@5/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<noscript>The interactive documentation needs JavaScript; the raw document is at <a href="/api/openapi">/api/openapi</a>.</noscript>
<script src="https://unpkg.com/swagger-ui-dist@5/swagger-ui-bundle.js" crossorigin></script>
<script>
window.onload = function () {
  window.ui = SwaggerUIBundle({ url: "/api/openapi", dom_id: "#swagger-ui", deepLinking: true, persistAuthorization: true });
};
</script>
</body>
</html>
`
