"""The record services one session works with, opened together and closed together."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from data.accounts import Accounts
from data.audit import AuditTrail
from data.models import Site
from data.site_history import record_site_change
from data.store import Store


@dataclass
class Services:
    site: Site
    store: Store
    audit: AuditTrail
    accounts: Accounts

    async def close(self) -> None:
        await self.store.close()


def services_for(site: Site, store: Store, terminal: str | None = None) -> Services:
    audit = AuditTrail(store, terminal=terminal)
    return Services(site=site, store=store, audit=audit, accounts=Accounts(store, audit))


async def open_services(site: Site, db_path: Path, terminal: str | None = None) -> Services:
    """Open the store's services; a site.yaml changed since the last start is audited."""
    services = services_for(site, await Store.open(db_path), terminal)
    try:
        await record_site_change(services.store, services.audit, site.source)
    except BaseException:
        await services.close()
        raise
    return services
