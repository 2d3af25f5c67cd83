"""The demo's hotline: calls from the units the machine room serves over the last watches.

One call became an incident that was fixed, closed and followed up (satisfied); one was a
question answered on the phone; one came in an hour ago and is still being looked at.
The phone-reported incident of demo.seed_events, once closed, is a follow-up still due.
Callers and numbers are made up (the numbers have the real shape).
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from demo.seed_desk import SeedDesk

# (watch, hours into it, caller, unit, phone, topic, what was done)
CALLS = (
    (
        1,
        1.5,
        "陈秀英",
        "市人社局社保中心",
        "136-0771-8822",
        "社保网厅登录后提示会话超时",
        "已指导清除浏览器缓存，问题仍在，转故障处理",
    ),
    (
        2,
        2.0,
        "黄磊",
        "市住房公积金管理中心",
        "0771-5568123",
        "咨询政务外网 VPN 账号开通流程",
        "已告知在政务服务网提交申请，材料清单已发邮件",
    ),
)
RECENT = ("李明", "市政务服务中心", "13977155320", "大厅叫号系统打印机卡纸后无法出号", "")


def plan_hotline(desk: SeedDesk) -> None:
    for number, (watch, hours, *call) in enumerate(CALLS):
        received = desk.watch_start(watch) + timedelta(hours=hours)
        desk.at(received, partial(_log, desk, f"call-{number}", *call))
    first = desk.watch_start(1) + timedelta(hours=1.5)
    desk.at(first + timedelta(minutes=5), partial(_to_incident, desk))
    desk.at(first + timedelta(hours=3), partial(_fixed, desk))
    desk.at(desk.watch_start(2) + timedelta(hours=1), partial(_follow_up, desk))
    desk.at(desk.now - timedelta(hours=1), partial(_log, desk, "call-recent", *RECENT))


async def _log(
    desk: SeedDesk, key: str, caller: str, unit: str, phone: str, topic: str, action: str
) -> None:
    call = await desk.hotline.log_call(
        await desk.on_duty(), caller=caller, unit=unit, phone=phone, topic=topic, action=action
    )
    desk.ids[key] = call.id


async def _to_incident(desk: SeedDesk) -> None:
    incident = await desk.hotline.open_incident(
        await desk.on_duty(), desk.ids["call-0"], "minor", "application"
    )
    desk.ids["call-incident"] = incident.id


async def _fixed(desk: SeedDesk) -> None:
    actor, incident_id = await desk.on_duty(), desk.ids["call-incident"]
    await desk.incidents.resolve(
        actor, incident_id, "统一身份认证会话池满，新会话被拒", "扩大会话池并重启认证服务"
    )
    await desk.incidents.close(actor, incident_id)


async def _follow_up(desk: SeedDesk) -> None:
    await desk.hotline.record_followup(
        await desk.on_duty(),
        desk.ids["call-incident"],
        contact="陈秀英",
        satisfaction="satisfied",
        remarks="登录已恢复正常，处理及时",
    )
