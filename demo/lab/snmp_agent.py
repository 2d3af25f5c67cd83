"""SNMP agents for every simulated device: one pysnmp engine, one UDP socket per address.

pysnmp does message processing and security (v2c communities, v3 USM authPriv), and its
standard GET / GETNEXT / GETBULK responders walk our MIB: a duck-typed instrumentation
object whose ``read_variables`` / ``read_next_variables`` answer from the World. Which
device a request is for comes from the transport domain it arrived on (each address has
its own domain). A dead device's socket drops every datagram, so even SNMPv3 engine
discovery goes unanswered: the client sees a plain timeout, as with a powered-off box.
All devices share the engine, hence one SNMPv3 engine id; that is fine for a lab.
"""

from __future__ import annotations

import bisect
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pysnmp.carrier.asyncio.dgram import udp
from pysnmp.entity import config
from pysnmp.entity.engine import SnmpEngine
from pysnmp.entity.rfc3413 import cmdrsp
from pysnmp.entity.rfc3413.context import SnmpContext
from pysnmp.proto import rfc1902, rfc1905

from checks.snmp import AUTH_PROTOCOLS, PRIV_PROTOCOLS
from data.models import Site, SnmpCredential
from demo.lab.mib import Oid, Row, device_rows, sensor_scales
from demo.lab.world import World

_REQUEST = "rfc3412.receiveMessage:request"  # pysnmp's execution context of a request


class _DeviceTransport(udp.UdpAsyncioTransport):  # type: ignore[misc]
    """A UDP endpoint on one device's address that stays silent while the device is dead."""

    def __init__(self, alive: Callable[[], bool]) -> None:
        super().__init__()
        self._alive = alive

    def datagram_received(self, datagram: bytes, address: Any) -> None:
        if self._alive():
            super().datagram_received(datagram, address)


@dataclass
class _View:
    generation: int
    names: list[Oid]
    values: list[Any]
    by_name: dict[Oid, Any]


class _LabMib:
    """What pysnmp's responders call to read the MIB: the World, per device, cached per tick."""

    def __init__(self, world: World, site: Site) -> None:
        self.world = world
        self.scales = sensor_scales(site)
        self.device_by_domain: dict[Oid, str] = {}
        self._views: dict[str, _View] = {}

    def _view(self, engine: Any) -> _View:
        request = engine.observer.get_execution_context(_REQUEST)
        device_id = self.device_by_domain[tuple(request["transportDomain"])]
        view = self._views.get(device_id)
        if view is None or view.generation != self.world.generation:
            rows: list[Row] = device_rows(self.world, device_id, self.scales.get(device_id, {}))
            names = [name for name, _ in rows]
            values = [value for _, value in rows]
            view = _View(self.world.generation, names, values, dict(rows))
            self._views[device_id] = view
        return view

    def read_variables(self, *var_binds: Any, **context: Any) -> list[tuple[Any, Any]]:
        view = self._view(context["snmpEngine"])
        answer = []
        for name, _ in var_binds:
            value = view.by_name.get(tuple(name), rfc1905.noSuchObject)
            answer.append((rfc1902.ObjectName(name), value))
        return answer

    def read_next_variables(self, *var_binds: Any, **context: Any) -> list[tuple[Any, Any]]:
        view = self._view(context["snmpEngine"])
        answer = []
        for name, _ in var_binds:
            at = bisect.bisect_right(view.names, tuple(name))
            if at < len(view.names):
                answer.append((rfc1902.ObjectName(view.names[at]), view.values[at]))
            else:
                answer.append((rfc1902.ObjectName(name), rfc1905.endOfMibView))
        return answer


def _add_credential(engine: Any, name: str, cred: SnmpCredential) -> None:
    if cred.version in ("1", "2c"):
        assert cred.community is not None  # the model guarantees it
        config.add_v1_system(engine, f"lab-{name}", cred.community.get_secret_value())
        return
    config.add_v3_user(
        engine,
        cred.user,
        AUTH_PROTOCOLS[cred.auth_protocol] if cred.auth_protocol else config.USM_AUTH_NONE,
        cred.auth_key.get_secret_value() if cred.auth_key else None,
        PRIV_PROTOCOLS[cred.priv_protocol] if cred.priv_protocol else config.USM_PRIV_NONE,
        cred.priv_key.get_secret_value() if cred.priv_key else None,
    )


def _alive(world: World, device_id: str) -> Callable[[], bool]:
    sim = world.devices[device_id]
    return lambda: not sim.dead


class SnmpAgents:
    """Serves every device in ``endpoints`` (device id -> (address, port)) from ``world``."""

    def __init__(self, world: World, site: Site, endpoints: dict[str, tuple[str, int]]) -> None:
        self.world = world
        self.site = site
        self.endpoints = endpoints
        self._engine: Any = None
        self._sockets: list[socket.socket] = []

    def start(self) -> None:
        """Bind every address (raises OSError naming the first one that is taken)."""
        engine = SnmpEngine()
        self._engine = engine
        v3_users: set[str] = set()
        for name, cred in self.site.credentials.items():
            snmp = cred.snmp
            if snmp is None or (snmp.version == "3" and snmp.user in v3_users):
                continue  # one key set per v3 user name: an engine keeps only one
            v3_users.add(snmp.user or "")
            _add_credential(engine, name, snmp)
        mib = _LabMib(self.world, self.site)
        try:
            for n, (device_id, (host, port)) in enumerate(self.endpoints.items(), start=1):
                sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                self._sockets.append(sock)
                try:
                    sock.bind((host, port))
                except OSError as e:
                    raise OSError(e.errno, f"SNMP {host}:{port} ({device_id}): {e.strerror}") from e
                transport = _DeviceTransport(_alive(self.world, device_id))
                domain = (*udp.DOMAIN_NAME, n)
                config.add_transport(engine, domain, transport.open_server_mode(sock=sock))
                mib.device_by_domain[domain] = device_id
        except BaseException:
            self.stop()
            raise
        context = SnmpContext(engine)
        context.context_names[b""] = mib
        for responder in (
            cmdrsp.GetCommandResponder,
            cmdrsp.NextCommandResponder,
            cmdrsp.BulkCommandResponder,
        ):
            responder(engine, context)

    def stop(self) -> None:
        """Close every socket and the engine's timer."""
        if self._engine is not None:
            self._engine.close_dispatcher()
            self._engine = None
        for sock in self._sockets:  # a transport still being set up has not taken it over
            sock.close()
        self._sockets.clear()
