"""The benchmark's requests as bytes, shared by the load driver (run.py) and
the in-process runs (prepare.py, instructions.py): a form urlencoded, or
multipart when it carries a file, and the declaration a page acts on when it
acts on one after another (an approval cannot be given twice). No
application imports: run.py loads this outside the measured checkout."""
from __future__ import annotations

import itertools
from urllib.parse import urlencode

BOUNDARY = "zc-bench-7d1f"


def form_body(fields: dict, token: str) -> tuple[bytes, str]:
    """(body, content type) of a form with its CSRF token; a value that is a
    (filename, bytes) pair is sent as a file."""
    fields = {**fields, "csrf_token": token}
    if not any(isinstance(v, tuple) for v in fields.values()):
        return urlencode(fields).encode(), "application/x-www-form-urlencoded"
    parts = []
    for name, value in fields.items():
        if isinstance(value, tuple):
            filename, content = value
            head = (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                    f"Content-Type: image/jpeg\r\n\r\n")
            parts.append(head.encode() + content + b"\r\n")
        else:
            parts.append(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(f"--{BOUNDARY}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={BOUNDARY}"


class Targets:
    """The declarations a page acts on, one after another (shared by all the
    driver's threads: `next` on an itertools counter is atomic). Past the
    end it starts again, and those requests are refused: re-seed then."""

    def __init__(self, pool: list[tuple[int, int]]):
        self.pool = pool
        self.counter = itertools.count()

    def aim(self, path: str, fields: dict | None) -> tuple[str, dict | None]:
        """The path and form with {id} and {version} of the next declaration."""
        if "{id}" not in path or not self.pool:
            return path, fields
        declaration_id, version = self.pool[next(self.counter) % len(self.pool)]
        path = path.format(id=declaration_id)
        if fields is not None:
            fields = {k: v.format(id=declaration_id, version=version) if isinstance(v, str) else v
                      for k, v in fields.items()}
        return path, fields


def answered_as_expected(status: int, location: str, expected: int | tuple[int, str]) -> bool:
    """`expected` is a status, or a status and where its redirect must lead
    (a refused approval also redirects, to the declaration's page)."""
    if isinstance(expected, tuple):
        return status == expected[0] and location.split("?")[0].endswith(expected[1])
    return status == expected
