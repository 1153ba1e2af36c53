// citygraph's GraphiQL page: GraphiQL with the explorer plugin, talking to this server only.
// A served file rather than an inline <script>, so the page's CSP can be `script-src 'self'`.
// Adapted from strawberry's graphiql.html: no CDN, no js-cookie, and a fetcher that asks for
// application/graphql-response+json.
(function () {
  "use strict";

  const root = document.getElementById("graphiql");

  // What a first visit shows (returning visitors get their own tabs back from localStorage).
  // Short lines: the editor shares the window with the explorer and the response. The note on
  // signing in is below the response (AuthNote), where it stays visible.
  const EXAMPLE_QUERY = `# Moscow's districts and places.
# ▶ or Ctrl-Enter runs a query.

query DistrictsWithPlaces {
  districts {
    title
    abbreviation
    places(first: 3) {
      totalCount
      edges {
        node {
          title
          type
          latitude
          longitude
        }
      }
    }
  }
}

query PlacesNearRedSquare {
  placesNear(
    latitude: "55.753930"
    longitude: "37.620795"
    radiusMeters: 1500
    first: 5
  ) {
    distanceMeters
    place {
      title
      district {
        abbreviation
      }
    }
  }
}
`;

  function showMissingAssets() {
    root.className = "citygraph-graphiql-missing";
    root.textContent = root.dataset.missing;
  }

  if (
    typeof React === "undefined" ||
    typeof ReactDOM === "undefined" ||
    typeof GraphiQL === "undefined" ||
    typeof GraphiQLPluginExplorer === "undefined"
  ) {
    showMissingAssets();
    return;
  }

  // URL parameters, for sharing a query: ?q=...&variables=...
  const parameters = {};
  for (const entry of window.location.search.slice(1).split("&")) {
    const eq = entry.indexOf("=");
    if (eq >= 0) {
      parameters[decodeURIComponent(entry.slice(0, eq))] = decodeURIComponent(
        entry.slice(eq + 1),
      );
    }
  }

  function updateURL(data) {
    Object.assign(parameters, data);
    const search = Object.keys(parameters)
      .filter((key) => Boolean(parameters[key]))
      .map((key) => encodeURIComponent(key) + "=" + encodeURIComponent(parameters[key]))
      .join("&");
    history.replaceState(null, "", "?" + search);
  }

  function getCookie(name) {
    for (const part of document.cookie.split(";")) {
      const eq = part.indexOf("=");
      if (eq >= 0 && part.slice(0, eq).trim() === name) {
        return decodeURIComponent(part.slice(eq + 1).trim());
      }
    }
    return undefined;
  }

  // The API answers on the page's own URL.
  const fetchURL = window.location.href.split("?")[0].split("#")[0];
  const defaultHeaders = { accept: "application/graphql-response+json, application/json" };
  const csrfToken = getCookie("csrftoken");
  if (csrfToken) {
    defaultHeaders["x-csrftoken"] = csrfToken;
  }
  const fetcherOptions = { url: fetchURL, headers: defaultHeaders };
  if (root.dataset.subscriptions === "true") {
    // ws: for a page served in the clear, wss: for one served over TLS.
    const wsURL = new URL(fetchURL);
    wsURL.protocol = "ws" + wsURL.protocol.slice(4);
    fetcherOptions.subscriptionUrl = wsURL.toString();
  }
  const fetcher = GraphiQL.createFetcher(fetcherOptions);
  const explorerPlugin = GraphiQLPluginExplorer.explorerPlugin();
  const h = React.createElement;

  function AuthNote() {
    return h(
      "div",
      { className: "citygraph-auth-note" },
      "Signed-in operations: put ",
      h("code", null, '{"Authorization": "JWT <access token>"}'),
      " in the Headers tab (a token comes from the ",
      h("code", null, "createToken"),
      " mutation).",
    );
  }

  function CitygraphGraphiQL() {
    const [query, setQuery] = React.useState(parameters.q);
    const [variables, setVariables] = React.useState(parameters.variables);

    return h(
      GraphiQL,
      {
        fetcher: fetcher,
        plugins: [explorerPlugin],
        visiblePlugin: explorerPlugin,
        defaultQuery: EXAMPLE_QUERY,
        query: query,
        variables: variables,
        onEditQuery: (value) => {
          setQuery(value);
          updateURL({ q: value });
        },
        onEditVariables: (value) => {
          setVariables(value);
          updateURL({ variables: value });
        },
        defaultEditorToolsVisibility: "headers",
        isHeadersEditorEnabled: true,
        shouldPersistHeaders: true,
        inputValueDeprecation: true,
      },
      h(GraphiQL.Footer, null, h(AuthNote)),
    );
  }

  // The explorer focuses every argument input it mounts unless a textarea has the focus, which
  // scrolls its panel away from the top on a first visit: start in the query editor instead.
  const focusEditor = new MutationObserver(() => {
    const textarea = root.querySelector(".graphiql-query-editor textarea");
    if (textarea) {
      focusEditor.disconnect();
      textarea.focus({ preventScroll: true });
    }
  });
  focusEditor.observe(root, { childList: true, subtree: true });
  ReactDOM.createRoot(root).render(h(CitygraphGraphiQL));
})();
