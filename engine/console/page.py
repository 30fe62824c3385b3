"""The console's one page: index.html with its CSS and JS inlined under a per-response CSP
nonce, and the headers that keep it from loading anything else or being framed."""

from __future__ import annotations

from pathlib import Path

STATIC = Path(__file__).parent / "static"


def page(nonce: str) -> str:
    """index.html with console.css, plots.js and console.js inlined under a per-response CSP nonce."""
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    css = (STATIC / "console.css").read_text(encoding="utf-8")
    js = "\n".join((STATIC / name).read_text(encoding="utf-8") for name in ("plots.js", "console.js"))
    return html.replace("<!--CSS-->", f'<style nonce="{nonce}">\n{css}</style>').replace(
        "<!--JS-->", f'<script nonce="{nonce}">\n{js}</script>'
    )


def security_headers(nonce: str) -> dict[str, str]:
    # nothing but this page's own script and style, talking to this server; never framed
    # (a hidden frame could trick a click onto STOP or a level)
    return {
        "Content-Security-Policy": f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
        "connect-src 'self'; img-src 'self' data:; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }
