"""A tiny OpenAI-compatible chat server on 127.0.0.1, for tests that drive the real
``langchain-openai`` client over HTTP: ``POST /v1/chat/completions`` answers with
``reply(messages)``, streamed as server-sent events word by word (or as one JSON body),
after ``delay_s`` seconds. It records the requests it got.

    with OpenAICompatibleServer(reply=lambda messages: "Hello [1].") as server:
        os.environ["OPENAI_BASE_URL"] = server.base_url
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def _chunk(content: str | None, finish: str | None = None) -> bytes:
    delta = {"role": "assistant", "content": content} if content is not None else {}
    body = {"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 0, "model": "test",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return f"data: {json.dumps(body)}\n\n".encode()


class OpenAICompatibleServer:
    """See the module docstring; a context manager."""

    def __init__(self, reply: Callable[[list[dict]], str], delay_s: float = 0.0):
        self.reply = reply
        self.delay_s = delay_s
        self.requests: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                server.requests.append(body)
                time.sleep(server.delay_s)
                text = server.reply(body.get("messages", []))
                try:
                    self._stream(text) if body.get("stream") else self._whole(text)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _whole(self, text):
                data = json.dumps({"id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": "test",
                                   "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                                "finish_reason": "stop"}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, text):
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for piece in re.split(r"(\s)", text):
                    self.wfile.write(_chunk(piece))
                self.wfile.write(_chunk(None, "stop") + b"data: [DONE]\n\n")
                self.wfile.flush()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self) -> "OpenAICompatibleServer":
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
