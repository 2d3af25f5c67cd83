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

from dataclasses import dataclass
from datetime import datetime, timedelta

from checks.actions import action_port
from console.demo.seed_checks import Fault
from console.demo.seed_desk import Desk

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
SNMP_DOWN = "no response (SNMP timeout)"
RESTARTED = timedelta(minutes=6, seconds=5)  # WebLogic is back: the restart's recheck


@dataclass(frozen=True)
class _Times:
    warm: datetime  # row B too warm
    down: datetime  # the core switch stops answering
    stopped: datetime  # WebLogic stops
    call: datetime  # the phone report about the maps
    vendor: datetime  # the vendor's engineer arrives


def _times(desk: Desk) -> _Times:
    first, second, third = (desk.watch_start(i) for i in range(3))
    return _Times(
        warm=first + HOUR,
        down=second + 1.5 * HOUR,
        stopped=third + HOUR,
        call=third + 5 * HOUR,
        vendor=third + 2 * HOUR,
    )


def faults(desk: Desk) -> list[Fault]:
    at = _times(desk)
    down_until = at.down + 20 * MINUTE
    return [
        Fault("th-b", "temp", at.warm, at.warm + 35 * MINUTE, "WARNING", "28.6 °C (> 28)", 28.6,
              "26.8 °C"),
        Fault("core-sw-ext-2", "up", at.down, down_until, "CRITICAL", SNMP_DOWN,
              recovered="up 0.0 d"),
        Fault("core-sw-ext-2", "ports", at.down, down_until, "UNKNOWN", SNMP_DOWN,
              recovered="all 48 enabled ports up"),
        Fault("core-sw-ext-2", "temp", at.down, down_until, "UNKNOWN", SNMP_DOWN,
              recovered="41.2 °C"),
        Fault("srv-app-1", "weblogic", at.stopped, at.stopped + RESTARTED, "CRITICAL",
              "inactive", recovered="active"),
    ]  # fmt: skip


def plan_events(desk: Desk, history_faults: list[Fault]) -> None:
    at = _times(desk)
    for fault in history_faults:
        desk.at(fault.start, lambda f=fault: _raise(desk, f))
        desk.at(fault.end, lambda f=fault: desk.alarms.clear(f.device, f.check, f.end))
    warm = [("th-b", "temp")]
    desk.at(at.warm + 6 * MINUTE, lambda: _ack(desk, warm, "B列空调出风口挡板调整中，持续观察温度"))
    _switch_down(desk, at)
    _weblogic_stopped(desk, at)
    _gis_call(desk, at)


async def _raise(desk: Desk, fault: Fault) -> None:
    await desk.alarms.raise_or_update(
        fault.device, fault.check, fault.state, fault.message, fault.start, attempts=3
    )


async def _ack(desk: Desk, keys: list[tuple[str, str]], comment: str) -> None:
    ids = []
    for device, check in keys:
        alarm = await desk.alarms.active_for(device, check)
        if alarm is not None:
            ids.append(alarm.id)
    await desk.alarms.acknowledge(await desk.on_duty(), ids, comment)


async def _from_alarm(
    desk: Desk, name: str, device: str, check: str, severity: str, category: str, title: str
) -> None:
    alarm = await desk.alarms.active_for(device, check)
    if alarm is None:
        raise RuntimeError(f"the demo history expected an alarm on {device}/{check}")
    opened = await desk.incidents.open_from_alarm(
        await desk.on_duty(), alarm, severity, category, title
    )
    desk.ids[name] = opened.id


async def _respond(desk: Desk, name: str, text: str) -> None:
    await desk.incidents.respond(await desk.on_duty(), desk.ids[name], text)


async def _entry(desk: Desk, name: str, text: str) -> None:
    await desk.incidents.add_entry(await desk.on_duty(), desk.ids[name], text)


def _switch_down(desk: Desk, at: _Times) -> None:
    t = at.down
    keys = [("core-sw-ext-2", check) for check in ("up", "ports", "temp")]
    desk.at(t + 4 * MINUTE, lambda: _ack(
        desk, keys, "核心交换机2 无响应，业务已由核心交换机1 承载，正在排查"))
    desk.at(t + 6 * MINUTE, lambda: _from_alarm(
        desk, "switch", "core-sw-ext-2", "up", "major", "network",
        "外网核心交换机2 无响应（主控板异常重启）"))
    desk.at(t + 8 * MINUTE, lambda: _respond(
        desk, "switch", "现场查看：核心交换机2 主控板 RUN 灯快闪，设备正在重启；"
        "业务由核心交换机1 承载，未中断"))
    desk.at(t + 24 * MINUTE, lambda: _entry(
        desk, "switch", "设备重启完成，双上联恢复；已收集 display diagnostic-information 诊断信息"))
    desk.at(t + 35 * MINUTE, lambda: _escalate_switch(desk))
    desk.at(at.vendor, lambda: _vendor_arrived(desk))
    desk.at(at.vendor + 1.5 * HOUR, lambda: _resolve(
        desk, "switch",
        "主控板系统软件缺陷（华为已知问题）触发看门狗复位，设备自动重启",
        "华为工程师现场分析日志确认原因，已加载补丁修复；双主控运行正常，观察无复发",
    ))  # fmt: skip


