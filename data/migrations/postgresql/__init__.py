"""The PostgreSQL versions of the schema migrations, numbered as the SQLite ones beside them
(``data/migrations/NNNN_name.sql``); applied by ``data.pg_store`` in number order.

No PostgreSQL database has shipped yet, so each file here is the final shape of its number:
where a later SQLite migration only adds a column to a table (0007's ``seal_anchor``), the
PostgreSQL file that creates the table has it from the start.

Types: SQLite ``INTEGER`` is ``BIGINT`` (``INTEGER PRIMARY KEY`` an identity), ``REAL`` is
``DOUBLE PRECISION``, times stay UTC ISO-8601 ``TEXT`` (data.clock.to_db) so the books read
and compare them the same way on both. Triggers are PL/pgSQL and refuse with SQLSTATE 23000
(integrity_constraint_violation), what the store raises as an ``sqlite3.IntegrityError``.
"""
