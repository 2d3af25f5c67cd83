"""How long ``dutydesk demo`` takes to start: to a seeded store, and to the login screen.

Each run is a fresh child process (imports included, as a user pays them) on a temporary
demo folder, so a demo already running on this machine is neither disturbed nor locked
out. Figures, from the child's start:

- seeded store: ``demo.setup.prepare`` done (site copied, database created,
  accounts and two days of history seeded);
- login screen: the console app (headless, ``App.run_test``) with the demo lab running
  shows its login screen. The lab listens on the demo's ports moved up by ``--port-offset``.

Wall times move with whatever else runs on the machine (the load average is printed).

    .venv/bin/python bench/demo_start.py
    .venv/bin/python bench/demo_start.py --runs 5
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

CHILD = """
import asyncio, json, sys, time
from pathlib import Path
started = time.perf_counter()
from console.app import AppConfig, create_app
from demo import setup
from demo.lab import Lab
from console.screens.session.login import LoginScreen

async def main(folder: Path, offset: int) -> dict[str, float]:
    prepared = await setup.prepare(folder / "site" / "site.yaml", folder / "demo.db")
    seeded = time.perf_counter() - started
    config = AppConfig(site=prepared.site, db_path=prepared.db_path, login_hint="demo",
                       background=[Lab(prepared.site_path, port_offset=offset)])
    app = create_app(config)
    async with app.run_test(size=(120, 40)) as pilot:
        deadline = time.perf_counter() + 120
        while not isinstance(app.screen, LoginScreen):
            if time.perf_counter() > deadline or app.startup_error:
                raise SystemExit(f"no login screen: {app.startup_error}")
            await pilot.pause(0.01)
        login = time.perf_counter() - started
    return {"seeded_store": seeded, "login_screen": login}

print(json.dumps(asyncio.run(main(Path(sys.argv[1]), int(sys.argv[2])))))
"""


def one_run(offset: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="dutydesk-demo-bench-") as folder:
        result = subprocess.run(
            [sys.executable, "-c", CHILD, folder, str(offset)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    if result.returncode != 0:
        raise SystemExit(result.stderr[-2000:])
    figures: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--port-offset", type=int, default=30000)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs, {args.runs} runs")
    runs = [one_run(args.port_offset) for _ in range(args.runs)]
    for key in ("seeded_store", "login_screen"):
        values = [run[key] for run in runs]
        listed = " ".join(f"{v:.2f}" for v in values)
        print(f"{key:>13}: median {statistics.median(values):.2f} s  ({listed})")
    print(f"load average {os.getloadavg()[0]:.2f} after")


if __name__ == "__main__":
    main()