async def _escalate_switch(desk: Desk) -> None:
    await desk.incidents.escalate(
        await desk.on_duty(), desk.ids["switch"], ticket="HW-0771-0418",
        note="已报华为 400 技术支持并上传诊断日志，厂商工程师下一班到场分析",
    )  # fmt: skip


async def _vendor_arrived(desk: Desk) -> None:
    await desk.incidents.vendor_responded(
        await desk.on_duty(), desk.ids["switch"], note="华为工程师周工到场，开始分析日志"
    )


async def _resolve(desk: Desk, name: str, cause: str, solution: str) -> None:
    await desk.incidents.resolve(await desk.on_duty(), desk.ids[name], cause, solution)


def _weblogic_stopped(desk: Desk, at: _Times) -> None:
    t = at.stopped
    keys = [("srv-app-1", "weblogic")]
    desk.at(t + 3 * MINUTE, lambda: _ack(desk, keys, "正在处理：准备重启 WebLogic"))
    desk.at(t + 4 * MINUTE, lambda: _from_alarm(
        desk, "weblogic", "srv-app-1", "weblogic", "major", "application",
        "政务服务应用服务器 WebLogic 服务停止"))
    desk.at(t + 4.5 * MINUTE, lambda: _respond(
        desk, "weblogic", "已确认 weblogic 服务 inactive，按预案重启服务"))
    desk.at(t + 6 * MINUTE, lambda: _restart_weblogic(desk, t + 5 * MINUTE))
    desk.at(t + 9 * MINUTE, lambda: _entry(
        desk, "weblogic", "已执行「重启 WebLogic」，复查服务 active，政务服务网页面访问恢复"))
    desk.at(t + 30 * MINUTE, lambda: _resolve(
        desk, "weblogic",
        "WebLogic 托管服务器 JVM 堆内存耗尽（OutOfMemoryError），进程退出",
        "重启 WebLogic 服务恢复；已通知应用组张工调整堆内存参数并排查内存泄漏",
    ))
    desk.at(t + 45 * MINUTE, lambda: _close(desk, "weblogic"))  # fmt: skip


async def _restart_weblogic(desk: Desk, started: datetime) -> None:
    """One restart run, as the action dialog records it once it is over."""
    device = next(d for d in desk.site.devices if d.id == "srv-app-1")
    action = next(a for a in device.actions if a.id == "restart-weblogic")
    credential = desk.site.credentials[action.credential].ssh
    actor = await desk.on_duty()
    await desk.actions.authorize(actor, device, action)
    await desk.actions.record(
        actor, device, action, 0, "ok", "", started, desk.clock(), "OK",
        ssh_user=credential.username if credential else "", port=action_port(device, action),
    )  # fmt: skip


async def _close(desk: Desk, name: str) -> None:
    await desk.incidents.close(await desk.on_duty(), desk.ids[name])


def _gis_call(desk: Desk, at: _Times) -> None:
    desk.at(at.call, lambda: _open_call(desk))
    desk.at(at.call + 10 * MINUTE, lambda: _respond(
        desk, "gis", "已电话回复来电人，已通知 GIS 组李工远程排查"))
    desk.at(at.call + 70 * MINUTE, lambda: _entry(
        desk, "gis", "GeoServer 服务与 8080 端口检查正常；李工初步判断瓦片缓存目录所在磁盘 IO 偏高，"
        "待进一步分析"))  # fmt: skip


async def _open_call(desk: Desk) -> None:
    opened = await desk.incidents.open_manual(
        await desk.on_duty(), "政务服务网地图页面加载缓慢", "minor", "application",
        device_id="srv-gis-1", caller="刘科长", department="市自然资源局信息科",
        phone="0771-5551234",
        description="来电反映政务服务网「不动产查询」地图页面加载缓慢，部分瓦片显示空白",
    )  # fmt: skip
    desk.ids["gis"] = opened.id
