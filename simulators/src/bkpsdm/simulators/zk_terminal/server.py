"""Sockets: each terminal listens on TCP and UDP on one port; a fleet runs many, optionally in a thread."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
import weakref
from collections.abc import Callable, Coroutine, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, TypeVar, cast

from bkpsdm.simulators.zk_terminal.codec import TCP_TOP, decode_packet, tcp_frame, tcp_length
from bkpsdm.simulators.zk_terminal.faults import Faults
from bkpsdm.simulators.zk_terminal.records import Punch
from bkpsdm.simulators.zk_terminal.terminal import Outcome, Terminal

T = TypeVar("T")


class TcpLink:
    udp = False

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer

    def send(self, packet: bytes) -> None:
        if not self._writer.is_closing():
            self._writer.write(tcp_frame(packet))

    async def deliver(self, outcome: Outcome) -> None:
        # One write per packet; with TCP_NODELAY each reply leaves in one segment, as pyzk reads it in one recv.
        if self._writer.is_closing():
            return
        frames = [tcp_frame(p) for p in outcome.packets]
        if outcome.cut != "off":
            frames[-1] = frames[-1][: len(frames[-1]) // 2]
        for frame in frames:
            self._writer.write(frame)
        await self._writer.drain()
        if outcome.cut == "rst":
            sock = self._writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self._writer.transport.abort()
        elif outcome.cut == "fin":
            self._writer.close()


class UdpLink:
    udp = True

    def __init__(self, transport: asyncio.DatagramTransport, addr: tuple[str, int]) -> None:
        self._transport = transport
        self._addr = addr

    def send(self, packet: bytes) -> None:
        self._transport.sendto(packet, self._addr)

    async def deliver(self, outcome: Outcome) -> None:
        for packet in outcome.packets:
            self._transport.sendto(packet, self._addr)


async def _respond(terminal: Terminal, link: TcpLink | UdpLink, raw: bytes) -> None:
    try:
        packet = decode_packet(raw)
    except ValueError:
        return
    outcome = terminal.handle(packet, link)
    if outcome is None:
        return
    if terminal.faults.reply_delay_s:
        await asyncio.sleep(terminal.faults.reply_delay_s)
    await link.deliver(outcome)
    if outcome.after is not None:
        outcome.after()


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, server: TerminalServer) -> None:
        self._server = server
        self._transport: asyncio.DatagramTransport | None = None
        # A peer's link lives as long as a session holds it; stray datagrams leave nothing behind.
        self._links: weakref.WeakValueDictionary[tuple[str, int], UdpLink] = weakref.WeakValueDictionary()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # 3.11's selector datagram transport does not subclass DatagramTransport, so no isinstance check.
        self._transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        assert self._transport is not None
        link = self._links.get(addr)
        if link is None:
            link = self._links[addr] = UdpLink(self._transport, addr)
        self._server.spawn(_respond(self._server.terminal, link, data))


class TerminalServer:
    """One terminal on one port number, TCP and UDP."""

    def __init__(self, terminal: Terminal, host: str = "127.0.0.1", port: int = 0) -> None:
        self.terminal = terminal
        self.host = host
        self.port = port
        self._tcp: asyncio.Server | None = None
        self._udp: asyncio.DatagramTransport | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> int:
        """Bind TCP and UDP on the same port number; port 0 picks one free for both."""
        loop = asyncio.get_running_loop()
        for _ in range(20):
            tcp = await asyncio.start_server(self._serve_tcp, self.host, self.port)
            port = int(tcp.sockets[0].getsockname()[1])
            try:
                self._udp, _ = await loop.create_datagram_endpoint(
                    lambda: _UdpProtocol(self), local_addr=(self.host, port)
                )
            except OSError:
                tcp.close()
                await tcp.wait_closed()
                if self.port:
                    raise
                continue
            self.port, self._tcp = port, tcp
            await self._sync_listener()
            return port
        raise OSError("no port free for both TCP and UDP")

    async def stop(self) -> None:
        if self._tcp is not None:
            self._tcp.close()
            self._tcp = None
        for writer in list(self._writers):
            writer.transport.abort()
        if self._udp is not None:
            self._udp.close()
        self.terminal.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def set_faults(self, **changes: object) -> Faults:
        faults = self.terminal.update_faults(**changes)
        await self._sync_listener()
        return faults

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _sync_listener(self) -> None:
        # A UDP-only model has no TCP listener at all: connecting is refused, as on the real device.
        if self.terminal.faults.udp_only and self._tcp is not None:
            self._tcp.close()
            await self._tcp.wait_closed()
            self._tcp = None
        elif not self.terminal.faults.udp_only and self._tcp is None and self._udp is not None:
            self._tcp = await asyncio.start_server(self._serve_tcp, self.host, self.port)

    async def _serve_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        writer.transport.set_write_buffer_limits(high=0)  # drain() then means "all handed to the kernel"
        link = TcpLink(writer)
        self._writers.add(writer)
        try:
            while True:
                top = await reader.readexactly(TCP_TOP.size)
                body = await reader.readexactly(tcp_length(top))
                await _respond(self.terminal, link, body)
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass  # pyzk's probe connects and closes without a byte; others just hang up
        finally:
            self.terminal.drop_link(link)
            self._writers.discard(writer)
            writer.close()


class Fleet:
    """Many terminals in one event loop; with a base port they take consecutive port numbers."""

    def __init__(self, terminals: Sequence[Terminal], host: str = "127.0.0.1", base_port: int = 0) -> None:
        self.servers = [
            TerminalServer(t, host, base_port + i if base_port else 0) for i, t in enumerate(terminals)
        ]

    async def start(self) -> list[int]:
        return [await s.start() for s in self.servers]

    async def stop(self) -> None:
        for s in self.servers:
            await s.stop()

    def by_port(self, port: int) -> TerminalServer | None:
        return next((s for s in self.servers if s.port == port), None)


class FleetThread:
    """A fleet on its own event loop in a background thread, for blocking clients such as pyzk."""

    def __init__(self, terminals: Sequence[Terminal], host: str = "127.0.0.1", base_port: int = 0) -> None:
        self.fleet = Fleet(terminals, host, base_port)
        self.host = host
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="zk-terminals", daemon=True)

    def start(self) -> FleetThread:
        self._thread.start()
        self.run(self.fleet.start())
        return self

    def stop(self) -> None:
        self.run(self.fleet.stop())
        self.run(_cancel_remaining())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    def __enter__(self) -> FleetThread:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def call(self, fn: Callable[[], T]) -> T:
        """Run fn on the loop thread, where terminal state may be changed safely."""

        async def on_loop() -> T:
            return fn()

        return self.run(on_loop())

    @property
    def ports(self) -> list[int]:
        return [s.port for s in self.fleet.servers]

    def terminal(self, index: int = 0) -> Terminal:
        return self.fleet.servers[index].terminal

    def set_faults(self, index: int = 0, **changes: object) -> Faults:
        return self.run(self.fleet.servers[index].set_faults(**changes))

    def record_punch(
        self, index: int, user_id: str, status: int = 1, punch: int = 0, when: datetime | None = None
    ) -> Punch:
        return self.call(lambda: self.terminal(index).record_punch(user_id, status, punch, when))


async def _cancel_remaining() -> None:
    current = asyncio.current_task()
    tasks = [t for t in asyncio.all_tasks() if t is not current]
    for t in tasks:
        t.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.gather(*tasks, return_exceptions=True)
