// citygraph's REST API docs: Swagger UI over /api/openapi.json, talking to this server only.
// A served file rather than an inline <script>, so the page's CSP can be `script-src 'self'`.
(function () {
  "use strict";

  const root = document.getElementById("swagger-ui");
  if (typeof SwaggerUIBundle === "undefined" || typeof SwaggerUIStandalonePreset === "undefined") {
    root.className = "citygraph-docs-missing";
    root.textContent = root.dataset.missing;
    return;
  }

  // The REST face takes `Authorization: JWT <access token>` only. Authorize sends what it is
  // given; a bare token pasted there gets the `JWT` keyword here instead of a 401.
  function withJwtKeyword(request) {
    const value = request.headers && request.headers.Authorization;
    if (typeof value === "string" && /^\S+$/.test(value.trim())) {
      request.headers.Authorization = "JWT " + value.trim();
    }
    return request;
  }

  // The standalone layout without its top bar (a box to load any other URL's document).
  const NoTopbar = () => ({ components: { Topbar: () => null } });

  window.ui = SwaggerUIBundle({
    url: root.dataset.url,
    dom_id: "#swagger-ui",
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [NoTopbar],
    layout: "StandaloneLayout",
    deepLinking: true,
    // The default posts the document to an online validator: no requests to other hosts.
    validatorUrl: null,
    requestInterceptor: withJwtKeyword,
  });
})();
