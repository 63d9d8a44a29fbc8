"""A TCP proxy in its own thread, between the bot processes and PostgreSQL, that the test can cut and restore.

Cutting resets every connection through it and refuses new ones at once (accepted, then closed), as a database
that went away does; restoring lets connections through again.
"""

from __future__ import annotations

import asyncio
import threading


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.AbstractServer | None = None
        self._pipes: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        self._cut = False
        self.port = 0
        self.refused = 0

    def start(self) -> TcpProxy:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._cut:
            self.refused += 1
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.transport.abort()
            return
        pair = (writer, up_writer)
        self._pipes.add(pair)
        try:
            await asyncio.gather(self._pump(reader, up_writer), self._pump(up_reader, writer))
        finally:
            self._pipes.discard(pair)

    @staticmethod
    async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.transport.abort()

    def _run(self, fn: object) -> None:
        async def call() -> None:
            fn()  # type: ignore[operator]

        asyncio.run_coroutine_threadsafe(call(), self._loop).result(timeout=10)

    def cut(self) -> None:
        """The database goes away: every connection is reset, and new ones are refused until `restore`."""

        def reset() -> None:
            self._cut = True
            for client, upstream in list(self._pipes):
                client.transport.abort()
                upstream.transport.abort()

        self._run(reset)

    def restore(self) -> None:
        def allow() -> None:
            self._cut = False

        self._run(allow)

    def stop(self) -> None:
        self.cut()
        if self._server is not None:
            server = self._server
            asyncio.run_coroutine_threadsafe(_close(server), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)


async def _close(server: asyncio.AbstractServer) -> None:
    server.close()
    await server.wait_closed()
