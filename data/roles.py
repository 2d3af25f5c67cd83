"""Roles and what each may do. Enforcement lives in data/: services take the acting user
and call ``require`` before changing anything (callers audit the refusal).

Separation of duties: operators run the watch; supervisors are operators who may also
make sticky acknowledgements, see full ID numbers and export records; the admin manages
accounts, configuration and backups but neither reads nor erases the audit trail; the
auditor reads the audit trail and nothing else. Nobody can erase the audit trail.
Everyone, whatever the role, may change their own password (the password policy and a
forced change after ``site.password_max_age_days`` apply to every account).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from data.errors import DutyDeskError


class Role(StrEnum):
    OPERATOR = "operator"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    AUDITOR = "auditor"


ROLES: tuple[str, ...] = tuple(role.value for role in Role)  # e.g. argparse choices


class Permission(StrEnum):
    CHANGE_OWN_PASSWORD = "change_own_password"
    VIEW_STATUS = "view_status"
    WRITE_RECORDS = "write_records"
    ACK_ALARM = "ack_alarm"
    STICKY_ACK = "sticky_ack"
    RUN_ACTION = "run_action"
    SIGN_HANDOVER = "sign_handover"
    VIEW_ID_NUMBERS = "view_id_numbers"
    EXPORT_RECORDS = "export_records"
    MANAGE_ACCOUNTS = "manage_accounts"
    MANAGE_CONFIG = "manage_config"
    EDIT_ROSTER = "edit_roster"
    MANAGE_ASSETS = "manage_assets"
    BACKUP = "backup"
    RESTORE = "restore"
    READ_AUDIT = "read_audit"
    EXPORT_AUDIT = "export_audit"


_EVERYONE = frozenset({Permission.CHANGE_OWN_PASSWORD})

_OPERATOR = _EVERYONE | frozenset(
    {
        Permission.VIEW_STATUS,
        Permission.WRITE_RECORDS,
        Permission.ACK_ALARM,
        Permission.RUN_ACTION,
        Permission.SIGN_HANDOVER,
    }
)

PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OPERATOR: _OPERATOR,
    Role.SUPERVISOR: _OPERATOR
    | {
        Permission.STICKY_ACK,
        Permission.VIEW_ID_NUMBERS,
        Permission.EXPORT_RECORDS,
        Permission.EDIT_ROSTER,
        Permission.MANAGE_ASSETS,
    },
    Role.ADMIN: _EVERYONE
    | frozenset(
        {
            Permission.VIEW_STATUS,
            Permission.MANAGE_ACCOUNTS,
            Permission.MANAGE_CONFIG,
            Permission.BACKUP,
            Permission.RESTORE,
            Permission.EDIT_ROSTER,  # the duty roster is staffing, set up like accounts
            Permission.MANAGE_ASSETS,  # the asset register is inventory, kept like the site
        }
    ),
    Role.AUDITOR: _EVERYONE | {Permission.READ_AUDIT, Permission.EXPORT_AUDIT},
}


class Actor(Protocol):
    """Anyone acting: ``data.accounts.User`` is one."""

    @property
    def name(self) -> str: ...

    @property
    def role(self) -> Role: ...


class PermissionDenied(DutyDeskError):
    code = "permission_denied"


def allows(role: Role | str, permission: Permission) -> bool:
    return permission in PERMISSIONS[Role(role)]


def require(actor: Actor, permission: Permission) -> None:
    """Return if the actor's role allows the permission, else raise ``PermissionDenied``."""
    if not allows(actor.role, permission):
        raise PermissionDenied(
            f"{actor.name} ({actor.role}) is not allowed to {permission.value.replace('_', ' ')}",
            user=actor.name,
            role=str(actor.role),
            permission=permission.value,
        )
