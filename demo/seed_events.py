"""The demo's faults of the last days, and what the desk did about them.

- First watch: row B runs warm (28.6 °C) for 35 minutes; the alarm is acknowledged.
- Second watch: 外网核心交换机2 stops answering for 20 minutes (a main-board reboot); its
  alarms are acknowledged together, an incident is opened from the alarm and escalated
  to the vendor (华为 400 support, from the device's asset data).
- Third watch: the vendor's engineer arrives and the switch incident is resolved; the
  WebLogic service stops, is restarted through its restart action (one recorded run) and
  that incident is resolved and closed; a phone report about slow GIS maps opens an
  incident that is still being worked on now.

Every alarm has cleared by now: the live checks own the active alarms from here on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from checks.actions import action_port
from data.accounts import User
from demo.seed_checks import Fault
from demo.seed_desk import SeedDesk

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
SNMP_DOWN = "no response (SNMP timeout)"
RESTARTED = timedelta(minutes=6, seconds=5)  # WebLogic is back: the restart's recheck
TICKET = "HW-0771-0418"


@dataclass(frozen=True)
class _Case:
    """One fault's handling: its alarms (acknowledged together; the first opens the
    incident) and the incident's name among the desk's ids."""

    name: str
    alarms: tuple[tuple[str, str], ...]
    severity: str = "major"
    category: str = "network"


WARM = _Case("warm", (("th-b", "temp"),))
SWITCH = _Case("switch", tuple(("core-sw-ext-2", check) for check in ("up", "ports", "temp")))
WEBLOGIC = _Case("weblogic", (("srv-app-1", "weblogic"),), category="application")
GIS = _Case("gis", (), "minor", "application")

# What the desk did: (minutes after the anchor, what, its text). A resolution's text is
# the cause and the solution on two lines.
Steps = tuple[tuple[float, str, str], ...]
WARM_STEPS: Steps = ((6, "ack", "B列空调出风口挡板调整中，持续观察温度"),)
SWITCH_STEPS: Steps = (
    (4, "ack", "核心交换机2 无响应，业务已由核心交换机1 承载，正在排查"),
    (6, "open", "外网核心交换机2 无响应（主控板异常重启）"),
    (8, "respond", "现场查看：核心交换机2 主控板 RUN 灯快闪，设备正在重启；业务由核心交换机1 承载"),
    (24, "note", "设备重启完成，双上联恢复；已收集 display diagnostic-information 诊断信息"),
    (35, "escalate", "已报华为 400 技术支持并上传诊断日志，厂商工程师下一班到场分析"),
)
VENDOR_STEPS: Steps = (
    (0, "vendor", "华为工程师周工到场，开始分析日志"),
    (
        90,
        "resolve",
        "主控板系统软件缺陷（华为已知问题）触发看门狗复位，设备自动重启\n"
        "华为工程师现场分析日志确认原因，已加载补丁修复；双主控运行正常，观察无复发",
    ),
)
WEBLOGIC_STEPS: Steps = (
    (3, "ack", "正在处理：准备重启 WebLogic"),
    (4, "open", "政务服务应用服务器 WebLogic 服务停止"),
    (4.5, "respond", "已确认 weblogic 服务 inactive，按预案重启服务"),
    (6, "restart", ""),
    (9, "note", "已执行「重启 WebLogic」，复查服务 active，政务服务网页面访问恢复"),
    (
        30,
        "resolve",
        "WebLogic 托管服务器 JVM 堆内存耗尽（OutOfMemoryError），进程退出\n"
        "重启 WebLogic 服务恢复；已通知应用组张工调整堆内存参数并排查内存泄漏",
    ),
    (45, "close", ""),
)
GIS_STEPS: Steps = (
    (0, "call", "来电反映政务服务网「不动产查询」地图页面加载缓慢，部分瓦片显示空白"),
    (10, "respond", "已电话回复来电人，已通知 GIS 组李工远程排查"),
    (70, "note", "GeoServer 服务与 8080 端口正常；李工初步判断瓦片缓存目录磁盘 IO 偏高，待分析"),
)


@dataclass(frozen=True)
class _Times:
    warm: datetime  # row B too warm
    down: datetime  # the core switch stops answering
    vendor: datetime  # the vendor's engineer arrives
    stopped: datetime  # WebLogic stops
    call: datetime  # the phone report about the maps


def _times(desk: SeedDesk) -> _Times:
    first, second, third = (desk.watch_start(i) for i in range(3))
    return _Times(
        warm=first + HOUR,
        down=second + 1.5 * HOUR,
        vendor=third + 2 * HOUR,
        stopped=third + HOUR,
        call=third + 5 * HOUR,
    )


def faults(desk: SeedDesk) -> list[Fault]:
    at = _times(desk)
    down_until = at.down + 20 * MINUTE
    return [
        Fault(
            "th-b",
            "temp",
            at.warm,
            at.warm + 35 * MINUTE,
            "WARNING",
            "28.6 °C (> 28)",
            28.6,
            "26.8 °C",
        ),
        Fault(
            "core-sw-ext-2", "up", at.down, down_until, "CRITICAL", SNMP_DOWN, recovered="up 0.0 d"
        ),
        Fault(
            "core-sw-ext-2",
            "ports",
            at.down,
            down_until,
            "UNKNOWN",
            SNMP_DOWN,
            recovered="all 48 enabled ports up",
        ),
        Fault(
            "core-sw-ext-2", "temp", at.down, down_until, "UNKNOWN", SNMP_DOWN, recovered="41.2 °C"
        ),
        Fault(
            "srv-app-1",
            "weblogic",
            at.stopped,
            at.stopped + RESTARTED,
            "CRITICAL",
            "inactive",
            recovered="active",
        ),
    ]


def plan_events(desk: SeedDesk, history_faults: list[Fault]) -> None:
    """Raise and clear an alarm for each fault; schedule what the desk did about them."""
    for fault in history_faults:
        desk.at(fault.start, partial(_raise, desk, fault))
        desk.at(fault.end, partial(desk.alarms.clear, fault.device, fault.check, fault.end))
    at = _times(desk)
    for case, anchor, steps in (
        (WARM, at.warm, WARM_STEPS),
        (SWITCH, at.down, SWITCH_STEPS),
        (SWITCH, at.vendor, VENDOR_STEPS),
        (WEBLOGIC, at.stopped, WEBLOGIC_STEPS),
        (GIS, at.call, GIS_STEPS),
    ):
        for minutes, kind, text in steps:
            moment = anchor + minutes * MINUTE
            desk.at(moment, partial(_do, desk, case, kind, text))


async def _raise(desk: SeedDesk, fault: Fault) -> None:
    await desk.alarms.raise_or_update(
        fault.device, fault.check, fault.state, fault.message, fault.start, attempts=3
    )


async def _do(desk: SeedDesk, case: _Case, kind: str, text: str) -> None:
    await _HANDLERS[kind](desk, case, await desk.on_duty(), text)


async def _ack(desk: SeedDesk, case: _Case, actor: User, text: str) -> None:
    alarms = [await desk.alarms.active_for(device, check) for device, check in case.alarms]
    await desk.alarms.acknowledge(actor, [a.id for a in alarms if a is not None], text)


async def _open(desk: SeedDesk, case: _Case, actor: User, title: str) -> None:
    alarm = await desk.alarms.active_for(*case.alarms[0])
    if alarm is None:
        raise RuntimeError(f"the demo history expected an active alarm for {case.name}")
    book = desk.incidents
    incident = await book.open_from_alarm(actor, alarm, case.severity, case.category, title)
    desk.ids[case.name] = incident.id


async def _call(desk: SeedDesk, case: _Case, actor: User, text: str) -> None:
    incident = await desk.incidents.open_manual(
        actor,
        "政务服务网地图页面加载缓慢",
        case.severity,
        case.category,
        device_id="srv-gis-1",
        caller="刘科长",
        department="市自然资源局信息科",
        phone="0771-5551234",
        description=text,
    )
    desk.ids[case.name] = incident.id


async def _respond(desk: SeedDesk, case: _Case, actor: User, text: str) -> None:
    await desk.incidents.respond(actor, desk.ids[case.name], text)


async def _note(desk: SeedDesk, case: _Case, actor: User, text: str) -> None:
    await desk.incidents.add_entry(actor, desk.ids[case.name], text)


async def _escalate(desk: SeedDesk, case: _Case, actor: User, text: str) -> None:
    # The vendor and its support line come from the device's asset data.
    await desk.incidents.escalate(actor, desk.ids[case.name], ticket=TICKET, note=text)


async def _vendor(desk: SeedDesk, case: _Case, actor: User, text: str) -> None:
    await desk.incidents.vendor_responded(actor, desk.ids[case.name], note=text)


async def _resolve(desk: SeedDesk, case: _Case, actor: User, text: str) -> None:
    cause, solution = text.split("\n")
    await desk.incidents.resolve(actor, desk.ids[case.name], cause, solution)


async def _close(desk: SeedDesk, case: _Case, actor: User, text: str) -> None:
    await desk.incidents.close(actor, desk.ids[case.name])


async def _restart(desk: SeedDesk, case: _Case, actor: User, text: str) -> None:
    """One run of the restart action, recorded as the action dialog does once it is over
    (WebLogic takes about a minute to come back)."""
    device = next(d for d in desk.site.devices if d.id == "srv-app-1")
    action = next(a for a in device.actions if a.id == "restart-weblogic")
    ssh = desk.site.credentials[action.credential].ssh
    await desk.actions.authorize(actor, device, action)
    finished = desk.clock()
    await desk.actions.record(
        actor,
        device,
        action,
        0,
        "ok",
        "",
        finished - MINUTE,
        finished,
        "OK",
        ssh_user=ssh.username if ssh else "",
        port=action_port(device, action),
    )


_HANDLERS: dict[str, Callable[[SeedDesk, _Case, User, str], Awaitable[None]]] = {
    "ack": _ack,
    "open": _open,
    "call": _call,
    "respond": _respond,
    "note": _note,
    "escalate": _escalate,
    "vendor": _vendor,
    "resolve": _resolve,
    "close": _close,
    "restart": _restart,
}
