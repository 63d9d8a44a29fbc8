"""The benchmark's fakes in their own process: OpenID/JWKS, a counting Bot Connector and Entra, on 127.0.0.1."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import trustme  # noqa: E402
from aiohttp import web  # noqa: E402

from tests.harness.connector import FakeConnector, Recorded  # noqa: E402
from tests.harness.entra import FakeEntraAndGraph  # noqa: E402
from tests.harness.tokens import TokenMinter, openid_server  # noqa: E402


class CountingConnector(FakeConnector):
    """The tests' connector, keeping only a count per (op, conversation) so thousands of turns cost no memory."""

    def __init__(self, extra_counts: Callable[[], dict[str, int]]) -> None:
        super().__init__()
        self._counts: Counter[str] = Counter()
        self._count_lock = threading.Lock()
        self._extra_counts = extra_counts

    def _record(self, call: Recorded) -> None:
        with self._count_lock:
            self._counts[f"{call.op} {call.conversation_id}"] += 1

    def _app(self) -> web.Application:
        app = super()._app()

        async def counts(_request: web.Request) -> web.Response:
            with self._count_lock:
                counts = dict(self._counts)
            counts.update(self._extra_counts())
            return web.json_response(counts)

        app.router.add_get("/bench/counts", counts)
        return app


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--app-id", required=True)
    parser.add_argument("--ca-dir", required=True, help="where to write the test CA's PEM")
    parser.add_argument("--tokens", type=int, default=128, help="how many channel tokens to mint up front")
    args = parser.parse_args()

    ca = trustme.CA()
    ca_path = Path(args.ca_dir) / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_path))
    minter = TokenMinter(args.app_id)
    openid = openid_server(minter).start()
    entra = FakeEntraAndGraph(ca)
    entra.server.start()
    connector = CountingConnector(lambda: {"entra tokens": len(entra.state.tokens_issued)})
    connector.server.start()

    service_url = connector.url + "/"
    tokens = [minter.mint(service_url, claims={"jti": uuid.uuid4().hex}) for _ in range(max(1, args.tokens))]
    ready = {
        "openid_metadata_url": f"{openid.base_url}/v1/.well-known/openidconfiguration",
        "connector_url": connector.url,
        "service_url": service_url,
        "authority_host": entra.authority_host,
        "ca_bundle": str(ca_path),
        "tokens": tokens,
    }
    sys.stdout.write(json.dumps(ready) + "\n")
    sys.stdout.flush()
    # Serve until the parent closes our stdin (it exits, or it is done): no orphan survives the benchmark.
    try:
        sys.stdin.read()
    except KeyboardInterrupt:
        pass
    finally:
        for server in (entra.server, connector.server, openid):
            with contextlib.suppress(Exception):  # best effort on the way out
                server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
