"""``dutydesk probe --device ID`` or ``dutydesk probe --host H --credential C``.

Onboarding a device in a minute: ask it what it is (sysObjectID, sysDescr), name the
device templates that fit it (``checks.templates.identify``), run each once to show what
it would read now, and print the site.yaml lines that would watch it. The credential is
one of site.yaml's (no community on the command line, where ``ps`` would show it).
No login: it reads no records. Exit 0 when the device answered, 1 when it did not.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from checks.evaluate import ProbeFailure
from checks.probe import ProbeContext, run_probe
from checks.result import ProbeResult
from checks.snmp_profiles import SnmpQuery
from checks.templates import Identity, identify
from console.commands import common
from data.device_templates import DeviceTemplate
from data.i18n import t
from data.masking import mask
from data.models import DEFAULT_PORTS, Device, Site, SnmpCheck

TIMEOUT, RETRIES = 2.0, 1
CATCH_ALL = "1.3.6.1"  # the prefix of templates that fit every agent (system, interfaces)


def add_parser(sub: Any, global_options: Callable[..., None]) -> None:
    p = sub.add_parser("probe", help=t("cli.probe"), description=t("cli.probe"))
    global_options(p, root=False)
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--device", metavar="ID", help=t("cli.probe.device"))
    target.add_argument("--host", metavar="HOST", help=t("cli.probe.host"))
    p.add_argument("--credential", metavar="NAME", help=t("cli.probe.credential"))
    p.add_argument("--port", type=int, metavar="N", help=t("cli.probe.port"))
    p.set_defaults(handler=run_probe_command)


def run_probe_command(args: argparse.Namespace) -> int:
    site = common.load_site_or_fail(args)
    device = _target(site, args)
    check = device.checks[0]
    assert isinstance(check, SnmpCheck)  # _target builds it
    return common.run(lambda: _probe(site, device, check, known=args.device is not None))


def _target(site: Site, args: argparse.Namespace) -> Device:
    """The device to ask, as a one-check Device: the site's, or one on ``--host``."""
    known = next((d for d in site.devices if d.id == args.device), None)
    if args.device is not None and known is None:
        raise common.CliError(t("cli.check.unknown_device", ids=args.device))
    snmp_checks = [c for c in known.checks if isinstance(c, SnmpCheck)] if known else []
    credential = args.credential or (snmp_checks[0].credential if snmp_checks else None)
    if credential is None:
        raise common.CliError(t("cli.probe.needs_credential"))
    found = site.credentials.get(credential)
    if found is None or found.snmp is None:
        raise common.CliError(t("cli.probe.no_snmp_credential", name=credential))
    port = args.port or (snmp_checks[0].port if snmp_checks else None) or DEFAULT_PORTS["snmp"]
    check = SnmpCheck(
        id="probe",
        type="snmp",
        credential=credential,
        port=port,
        oid="1.3.6.1.2.1.1.2.0",
        timeout=TIMEOUT,
        retries=RETRIES,
    )
    if known is not None:
        return known.model_copy(update={"checks": [check]})
    host = str(args.host)
    zone = site.zones[0].id
    return Device(id="probe", name=host, kind="server", zone=zone, host=host, checks=[check])


async def _probe(site: Site, device: Device, check: SnmpCheck, *, known: bool) -> int:
    ctx = ProbeContext()
    try:
        credential = site.credentials[check.credential].snmp
        assert credential is not None  # _target checked it
        query = SnmpQuery(ctx.snmp, device.host, check.port or 161, credential, check)
        try:
            identity = await identify(query, site.templates)
        except ProbeFailure as failure:
            common.fail(t("cli.probe.no_answer", host=device.host, reason=mask(failure.reason)))
            return 1
        results = {
            name: await run_probe(site, device, _template_check(check, name), ctx)
            for name in identity.matches
        }
    finally:
        await ctx.close()
    _print_identity(identity, results)
    print()
    print(t("cli.probe.snippet"))
    system = results.get("system")
    sys_name = system.values.get("sys_name") if system else None
    name = sys_name if isinstance(sys_name, str) and sys_name.strip() else device.host
    print(snippet(site, device, check, identity, name=name.strip(), known=known))
    return 0


def _template_check(check: SnmpCheck, name: str) -> SnmpCheck:
    fields = check.model_dump(exclude={"oid"}) | {"id": name, "template": name}
    return SnmpCheck.model_validate(fields)


def _print_identity(identity: Identity, results: dict[str, ProbeResult]) -> None:
    descr = " ".join(identity.sys_descr.split())
    print(f"sysObjectID  {identity.sys_object_id or '-'}")
    print(f"sysDescr     {descr[:100] or '-'}")
    if not identity.matches:
        print(t("cli.probe.none_fit"))
        return
    print(t("cli.probe.fits"))
    for name, result in results.items():
        value = "" if result.value is None else f"{result.value:g} {result.unit or ''}".strip()
        print(f"  {name:<16} {result.state.name:<9} {value:>10}  {result.message}")


def _specific(templates: dict[str, DeviceTemplate], names: tuple[str, ...]) -> str | None:
    """The best fitting template that is not one every agent fits."""
    return next((n for n in names if CATCH_ALL not in templates[n].match.sys_object_id), None)


def snippet(
    site: Site, device: Device, check: SnmpCheck, identity: Identity, *, name: str, known: bool
) -> str:
    """site.yaml lines watching the device: its best template and ``system`` (reboots);
    a new device is named by its sysName."""
    best = _specific(site.templates, identity.matches)
    chosen = [n for n in (best, "system") if n is not None and n in identity.matches]
    port = "" if check.port in (None, DEFAULT_PORTS["snmp"]) else f", port: {check.port}"
    checks = [
        f"      - {{id: {name}, type: snmp, credential: {check.credential}{port},"
        f" template: {name}}}"
        for name in chosen
    ]
    if known:
        return "\n".join([f"  # devices[{device.id}]", "    checks:", *checks])
    kind = (site.templates[best].kind if best else None) or "server"
    return "\n".join(
        [
            f"  - id: {_ident(name)}",
            f"    name: {json.dumps(name, ensure_ascii=False)}",  # quoted: any text is YAML
            f"    kind: {kind}",
            f"    zone: {device.zone}",
            f"    host: {device.host}",
            "    checks:",
            *checks,
        ]
    )


def _ident(host: str) -> str:
    return "".join(c if c.isalnum() or c in "_.-" else "-" for c in host)[:64] or "device"
