"""``python -m playground_dev [--port N] [--dist DIR]``: the playground on 127.0.0.1, AWS answered locally.

Prints ``playground: <url>`` once it listens (the browser tests read that line), then one access line per API
request on stderr. Ctrl-C stops it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import threading
from pathlib import Path

from . import local_aws
from .server import PlaygroundServer, _log, serialized

DEFAULT_PORT = 8765


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m playground_dev", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PLAYGROUND_PORT") or DEFAULT_PORT),
                        help=f"port on 127.0.0.1 (0: any free port; default {DEFAULT_PORT} or $PLAYGROUND_PORT)")
    parser.add_argument("--dist", type=Path, default=local_aws.ROOT / "playground" / "dist",
                        help="the built app (default: playground/dist)")
    args = parser.parse_args(argv)

    with contextlib.ExitStack() as stack:
        stack.enter_context(local_aws.local_aws())
        import handler  # the orchestrator's Lambda entry point: its composition root runs now, over the fakes
        from orchestrator import api_schema
        from orchestrator.stream_settings import StreamSettings
        from orchestrator.streaming.server import build_server
        from orchestrator.streaming.service import StreamService

        from localaws.fakes import LambdaContext

        from .events import route_table

        streams = StreamService(handler.RUNTIME.service, StreamSettings.from_environment(os.environ))
        stream_httpd = build_server(streams, port=0)  # private: only this server reaches it
        stack.callback(stream_httpd.server_close)
        threading.Thread(target=stream_httpd.serve_forever, name="stream-app", daemon=True).start()
        stack.callback(stream_httpd.shutdown)

        httpd = PlaygroundServer(("127.0.0.1", args.port), dist=args.dist, routes=route_table(api_schema.routes()),
                                 invoke=serialized(handler.handler, LambdaContext),
                                 stream_address=stream_httpd.server_address[:2], log=_log)
        stack.callback(httpd.server_close)
        if not args.dist.is_dir():
            _log(f"playground: {args.dist} is missing (build the app with make setup); the API still answers")
        print(f"playground: {httpd.url}  (local: AWS answered by fakes; sign-in stubbed as local-user)", flush=True)
        # From here on print() output is the handler's EMF metric documents (CloudWatch reads them from the Lambda
        # log; locally they are noise). The Powertools logger keeps its own stream: warnings and errors still show.
        sys.stdout = stack.enter_context(open(os.devnull, "w"))
        with contextlib.suppress(KeyboardInterrupt):
            httpd.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
