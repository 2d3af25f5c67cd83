"""SNMPv2c notifications from simulated devices to the console's trap receiver.

Each trap leaves from the device's own address (a socket bound to it), because a trap
receiver tells devices apart by the source address. The message is built with pysnmp's
protocol API (sysUpTime.0, snmpTrapOID.0, then the trap's objects) and sent as one UDP
datagram; a receiver that is not running simply never reads it.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Sequence
from typing import Any

from pyasn1.codec.ber import encoder
from pysnmp.proto import rfc1902
from pysnmp.proto.api import v2c

from demo.lab.mib import Oid, ticks
from demo.lab.world import World

log = logging.getLogger(__name__)

LINK_DOWN, LINK_UP = (1, 3, 6, 1, 6, 3, 1, 1, 5, 3), (1, 3, 6, 1, 6, 3, 1, 1, 5, 4)
UPS_ON_BATTERY = (1, 3, 6, 1, 2, 1, 33, 2, 0, 1)  # upsTrapOnBattery
UPS_ALARM_REMOVED = (1, 3, 6, 1, 2, 1, 33, 2, 0, 4)  # upsTrapAlarmEntryRemoved
UPS_ALARM_ON_BATTERY = (1, 3, 6, 1, 2, 1, 33, 1, 6, 3, 2)  # well-known alarm upsAlarmOnBattery
IF_ENTRY = (1, 3, 6, 1, 2, 1, 2, 2, 1)
UPS = (1, 3, 6, 1, 2, 1, 33, 1)


def encode_trap(community: str, uptime_s: float, trap: Oid, var_binds: Sequence[Any]) -> bytes:
    pdu = v2c.TrapPDU()
    v2c.apiTrapPDU.set_defaults(pdu)
    v2c.apiTrapPDU.set_varbinds(
        pdu,
        [
            (v2c.apiTrapPDU.sysUpTime, ticks(uptime_s)),
            (v2c.apiTrapPDU.snmpTrapOID, rfc1902.ObjectIdentifier(trap)),
            *var_binds,
        ],
    )
    message = v2c.Message()
    v2c.apiMessage.set_defaults(message)
    v2c.apiMessage.set_community(message, community)
    v2c.apiMessage.set_pdu(message, pdu)
    return bytes(encoder.encode(message))


class TrapSender:
    """Sends the lab's traps to ``destination`` with ``community`` (None: traps are off)."""

    def __init__(self, world: World, destination: tuple[str, int], community: str | None) -> None:
        self.world = world
        self.destination = destination
        self.community = community
        self.sent: list[tuple[str, Oid]] = []  # (device id, trap OID), for tests and logs

    def _send(self, device_id: str, trap: Oid, var_binds: Sequence[Any]) -> None:
        if self.community is None:
            return
        sim = self.world.devices[device_id]
        data = encode_trap(self.community, self.world.uptime_seconds(device_id), trap, var_binds)
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                sock.bind((sim.host, 0))
                sock.sendto(data, self.destination)
        except OSError as e:  # the console may simply not be listening: never fatal
            log.warning("lab: trap from %s not sent: %s", device_id, e)
            return
        self.sent.append((device_id, trap))

    def link(self, device_id: str, if_index: int) -> None:
        """linkDown or linkUp for a port, as its oper status now says."""
        port = next(p for p in self.world.devices[device_id].ports if p.index == if_index)
        self._send(
            device_id,
            LINK_UP if port.oper_up else LINK_DOWN,
            [
                ((*IF_ENTRY, 1, if_index), rfc1902.Integer32(if_index)),
                ((*IF_ENTRY, 7, if_index), rfc1902.Integer32(1 if port.admin_up else 2)),
                ((*IF_ENTRY, 8, if_index), rfc1902.Integer32(1 if port.oper_up else 2)),
            ],
        )

    def ups(self, device_id: str) -> None:
        """upsTrapOnBattery when the mains failed, upsTrapAlarmEntryRemoved when it is back."""
        ups = self.world.devices[device_id].ups
        if ups is None:
            return
        if ups.on_battery:
            since = self.world.now - (ups.battery_since or self.world.now)
            objects = [
                ((*UPS, 2, 3, 0), rfc1902.Integer32(ups.minutes_left)),
                ((*UPS, 2, 2, 0), rfc1902.Integer32(int(since))),
            ]
            self._send(device_id, UPS_ON_BATTERY, objects)
        else:
            alarm = ((*UPS, 6, 2, 1, 2, 1), rfc1902.ObjectIdentifier(UPS_ALARM_ON_BATTERY))
            self._send(device_id, UPS_ALARM_REMOVED, [alarm])
