"""The dev server in a child process, for tests: its AWS fakes patch botocore process-wide, which must not leak into
the test process."""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_SECONDS = 60
_URL_LINE = re.compile(r"^playground: (http://127\.0\.0\.1:\d+/)")


class DevServer:
    """``python -m playground_dev --port 0`` started at once; :attr:`url` waits until it listens, so the caller can
    do other work (launch a browser) meanwhile. Its log (access lines, warnings) goes to a temporary file."""

    def __init__(self, dist: Path) -> None:
        self.log = tempfile.NamedTemporaryFile(prefix="playground-", suffix=".log", delete=False)  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "playground_dev", "--port", "0", "--dist", str(dist)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=self.log, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.started = time.monotonic()
        self.start_seconds: float | None = None
        self._url: str | None = None

    @property
    def url(self) -> str:
        """The server's URL, once it listens (the first line it prints)."""
        if self._url is None:
            assert self.process.stdout is not None
            ready, _, _ = select.select([self.process.stdout], [], [], START_TIMEOUT_SECONDS)
            line = self.process.stdout.readline() if ready else f"(nothing within {START_TIMEOUT_SECONDS} s)"
            found = _URL_LINE.match(line)
            if not found:
                self.stop()
                raise RuntimeError(f"the dev server did not start: {line!r}\n{self.output()[-4000:]}")
            self._url, self.start_seconds = found.group(1), time.monotonic() - self.started
        return self._url

    def output(self) -> str:
        """What the server logged so far."""
        return Path(self.log.name).read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)
