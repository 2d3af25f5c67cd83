"""Ties every SNMP reply to the request it answers, before pysnmp sees the datagram.

pysnmp 7.1 matches a reply on its request-id alone (v1/v2c: the PDU's request-id; v3: the
msgID), whoever sent it, and hands those ids out in sequence from a random start
(``pysnmp.nextid``, shared by every engine in the process). So any host that sees one of
our requests can guess the ids of the others and answer for a device that is silent, and
an agent that answers with a wrong request-id answers another pending check instead.

``ReplyGate`` sits between an engine's socket and pysnmp's message dispatcher. Every
request gets a random 31-bit id (``secrets``) and a row saying what may answer it: the
address and port it was sent to, the version, and the community (v1/v2c) or the user and
the agent's engine id (v3). A datagram is passed on to pysnmp only if it is a reply that
matches such a row in all of these; the row is then used up. Everything else is dropped
and counted per source and reason in ``dropped`` (the log gets one line per source per
minute, see ``checks.drops``). pysnmp raising on a datagram counts as a drop too: its
decoder raises TypeError on some garbage, which asyncio logged as a 2 KB traceback each.

A reply that comes after its request timed out (from the right address) is not a drop:
it is counted in ``late_replies`` and ignored.
"""

from __future__ import annotations

import functools
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from checks.drops import DropCounters
from checks.snmp_wire import REPORT, RESPONSE, read_header

log = logging.getLogger(__name__)
Address = tuple[str, int]
_MAX_ID = 2**31 - 1  # request-ids are Integer32; positive ones suit every agent
_LATE_KEPT = 4096  # timed-out request ids remembered, to tell a late reply from a forged one


@dataclass(frozen=True, slots=True)
class Expected:
    """What may answer one request."""

    engine: Any  # the pysnmp engine (and so the socket) the request went out on
    address: Address
    version: int  # message processing model: 0 v1, 1 v2c, 3 v3
    community: bytes = field(default=b"", repr=False)  # v1/v2c; a secret
    user: bytes = b""  # v3


class ReplyGate:
    def __init__(self) -> None:
        self.dropped = DropCounters("SNMP replies", log)
        self.late_replies = 0
        self._pending: dict[int, Expected] = {}
        self._late: dict[int, Address] = {}
        self._agent_engine_ids: dict[Address, bytes] = {}  # v3: from the agent's last reply
        self._sending: Expected | None = None
        self._issued: int | None = None

    def install(self, engine: Any) -> None:
        """Put the gate in front of ``engine``'s message dispatcher (its transport must be
        added already) and make the engine's request ids random."""
        for handler in engine.message_processing_subsystems.values():
            # every v1/v2c request-id and v3 msgID pysnmp puts on the wire comes from here
            handler._cache.new_message_id = self._new_id
        dispatcher = engine.transport_dispatcher
        dispatcher.unregister_recv_callback()  # the engine's own: receive_message, unguarded
        dispatcher.register_recv_callback(functools.partial(self._receive, engine))

    def send(self, expected: Expected, send: Callable[[], object]) -> int | None:
        """Call ``send`` (one synchronous pysnmp ``send_pdu``) and return the id the
        request went out with, now pending until a reply passes or ``forget``."""
        self._sending, self._issued = expected, None
        try:
            send()
        except BaseException:
            if self._issued is not None:
                self._pending.pop(self._issued, None)
            raise
        finally:
            self._sending = None
        return self._issued

    def forget(self, wire_id: int | None) -> None:
        """The request ``wire_id`` is over (answered, timed out or abandoned)."""
        expected = self._pending.pop(wire_id, None) if wire_id is not None else None
        if expected is not None and wire_id is not None:  # nothing answered it
            self._late[wire_id] = expected.address
            if len(self._late) > _LATE_KEPT:
                del self._late[next(iter(self._late))]

    @property
    def pending(self) -> int:
        return len(self._pending)

    def _new_id(self) -> int:
        wire_id = secrets.randbelow(_MAX_ID) + 1
        while wire_id in self._pending:
            wire_id = secrets.randbelow(_MAX_ID) + 1
        if self._sending is not None:
            self._pending[wire_id] = self._sending
            self._issued = wire_id
        return wire_id

    def _receive(self, engine: Any, dispatcher: Any, domain: Any, address: Any, data: Any) -> None:
        source = (str(address[0]), int(address[1]))
        reason = self._refusal(engine, source, bytes(data))
        if reason == "late":
            self.late_replies += 1
            return
        if reason is not None:
            self.dropped.note(source[0], reason)
            return
        try:
            engine.message_dispatcher.receive_message(engine, domain, address, data)
        except Exception:  # pysnmp choking on a datagram must cost a count, not a traceback
            self.dropped.note(source[0], "undecodable")

    def _refusal(self, engine: Any, source: Address, data: bytes) -> str | None:
        """Why the datagram is not passed on; None: it answers a pending request."""
        header = read_header(data)
        if header is None:
            return "undecodable"
        replies = (RESPONSE, REPORT, None) if header.version == 3 else (RESPONSE,)
        if header.pdu_tag not in replies:  # None: encrypted, a v3 response or report
            return "not a response"
        wire_id = header.wire_id
        expected = self._pending.get(wire_id) if wire_id is not None else None
        if expected is None or expected.engine is not engine:
            late = wire_id is not None and self._late.get(wire_id) == source
            return "late" if late else "unknown request-id"
        if source != expected.address:
            return "wrong source"
        if header.version != expected.version:
            return "wrong version"
        if header.version != 3:
            if header.community != expected.community:
                return "wrong community"
        else:
            discovery = header.level == 1 and header.pdu_tag == REPORT
            if header.user != expected.user and not (discovery and header.user == b""):
                return "wrong user"
            # an agent's engine id changes only with a report saying so (discovery)
            known = self._agent_engine_ids.get(source)
            if not discovery and known is not None and header.engine_id != known:
                return "wrong engine id"
            self._agent_engine_ids[source] = header.engine_id
        assert wire_id is not None
        del self._pending[wire_id]  # one reply per request
        return None
