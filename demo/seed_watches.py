"""The demo's watches: three handed over and sealed, the fourth open now, and the room
inspections done on them.

The two operators take turns. Each handover is signed by both with their passwords (a
password check each, the costly part of seeding), a few minutes either side of the shift
change (never later than now); the watch open now has notes and a pending item, so the
handover screen shows a watch in progress. The daily room inspection is done on the latest
finished day shift and the monthly system inspection on the earliest, both pre-filled from
the seeded checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from functools import partial

from data.records.checks.model import Key
from data.records.handover.model import Handover
from data.records.inspections.model import LiveReading
from demo.seed_checks import CheckHistory
from demo.seed_desk import SeedDesk, password

MINUTE = timedelta(minutes=1)

NOTES = (
    "B列温度一度升至 28.6 °C（告警已确认），调整空调出风口后回落至 27 °C 以下。"
    "科华工程师完成 UPS 季度维护，电池内阻正常。",
    "外网核心交换机2 异常重启约 20 分钟，业务由核心交换机1 承载，未中断；已报华为 400，"
    "厂商工程师下一班到场。布线人员更换 B02 机柜跳线，带入的网线已用完，未带出。",
    "WebLogic 服务停止，已重启恢复并通知应用组张工；华为工程师到场加载补丁，"
    "核心交换机2 事件已解决待关闭。自然资源局来电反映地图加载慢，已转 GIS 组处理。",
    "中国电信工程师在机房勘查外网出口线路割接，离开时核对携带物品。",
)
# Pending items: (watch, hours into it, text); watch None is the watch open now.
PENDING: tuple[tuple[int | None, float, str], ...] = (
    (1, 2.5, "跟踪华为 400 工单：外网核心交换机2 异常重启，厂商工程师到场分析并加载补丁"),
    (2, 6.0, "GIS 地图加载缓慢（自然资源局来电）：等 GIS 组李工反馈排查结果"),
    (None, 0.0, "电信出口线路割接方案待王五审核后报中心领导审批"),
)
# (watch, hours into it, which pending item it closes, how)
CLOSED = ((2, 3.75, 0, "华为工程师已加载补丁，核心交换机2 运行正常，事件已解决"),)

DAILY: Mapping[str, tuple[object, str]] = {
    "water": ("pass", ""),
    "pdu": ("pass", ""),
    "gas-pressure": (2.52, ""),
    "fire-panel": ("正常", ""),
    "video": ("pass", ""),
    "lights": ("pass", ""),
    "cabling": ("fail", "B02 机柜后部跳线松散、两处标签脱落，已报布线维保安排整理"),
    "clean": ("pass", ""),
    "notes": ("机房整体运行正常。", ""),
}
MONTHLY: Mapping[str, tuple[object, str]] = {
    "host-logs": ("pass", ""),
    "db-backup": ("全部成功", ""),
    "tablespace": (68.5, ""),
    "firmware": ("有待升级", ""),
    "notes": ("核心交换机固件版本待与华为核对，建议在周末维护窗口统一升级。", ""),
}


def plan_watches(desk: SeedDesk, history: CheckHistory) -> None:
    spans, operators = desk.spans, desk.operators
    desk.at(spans[0].start + 5 * MINUTE, partial(_open_first, desk))
    for index in range(len(spans) - 1):
        change = spans[index + 1].start
        outgoing, incoming = operators[index], operators[index + 1]
        desk.at(change - 25 * MINUTE, partial(_write_notes, desk, NOTES[index]))
        desk.at(change - 10 * MINUTE, partial(_sign_out, desk, outgoing))
        desk.at(change + 5 * MINUTE, partial(_sign_in, desk, incoming))
    for number, (watch, hours, text) in enumerate(PENDING):
        start = desk.now if watch is None else desk.watch_start(watch)
        desk.at(start + timedelta(hours=hours), partial(_add_pending, desk, number, text))
    for watch, hours, item, note in CLOSED:
        moment = desk.watch_start(watch) + timedelta(hours=hours)
        desk.at(moment, partial(_close_pending, desk, item, note))
    desk.at(desk.now, partial(_write_notes, desk, NOTES[-1]))
    _plan_inspections(desk, history)


async def _open_first(desk: SeedDesk) -> None:
    await desk.handovers.open_shift(await desk.on_duty())


async def _write_notes(desk: SeedDesk, text: str) -> None:
    watch = await _current(desk)
    await desk.handovers.set_notes(await desk.user(watch.operator), watch.id, text)


async def _sign_out(desk: SeedDesk, name: str) -> None:
    watch = await _current(desk)
    await desk.handovers.sign_outgoing(await desk.user(name), watch.id, password(name))


async def _sign_in(desk: SeedDesk, name: str) -> None:
    watch = await _current(desk)
    await desk.handovers.sign_incoming(name, password(name), watch.id)


async def _add_pending(desk: SeedDesk, number: int, text: str) -> None:
    watch = await _current(desk)
    item = await desk.handovers.add_pending(await desk.user(watch.operator), watch.id, text)
    desk.ids[f"pending-{number}"] = item.id


async def _close_pending(desk: SeedDesk, number: int, note: str) -> None:
    await desk.handovers.close_pending(await desk.on_duty(), desk.ids[f"pending-{number}"], note)


async def _current(desk: SeedDesk) -> Handover:
    watch = await desk.handovers.current()
    if watch is None:
        raise RuntimeError("the demo history lost its open watch")
    return watch


# Inspections.


def _plan_inspections(desk: SeedDesk, history: CheckHistory) -> None:
    day_shift = desk.site.site.shifts[0]
    finished = range(len(desk.spans) - 1)
    days = [i for i in finished if desk.spans[i].shift == day_shift] or [finished[-1]]
    for template, watch, hours, answers in (
        ("daily-room", days[-1], 1.0, DAILY),
        ("monthly-system", days[0], 5.0, MONTHLY),
    ):
        start = desk.watch_start(watch) + timedelta(hours=hours)
        desk.at(start, partial(_start, desk, history, template))
        desk.at(start + 15 * MINUTE, partial(_answer, desk, template, answers))
        desk.at(start + 25 * MINUTE, partial(_submit, desk, template))


async def _start(desk: SeedDesk, history: CheckHistory, template_id: str) -> None:
    """Start the draft and pre-fill it from the checks, as the form does."""
    book, now = desk.inspections, desk.clock()
    draft = await book.start(await desk.on_duty(), template_id)
    template = (await book.get(draft)).template
    latest: dict[Key, LiveReading] = {}
    for item in template.items():
        if item.source is None:
            continue
        key = (item.source.device, item.source.check)
        reading = history.reading(*key, now)
        if reading is not None:
            latest[key] = reading
    await book.prefill(draft, latest)
    desk.ids[template_id] = draft


async def _answer(
    desk: SeedDesk, template_id: str, answers: Mapping[str, tuple[object, str]]
) -> None:
    draft = desk.ids[template_id]
    actor = await desk.user((await desk.inspections.get(draft)).inspector)
    for item_id, (value, note) in answers.items():
        await desk.inspections.save_answer(actor, draft, item_id, value, note)


async def _submit(desk: SeedDesk, template_id: str) -> None:
    """Explain any pre-filled reading out of range (the seeded values rarely are), sign."""
    draft_id = desk.ids[template_id]
    draft = await desk.inspections.get(draft_id)
    actor = await desk.user(draft.inspector)
    for flag in draft.flagged():
        if not flag.note:
            note = "复核读数无误，已告知值班长持续观察"
            await desk.inspections.save_answer(actor, draft_id, flag.item_id, flag.value, note)
    await desk.inspections.submit(actor, draft_id, password(actor.name))
