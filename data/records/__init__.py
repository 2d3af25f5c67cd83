"""Record services: each module reads and writes one kind of record in the store.

They take primitive values (ids, state names such as "CRITICAL", aware datetimes), never
objects from checks/ or the console, and check the acting user's role themselves.
"""
