"""Quick restart end to end on the real OpenSSH sshd: a stopped "service" (its check is
CRITICAL with an alarm) is restarted from the device screen with the keyboard alone, the
recheck brings it back to OK, the alarm clears and the audit trail holds the run.

The service is simulated by a file: the check is ``test -f .../nginx.active`` and the
restart action ``touch``es it; both commands come from the test's site, never typed.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from checks.actions import Outcome
from checks.result import CheckState
from console.app import DutyDeskApp
from console.screens.device.action import ActionDialog
from data.audit import AuditTrail
from data.store import Store
from tests.console.test_device_screen import text
from tests.interop.test_actions import restart_site
from tests.support.console import ACCOUNTS, log_in, make_app, seed_accounts, wait_until

from .conftest import SshPeer

pytestmark = [pytest.mark.interop, pytest.mark.usefixtures("fast_scrypt")]


def nginx(app: DutyDeskApp) -> CheckState | None:
    live = app.live_state
    snap = live.checks.get(("web-1", "nginx")) if live is not None else None
    return None if snap is None or snap.pending else snap.state


def alarmed(app: DutyDeskApp) -> bool:
    return app.live_state is not None and ("web-1", "nginx") in app.live_state.alarms


async def test_a_stopped_service_is_restarted_from_the_device_screen(
    sshd: SshPeer, tmp_path: Path
) -> None:
    site = restart_site(sshd, tmp_path)
    site = site.model_copy(update={"site": site.site.model_copy(update={"language": "en"})})
    db = tmp_path / "restart.db"
    await seed_accounts(db)
    app = make_app(db, language="en", site=site, run_checks=True)
    async with app.run_test(size=(130, 50)) as pilot:
        await log_in(pilot, "zhangsan", ACCOUNTS["zhangsan"][0])
        await wait_until(pilot, lambda: app.screen.id == "section-wall")
        assert app.live is not None
        app.live.runtime.scheduler.recheck("web-1")  # do not wait for the first interval
        await wait_until(pilot, lambda: nginx(app) == CheckState.CRITICAL and alarmed(app), 20)

        await pilot.press("enter")  # the wall's only tile: open the device
        await wait_until(pilot, lambda: app.screen.id == "device")
        await wait_until(pilot, lambda: "✖ CRIT" in text(app, "#device-checks"))
        await pilot.press("x")
        await wait_until(pilot, lambda: app.screen.id == "action-list")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ActionDialog))
        dialog = app.screen
        assert isinstance(dialog, ActionDialog)
        assert f"127.0.0.1:{sshd.port}" in text(app, "#action-facts")
        await wait_until(pilot, lambda: app.screen.focused is not None)
        await pilot.press(*"web-1", "enter")
        await wait_until(pilot, lambda: dialog.finished is not None, timeout=40)

        finished = dialog.finished
        assert finished is not None and finished.error is None
        assert finished.result is not None and finished.result.outcome == Outcome.OK
        assert finished.checked is not None and finished.checked.state == CheckState.OK
        status = text(app, "#action-status")
        assert "Done: exit status 0." in status and "Recheck nginx: OK" in status
        assert (tmp_path / "nginx.active").exists()
        # the recheck ran in the scheduler: the check, its alarm and the tile follow it
        await wait_until(pilot, lambda: nginx(app) == CheckState.OK and not alarmed(app), 20)

        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen.id == "device")
        await wait_until(pilot, lambda: "✔ OK" in text(app, "#device-checks"))
        assert "zhangsan" in text(app, "#device-actions")
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen.id == "section-wall")
        assert app.live_state is not None
        assert app.live_state.tile("web-1", app.config.clock()).state == "OK"

    store = await Store.open(db)
    try:
        rows = await AuditTrail(store).query(action="action.run")
    finally:
        await store.close()
    assert [(r.user, r.object, r.outcome) for r in rows] == [
        ("zhangsan", "web-1/restart-nginx", "ok")
    ]
    detail = rows[0].detail
    output = "stopping nginx\nnginx started\n"
    assert detail["exit_status"] == 0 and detail["host"] == "127.0.0.1"
    assert detail["output_sha256"] == hashlib.sha256(output.encode()).hexdigest()
    assert detail["recheck"] == {"check": "nginx", "state": "OK"}
