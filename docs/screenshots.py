"""Save SVG screenshots of the demo for the README: ``python docs/screenshots.py``.

Runs the real demo (lab on loopback, fresh demo database) headless, logs in as the demo
operator, waits until every device has a result, and saves what the operator would see.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

from console.app import AppConfig, create_app
from demo import setup
from demo.lab import Lab

OUT = Path(__file__).parent / "img"


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        prepared = await setup.prepare(Path(tmp) / "site" / "site.yaml", Path(tmp) / "demo.db")
        app = create_app(
            AppConfig(
                site=prepared.site, db_path=prepared.db_path, background=[Lab(prepared.site_path)]
            )
        )
        async with app.run_test(size=(150, 44)) as pilot:
            deadline = time.monotonic() + 60
            while app.screen.id != "login" and time.monotonic() < deadline:
                await pilot.pause(0.1)
            await pilot.press(*"zhangsan", "enter")
            await pilot.press(*"Duty#2026a", "enter")
            while time.monotonic() < deadline:
                state = app.live_state
                if (
                    state is not None
                    and app.screen.id == "section-wall"
                    and all(not snap.pending for snap in state.checks.values())
                ):
                    break
                await pilot.pause(0.5)
            await pilot.pause(2)
            OUT.mkdir(exist_ok=True)
            app.save_screenshot(str(OUT / "demo-wall.svg"))
            print(f"saved {OUT / 'demo-wall.svg'}", file=sys.stderr)


if __name__ == "__main__":
    asyncio.run(main())
