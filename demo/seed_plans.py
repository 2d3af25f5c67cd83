"""The demo's emergency plans in use: the core-switch plan run for the switch incident of
demo.seed_events, and a ransomware drill held on the first watch.

The plan run follows the incident: started as it is opened, its steps logged as the
desk works through it, one skipped with a reason (the units were not told: the standby
switch carried the traffic), finished once the vendor's fix is in. The operator on duty
runs the drill and closes it with its participants, findings and follow-ups (no extra
login: the seeding's password checks stay as demo.seed counts them).
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from demo.seed_desk import SeedDesk

MINUTE = timedelta(minutes=1)
# Minutes after the core switch stops answering (1.5 h into the second watch, as in
# demo.seed_events): the step, and the note or a skipped step's reason.
SWITCH_PLAN: tuple[tuple[float, str, str, str], ...] = (
    (9, "confirm", "done", "核心交换机2 无响应，核心交换机1 承载全部业务"),
    (10, "report", "done", "已电话报告带班领导王五、网络组赵工"),
    (12, "failover", "done", "备用核心已自动接管，无需手工切换"),
    (35, "vendor", "done", "华为 400 工单已开，诊断日志已上传"),
    (36, "notify-units", "skipped", "业务未中断（备用核心承载），无需通报各单位"),
)
# Minutes after the vendor's engineer arrives (2 h into the third watch).
SWITCH_PLAN_AFTER_VENDOR = (
    (85, "restore", "done", "已加载补丁，双主控恢复冗余"),
    (88, "verify", "done", "全部业务正常，告警已清除，配置已保存"),
)
DRILL_SCENARIO = "模拟办公网一台主机文件被加密并出现勒索信息"


def plan_drills(desk: SeedDesk) -> None:
    down = desk.watch_start(1) + timedelta(hours=1.5)
    vendor = desk.watch_start(2) + timedelta(hours=2)
    desk.at(down + 7 * MINUTE, partial(_start_switch_plan, desk))
    for minutes, step, outcome, note in SWITCH_PLAN:
        desk.at(down + minutes * MINUTE, partial(_log, desk, "switch-plan", step, outcome, note))
    for minutes, step, outcome, note in SWITCH_PLAN_AFTER_VENDOR:
        desk.at(vendor + minutes * MINUTE, partial(_log, desk, "switch-plan", step, outcome, note))
    desk.at(vendor + 89 * MINUTE, partial(_finish_switch_plan, desk))

    drill = desk.watch_start(0) + timedelta(hours=3)
    desk.at(drill, partial(_start_drill, desk))
    for number, plan_step in enumerate(desk.emergency.plan("ransomware").steps, 1):
        moment = drill + 4 * number * MINUTE
        desk.at(moment, partial(_log, desk, "drill", plan_step.id, "done", ""))
    desk.at(drill + 40 * MINUTE, partial(_finish_drill, desk))


async def _start_switch_plan(desk: SeedDesk) -> None:
    run = await desk.emergency.start_for_incident(
        await desk.on_duty(), "core-switch-down", desk.ids["switch"]
    )
    desk.ids["switch-plan"] = run.id


async def _log(desk: SeedDesk, key: str, step: str, outcome: str, note: str) -> None:
    await desk.emergency.log_step(
        await desk.on_duty(),
        desk.ids[key],
        step,
        "skipped" if outcome == "skipped" else "done",
        note,
    )


async def _finish_switch_plan(desk: SeedDesk) -> None:
    await desk.emergency.finish(await desk.on_duty(), desk.ids["switch-plan"])


async def _start_drill(desk: SeedDesk) -> None:
    run = await desk.emergency.start_drill(await desk.on_duty(), "ransomware", DRILL_SCENARIO)
    desk.ids["drill"] = run.id


async def _finish_drill(desk: SeedDesk) -> None:
    await desk.emergency.finish(
        await desk.on_duty(),
        desk.ids["drill"],
        ["王五", "张三", "李四", "安全组 钱工"],
        "隔离受感染主机用时 6 分钟；离线备份恢复演示成功，但备份清单未更新",
        ["每月核对离线备份清单", "交换机端口关闭操作写入值班手册"],
    )
