// citygraph's start page. Links mailed by the original service (djoser's default templates,
// `#/activate/<uid>/<token>` and the reset ones) land here: forward them to the pages that
// handle them, so old links keep working. A served file: the page's CSP allows no inline code.
(function () {
  "use strict";
  const match = /^#\/((?:activate|password\/reset\/confirm|username\/reset\/confirm)\/[^/]+\/[^/]+)\/?$/.exec(
    window.location.hash,
  );
  if (match) {
    window.location.replace("/" + match[1]);
  }
})();
