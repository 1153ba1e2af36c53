"""The mail outbox: outgoing e-mail kept in the database until an SMTP server has taken it.

A unit of work writes each message as a row of ``outbox`` in the transaction of the change that
causes it (``store.new_message``), so a registration that commits always has its activation mail
and one that rolls back never sends one. After the commit it wakes this process's delivery worker
(``worker.DeliveryWorker``, started in the app's lifespan); every worker also looks for due mail
every few seconds, so mail written by another process or left by an outage goes out too.

Delivery is exactly once across workers and processes: a worker claims due rows in one
statement (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, a conditional ``UPDATE`` on SQLite, which
writes one statement at a time), sends them after the response has left, and marks them sent
only if its claim still holds. A failed attempt is retried with exponential backoff and jitter;
after ``CITYGRAPH_MAIL_MAX_ATTEMPTS`` the row is marked failed and kept for ``citygraph outbox``.
A worker that dies mid-send leaves a claim that lapses after its lease, and the message is sent
again with the same ``Message-ID``, so receiving servers can tell the copy.

Sent rows are deleted ``CITYGRAPH_OUTBOX_KEEP_SENT_DAYS`` after sending, by every worker at most
hourly and by ``citygraph outbox prune``, in bounded batches; failed and unsent rows stay.
"""

from citygraph.outbox.store import depth, new_message, status_counts
from citygraph.outbox.worker import DeliveryWorker, PassReport

__all__ = ["DeliveryWorker", "PassReport", "depth", "new_message", "status_counts"]
