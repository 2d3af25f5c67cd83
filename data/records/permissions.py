"""The permission check every record book's actions start with: a refusal is audited.

Shared by the kinds (alarms, handover, incidents, inspections, visitors): it depends on
none of them.
"""

from __future__ import annotations

from data.audit import AuditEvent, AuditTrail
from data.roles import Actor, Permission, PermissionDenied, require


async def require_audited(
    audit: AuditTrail,
    actor: Actor,
    permissions: list[Permission],
    action: str,
    objects: list[str],
) -> None:
    """Return if the actor may do all of it; else audit the refusal (one row per object,
    as the action itself would have) and raise ``PermissionDenied``."""
    try:
        for permission in permissions:
            require(actor, permission)
    except PermissionDenied as denied:
        detail = {"permission": denied.params["permission"]}
        await audit.record_many(
            AuditEvent(actor.name, action, obj, "denied", detail) for obj in objects
        )
        raise
