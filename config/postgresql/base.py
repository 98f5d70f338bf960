"""PostgreSQL backend whose health check asks the socket, not the server.

With CONN_HEALTH_CHECKS, Django checks a reused connection before each request
that touches the database, by default with a `SELECT 1` round trip: on the API's
cached answers that is a quarter of the request's database time. An idle
connection receives nothing unless the server is closing it (a termination
notice, then end of file) or has something unusual to say (a notice, a
notification). So: a connection psycopg knows to be closed or broken is
unusable; an idle socket with nothing to read is usable; anything else gets
Django's `SELECT 1`.
"""

import select

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        try:
            readable, _, _ = select.select([connection.fileno()], [], [], 0)
        except (OSError, ValueError):
            return False
        return True if not readable else super().is_usable()
