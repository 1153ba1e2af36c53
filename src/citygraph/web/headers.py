"""Security headers for the HTML pages citygraph renders (start page, GraphiQL, API docs).

Each page loads only files from this server, and its bootstrap code is a served ``.js`` file, so
the policy allows scripts from ``'self'`` and nothing else: no inline script, no ``eval``, no
plugins, no ``<base>``, no framing, no form posts elsewhere. A page widens ``style-src``,
``img-src`` or ``font-src`` only for what its libraries are seen to need (the browser tests run
every page under its policy and fail on any violation). The REST face's answers do not get
these headers (the original service did not send them).
"""

from __future__ import annotations

SELF = "'self'"
Sources = tuple[str, ...]


def content_security_policy(
    *, style_src: Sources = (SELF,), img_src: Sources = (SELF,), font_src: Sources = (SELF,)
) -> str:
    directives: dict[str, Sources] = {
        "default-src": (SELF,),
        "script-src": (SELF,),
        "style-src": style_src,
        "img-src": img_src,
        "font-src": font_src,
        "connect-src": (SELF,),
        "object-src": ("'none'",),
        "base-uri": ("'none'",),
        "form-action": (SELF,),
        "frame-ancestors": ("'none'",),
    }
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def page_headers(
    *, style_src: Sources = (SELF,), img_src: Sources = (SELF,), font_src: Sources = (SELF,)
) -> dict[str, str]:
    """The headers of one HTML page."""
    return {
        "Content-Security-Policy": content_security_policy(
            style_src=style_src, img_src=img_src, font_src=font_src
        ),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        # For browsers without CSP's frame-ancestors.
        "X-Frame-Options": "DENY",
    }
