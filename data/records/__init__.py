"""Record services, one package per kind of record: alarms, checks, events, handover,
incidents, inspections, visitors, reports, actions.

Each package names its parts the same way: ``model.py`` holds the types its callers get
(records, errors, the rules on their values), ``book.py`` the service that reads and
writes them, and any other module a part that stands on its own (``summary.py``,
``search.py``, ``schedule.py``, ``purge.py``, ``door_import.py``...). ``sealing.py`` and
``permissions.py`` are shared by the kinds and depend on none of them.

The services take primitive values (ids, state names such as "CRITICAL", aware
datetimes), never objects from checks/ or the console, and check the acting user's role
themselves. Documents are rendered in data.exports, which reads these records; nothing
here imports data.exports.
"""
