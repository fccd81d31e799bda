"""The desk's guards: a secret token, a CSRF token, and a check of the Host header.

The desk can rewrite posts and spend money on model calls, and any web page the reviewer
visits can make the browser send requests to 127.0.0.1. So: every request needs the token
(given once in the URL, as Jupyter does, then kept in a cookie the browser sends only to this
origin); every state-changing request also needs the CSRF token, which only the desk's own
pages know; and a request whose Host is not this machine's loopback name (a DNS-rebinding
page) is refused before anything else.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Awaitable, Callable
from functools import wraps
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

COOKIE_PREFIX = "yt2post_review_"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
# No script, style or image from anywhere but the desk itself; nothing may frame it.
SECURITY_HEADERS = {
    "content-security-policy": ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",  # the token is in the first URL
    "cache-control": "no-store",
}


def is_loopback(host: str) -> bool:
    return host in LOOPBACK_NAMES or host.startswith("127.")


def new_token() -> str:
    return secrets.token_urlsafe(32)


def cookie_name(token: str) -> str:
    """Cookies ignore ports: each desk (each token) keeps its own, so two desks on one machine
    do not sign each other out."""
    return COOKIE_PREFIX + hashlib.sha256(token.encode()).hexdigest()[:12]


def csrf_token(token: str) -> str:
    return hmac.new(token.encode(), b"yt2post-review-csrf", hashlib.sha256).hexdigest()


def host_name(header: str) -> str:
    """``[::1]:8000`` -> ``::1``; ``Example.COM:80`` -> ``example.com``."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class Guard:
    """Pure ASGI middleware: Host check, then token check, then security headers on every answer."""

    def __init__(self, app: ASGIApp, *, token: str, allowed_hosts: set[str], allow_ip_hosts: bool = False) -> None:
        self.app = app
        self.token = token
        self.allowed_hosts = {h.lower() for h in allowed_hosts}
        # Listening on every interface, the desk is reached by some address of this machine.
        # An address is no rebinding risk: only a DNS name can be pointed somewhere else.
        self.allow_ip_hosts = allow_ip_hosts
        self.cookie = cookie_name(token)

    def host_allowed(self, header: str) -> bool:
        name = host_name(header)
        if name in self.allowed_hosts:
            return True
        if not self.allow_ip_hosts:
            return False
        try:
            ipaddress.ip_address(name)
        except ValueError:
            return False
        return True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                present = {k.lower() for k, _ in message["headers"]}
                for key, value in SECURITY_HEADERS.items():
                    if key.encode() not in present:
                        message["headers"].append((key.encode(), value.encode()))
            await send(message)

        if not self.host_allowed(headers.get("host", "")):
            response: Response = PlainTextResponse("403: this desk answers only to its own address "
                                                   "(foreign Host header)", status_code=403)
            await response(scope, receive, send_with_headers)
            return
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        given = query.get("token")
        if given is not None and hmac.compare_digest(given.encode(), self.token.encode()):
            # First visit: keep the token in a cookie and drop it from the address bar and history.
            rest = urlencode([(k, v) for k, v in parse_qsl(scope.get("query_string", b"").decode("latin-1"))
                              if k != "token"])
            response = RedirectResponse(scope["path"] + (f"?{rest}" if rest else ""), status_code=303)
            response.set_cookie(self.cookie, self.token, httponly=True, samesite="strict", path="/")
            await response(scope, receive, send_with_headers)
            return
        cookie = SimpleCookie()
        try:
            cookie.load(headers.get("cookie", ""))
        except Exception:  # a malformed Cookie header is just no cookie
            cookie = SimpleCookie()
        morsel = cookie.get(self.cookie)
        if morsel is None or not hmac.compare_digest(morsel.value.encode(), self.token.encode()):
            response = PlainTextResponse("403: open the desk with the URL yt2post review printed "
                                         "(it carries the token)", status_code=403)
            await response(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)


Handler = Callable[..., Awaitable[Response]]


def state_changing(handler: Handler) -> Handler:
    """A POST handler that runs only with the CSRF token (form field or header); it gets the form."""

    @wraps(handler)
    async def wrapper(request: Request) -> Response:
        form: FormData = await request.form()
        given = request.headers.get(CSRF_HEADER) or str(form.get(CSRF_FIELD) or "")
        expected = request.app.state.csrf
        if not given or not hmac.compare_digest(given.encode(), expected.encode()):
            return PlainTextResponse("403: missing or wrong CSRF token (reload the page)", status_code=403)
        return await handler(request, form)

    wrapper.state_changing = True  # type: ignore[attr-defined]
    return wrapper
