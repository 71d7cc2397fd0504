"""The explorer's local web server: the page, its script and style, and a JSON API.

Standard library only (:mod:`http.server`), bound to 127.0.0.1, one request
at a time into the model (a :class:`~.session.Session` holds a lock).  The
page (``static/``, shipped in the package, nothing fetched from elsewhere)
asks the API for everything it shows; it holds no model logic.

    GET /                       the page
    GET /static/NAME            its script and style
    GET /api/session?lang=L     configuration, the run to open with, the properties
    GET /api/texts?lang=L       the page's words
    GET /api/run?run=R&lang=L&chart=1
                                the state after run R, the steps enabled there, the
                                run's trace and chart, the properties it violates
    GET /api/reach?run=R&limit=N
                                what can happen from the end of run R (bounded BFS)
    GET /api/check?lang=L       every property's verdict, with its counterexample's run

R is a list of step indices such as ``3,0,2`` (see :mod:`.session`); L is
``en`` or ``zh``.  Each answer carries the envelope of every ``--json`` output
(``schema_version``, ``tool``, ``kind``) and follows the JSON Schema of its
kind in ``tcpcheck/model/schemas``: ``explore-session``, ``explore-texts``,
``explore-run``, ``explore-reach``, ``explore-check``.  A bad request is
answered with status 400 and ``{"error": "what was expected"}``, an unknown
path with 404.

>>> import json, threading, urllib.request
>>> from tcpcheck.model.config import preset
>>> server = make_server(Session(preset("seed")), port=0)
>>> threading.Thread(target=server.serve_forever, daemon=True).start()
>>> url = f"http://{HOST}:{server.server_address[1]}"
>>> doc = json.load(urllib.request.urlopen(url + "/api/run?run=0"))
>>> doc["kind"], doc["state"]["A"]["state"], [st["what"] for st in doc["enabled"]]
('explore-run', 'SYN_SENT', ['B receives <SEQ=4294967294><CTL=SYN>: rcv SYN'])
>>> urllib.request.urlopen(url + "/api/run?run=5")
Traceback (most recent call last):
...
urllib.error.HTTPError: HTTP Error 400: Bad Request
>>> server.shutdown(); server.server_close()
"""

from __future__ import annotations

import errno
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from urllib.parse import parse_qs, urlsplit

from ..errors import InputError
from ..i18n import LANGS
from ..interface import stamp
from .session import REACH_LIMIT, Session, parse_run
from .texts import ui_texts

__all__ = ["make_server", "HOST", "STATIC_TYPES"]

HOST = "127.0.0.1"

#: the files of ``static/`` the server hands out, and their media types
STATIC_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                ".css": "text/css; charset=utf-8"}

#: the largest bound a page may ask of the search from here
MAX_REACH_LIMIT = 200_000


def _static(name: str) -> bytes | None:
    """A file of the package's ``static/`` folder, or None (no such file, or not one to serve)."""
    if "/" in name or name.startswith(".") or not any(name.endswith(e) for e in STATIC_TYPES):
        return None
    f = files(__package__).joinpath("static", name)
    return f.read_bytes() if f.is_file() else None


class _BadRequest(Exception):
    pass


class _Handler(BaseHTTPRequestHandler):
    server_version = "tcpcheck-explore"
    session: Session
    default_lang = "en"

    def log_message(self, format, *args):  # noqa: A002 - quiet: the terminal shows only the address
        pass

    def _send(self, status: int, body: bytes, media: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", media)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, doc: dict, status: int = 200) -> None:
        self._send(status, json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8"),
                   "application/json; charset=utf-8")

    def _lang(self, q: dict) -> str:
        lang = q.get("lang", [self.default_lang])[-1]
        if lang not in LANGS:
            raise _BadRequest(f"lang: expected one of {', '.join(LANGS)}, not '{lang[:20]}'")
        return lang

    def do_HEAD(self):  # noqa: N802 - http.server's naming
        self.do_GET()

    def do_GET(self):  # noqa: N802
        url = urlsplit(self.path)
        q = parse_qs(url.query, keep_blank_values=True)
        path = url.path
        try:
            if path in ("/", "/index.html"):
                return self._send(200, _static("index.html"), STATIC_TYPES[".html"])
            if path.startswith("/static/"):
                name = path[len("/static/"):]
                body = _static(name)
                if body is None:
                    return self._json({"error": f"no such file: {path}"}, 404)
                return self._send(200, body, STATIC_TYPES["." + name.rsplit(".", 1)[-1]])
            s = self.session
            if path == "/api/session":
                return self._json(s.session_json(self._lang(q)))
            if path == "/api/texts":
                lang = self._lang(q)
                return self._json(stamp("explore-texts", {"lang": lang, "texts": ui_texts(lang)}))
            if path == "/api/run":
                run = parse_run(q.get("run", [""])[-1])
                return self._json(s.view(run, self._lang(q), chart=q.get("chart", ["0"])[-1] == "1"))
            if path == "/api/reach":
                run = parse_run(q.get("run", [""])[-1])
                text = q.get("limit", [str(REACH_LIMIT)])[-1]
                if not text.isdigit() or not 1 <= int(text) <= MAX_REACH_LIMIT:
                    raise _BadRequest(f"limit: expected a number of states from 1 to {MAX_REACH_LIMIT:,}, "
                                      f"not '{text[:20]}'")
                return self._json(s.reach(run, int(text)))
            if path == "/api/check":
                return self._json(s.check(self._lang(q)))
            return self._json({"error": f"no such page: {path}"}, 404)
        except (_BadRequest, InputError) as exc:
            return self._json({"error": str(exc)}, 400)
        except BrokenPipeError:
            return None


def make_server(session: Session, port: int = 0, lang: str = "en") -> ThreadingHTTPServer:
    """A server of ``session`` on 127.0.0.1:``port`` (0: a free one), not yet
    serving (call ``serve_forever``); InputError when the port is taken."""
    handler = type("Handler", (_Handler,), {"session": session, "default_lang": lang})
    try:
        server = ThreadingHTTPServer((HOST, port), handler)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise InputError(f"--port {port}: the port is in use on {HOST}; choose another with "
                             f"--port N, or --port 0 for a free one") from None
        if exc.errno == errno.EACCES:
            raise InputError(f"--port {port}: not allowed to listen there (ports below 1024 need "
                             f"privileges); choose another, or --port 0 for a free one") from None
        raise
    server.daemon_threads = True
    return server
