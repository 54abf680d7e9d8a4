"""HTTP with the standard library only: one keep-alive connection per client.

A client is not thread-safe; concurrent workers each own one.
"""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .errors import PerftestError

# A reused keep-alive connection the server has closed in the meantime fails like this
# before any response arrives; the request is then sent once more on a new connection.
_STALE_CONNECTION = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    base_path: str = ""

    @classmethod
    def parse(cls, url: str) -> Target:
        """``http(s)://host[:port][/prefix]``; raises PerftestError for anything else."""
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise PerftestError(f"--url must be an http:// or https:// URL, got {url!r}")
        try:
            port = parts.port
        except ValueError:
            raise PerftestError(f"--url has an invalid port: {url!r}") from None
        default_port = 443 if parts.scheme == "https" else 80
        return cls(parts.scheme, parts.hostname, port or default_port, parts.path.rstrip("/"))

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}{self.base_path}"


@dataclass(frozen=True)
class Reply:
    """``status`` 0 and ``error`` set when no HTTP response came back."""

    status: int
    latency_ms: float
    body: bytes = b""
    error: str = ""

    def detail(self) -> str:
        """A short, one-line description of the response body (DRF's ``detail`` if any)."""
        try:
            data = json.loads(self.body)
        except ValueError:
            text = self.body.decode("utf-8", "replace")
        else:
            text = str(data.get("detail", data)) if isinstance(data, dict) else str(data)
        return " ".join(text.split())[:200]


class ApiClient:
    def __init__(
        self,
        target: Target,
        *,
        token: str | None,
        timeout_s: float,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.target = target
        self.timeout_s = timeout_s
        self._clock = clock
        self._headers = {"Accept": "application/json"}
        if token:
            self._headers["Authorization"] = f"Token {token}"
        self._connection: http.client.HTTPConnection | None = None
        self._used = False

    def connect(self) -> None:
        """Open the connection now (so a measured phase does not pay for it); errors
        surface on the first request."""
        connection = self._open()
        if connection.sock is not None:
            return
        try:
            connection.connect()
        except OSError:
            self.close()

    def get(self, path: str, *, headers: Mapping[str, str] | None = None) -> Reply:
        return self.request("GET", path, headers=headers)

    def post_json(self, path: str, body: Any, *, headers: Mapping[str, str] | None = None) -> Reply:
        return self.request("POST", path, body=body, headers=headers)

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        """One request, timed from sending to the last byte of the response."""
        payload = None if body is None else json.dumps(body).encode()
        all_headers = {**self._headers, **(headers or {})}
        if payload is not None:
            all_headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            reused = self._used and self._connection is not None
            start = self._clock()
            try:
                connection = self._open()
                connection.request(method, self.target.base_path + path, payload, all_headers)
                response = connection.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                if attempt == 1 and reused and isinstance(exc, _STALE_CONNECTION):
                    continue
                error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                return Reply(status=0, latency_ms=self._elapsed_ms(start), error=error)
            latency = self._elapsed_ms(start)
            self._used = True
            if response.will_close:
                self.close()
            return Reply(status=response.status, latency_ms=latency, body=data)
        raise AssertionError("unreachable: the second attempt always returns")

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
        self._connection = None
        self._used = False

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _open(self) -> http.client.HTTPConnection:
        if self._connection is None:
            factory = (
                http.client.HTTPSConnection
                if self.target.scheme == "https"
                else http.client.HTTPConnection
            )
            self._connection = factory(self.target.host, self.target.port, timeout=self.timeout_s)
        return self._connection

    def _elapsed_ms(self, start: float) -> float:
        return (self._clock() - start) * 1000
