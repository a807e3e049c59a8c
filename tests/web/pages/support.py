"""A small browser-like HTTP client for the attendee pages, on `requests` without its cookie jar.

Why not `requests.Session`: the session cookie is `Secure` (as it must be in production) and
the standard cookie jar rightly refuses to send a Secure cookie over the plain http:// of a
loopback test server. So this client keeps the cookies itself (what a browser on localhost,
a secure context, does), and lets each test see the raw Set-Cookie attributes.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any

import requests

CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')
SUBMISSION = re.compile(r'name="submission" value="([^"]*)"')


@dataclass
class WebClient:
    base: str
    cookies: dict[str, str] = field(default_factory=dict)
    set_cookies: list[str] = field(default_factory=list)  # every Set-Cookie header seen, raw
    address: str = ""  # (informational) tests of the limits use separate clients

    def _remember(self, response: requests.Response) -> None:
        for raw in response.raw.headers.getlist("Set-Cookie"):
            self.set_cookies.append(raw)
            jar: SimpleCookie = SimpleCookie()
            jar.load(raw)
            for name, morsel in jar.items():
                expired = morsel["expires"] and "1970" in morsel["expires"] or morsel["max-age"] == "0"
                if expired or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def _headers(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}

    def get(self, path: str, headers: dict[str, str] | None = None, **kw: Any) -> requests.Response:
        response = requests.get(self.base + path, headers={**self._headers(), **(headers or {})},
                                allow_redirects=False, timeout=30, **kw)
        self._remember(response)
        return response

    def post(self, path: str, data: dict[str, Any] | list[tuple[str, str]], **kw: Any) -> requests.Response:
        response = requests.post(self.base + path, data=data, headers=self._headers(), allow_redirects=False,
                                 timeout=30, **kw)
        self._remember(response)
        return response

    def follow(self, response: requests.Response) -> requests.Response:
        """GET where a redirect points (one hop)."""
        assert response.status_code in (302, 303), (response.status_code, response.text[:500])
        location = response.headers["Location"]
        return self.get(location[len(self.base):] if location.startswith(self.base) else location)

    def csrf(self, path: str = "/me") -> str:
        page = self.get(path)
        found = CSRF.search(page.text)
        assert found, f"no CSRF token on {path}: {page.status_code}"
        return found.group(1)

    def sign_in(self, token: str) -> requests.Response:
        first = self.get(f"/me/{token}")
        assert first.status_code == 303 and first.headers["Location"].endswith("/me"), first.text[:300]
        return self.follow(first)


def field_errors(page: str) -> dict[str, str]:
    """The error shown beside each field: {field name: message} (HTML unescaped)."""
    found = re.findall(r'<p class="error-message" id="([a-z]+)-error"><span class="visually-hidden">Error:</span> '
                       r"(.*?)</p>", page, flags=re.S)
    return {name: html.unescape(text) for name, text in found}


def summary_errors(page: str) -> list[str]:
    """The messages in the error summary at the top, in order."""
    block = re.search(r'<div class="error-summary".*?</div>', page, flags=re.S)
    if block is None:
        return []
    items = re.findall(r"<li>(.*?)</li>", block.group(0), re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", m)).strip() for m in items]
