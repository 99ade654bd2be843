"""A staff member's session on the demo's central API, as the desk's and the technician's pages
hold one: log in, then GET, POST and upload with the bearer token; addresses can be opened without
following redirects (the slip's claim address answers with one)."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from typing import Any


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class ApiError(RuntimeError):
    """An answer other than 2xx: the status and central's reason."""

    def __init__(self, status: int, detail: Any) -> None:
        super().__init__(f"HTTP {status}: {detail}")
        self.status, self.detail = status, detail


class Session:
    """Logged in to `api` (http://host:port) as `username`."""

    def __init__(self, api: str, username: str, password: str) -> None:
        self.api = api
        self.username = username
        self.token = self.call("POST", "/api/v1/auth/login",
                               {"username": username, "password": password, "token": True}, auth=False)["token"]

    def call(self, method: str, path: str, body: Any = None, *, auth: bool = True, raw: bytes | None = None,
             content_type: str = "application/json") -> Any:
        """One request; the JSON answer, or ApiError with the status and central's `detail`."""
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        headers = {"Content-Type": content_type} if data is not None else {}
        if auth:
            headers["Authorization"] = f"Bearer {self.token}"
        req = urllib.request.Request(self.api + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=15) as resp:
                text = resp.read()
        except urllib.error.HTTPError as err:
            try:
                detail = json.loads(err.read()).get("detail")
            except ValueError:
                detail = err.reason
            raise ApiError(err.code, detail) from None
        return json.loads(text) if text else None

    def get(self, path: str) -> Any:
        return self.call("GET", path)

    def post(self, path: str, body: Any = None) -> Any:
        return self.call("POST", path, body if body is not None else {})

    def upload(self, path: str, field: str, filename: str, data: bytes, mime: str, **fields: str) -> Any:
        """POST a multipart form: one file and plain fields (as a phone's browser sends a photo)."""
        boundary = uuid.uuid4().hex
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
                 for name, value in fields.items()]
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
                     f"Content-Type: {mime}\r\n\r\n".encode() + data + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        return self.call("POST", path, raw=b"".join(parts), content_type=f"multipart/form-data; boundary={boundary}")

    def open_address(self, url: str) -> tuple[int, str]:
        """Open an address as a phone's camera app does, without following a redirect: (status, Location)."""
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(urllib.request.Request(url), timeout=10) as resp:
                return resp.status, resp.headers.get("Location", "")
        except urllib.error.HTTPError as err:
            return err.code, err.headers.get("Location", "")
