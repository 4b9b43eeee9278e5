// /docs: the API's reference (Swagger UI, from the platform's own copy: a county intranet reaches
// no CDN). "Authorize" takes a token from POST /api/v1/auth/login (the bearer scheme).
"use strict";
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  persistAuthorization: false,
  presets: [SwaggerUIBundle.presets.apis],
});
