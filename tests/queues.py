"""Reading back what was published to the test broker (the `memory_broker` fixture)."""

from config.celery import app


def queued_messages() -> list[dict]:
    """Every task message waiting in the default queue, taken off it: its task name and kwargs (as text)."""
    found = []
    with app.connection_for_write() as connection:
        queue = connection.SimpleQueue("celery")
        while True:
            try:
                message = queue.get(timeout=0.5)
            except queue.Empty:
                return found
            found.append({"task": message.headers["task"], "kwargs": message.headers["kwargsrepr"]})
            message.ack()
