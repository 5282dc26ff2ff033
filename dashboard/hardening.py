"""HTTP hardening: security headers, cookie flags, and errors that never show a stack trace."""
from __future__ import annotations

import logging

import flask
from werkzeug.exceptions import HTTPException

from data_access import Settings

log = logging.getLogger(__name__)

# Dash renders with inline scripts and Plotly compiles some code at run time, hence the two
# 'unsafe-' sources; everything else is limited to this origin.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ]
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def init_hardening(server: flask.Flask, settings: Settings) -> None:
    server.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        PROPAGATE_EXCEPTIONS=False,
    )

    @server.after_request
    def security_headers(response: flask.Response) -> flask.Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if settings.session_cookie_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response

    @server.errorhandler(Exception)
    def no_stack_traces(error: Exception):
        if isinstance(error, HTTPException):
            return error
        log.exception("unhandled error on %s", flask.request.path)
        return flask.jsonify({"error": "internal error; the details are in the server log"}), 500
