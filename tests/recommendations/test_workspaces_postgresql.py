"""Single flight per workspace under real concurrency: runs of different workspaces never wait for each other."""

import time

import pytest
from django.db import connection

from recommendations.training import TrainingAlreadyRunning
from recommendations.training.lifecycle import training_run_start
from tests.databases import postgresql_only, second_connection
from tests.factories import WorkspaceFactory

START = {"algorithm": "hybrid", "trigger": "manual"}


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_run_starting_in_one_workspace_never_waits_for_one_starting_in_another():
    alpha, beta = WorkspaceFactory(slug="alpha"), WorkspaceFactory(slug="beta")
    with second_connection() as other:
        # Another machine is starting alpha's run: its row is written, not committed yet.
        other.execute("BEGIN")
        other.execute(
            "INSERT INTO recommendations_modelversion (workspace_id, algorithm, config, status, trigger, forced, "
            "n_users, n_items, n_interactions, metrics, timings, artifact, artifact_sha256, error, note, task_id, "
            "worker, created_at, heartbeat_at) VALUES (%s, 'hybrid', '{}', 'training', 'manual', false, 0, 0, 0, "
            "'{}', '{}', '', '', '', '', '', 'elsewhere:1', now(), now())",
            [alpha.pk],
        )
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '5s'")  # a wait for the other run would fail, not hang
        try:
            started = time.monotonic()
            mine = training_run_start(workspace_id=beta.pk, **START)
            waited = time.monotonic() - started
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = 0")
        other.execute("COMMIT")

    assert mine.workspace_id == beta.pk and waited < 2
    with pytest.raises(TrainingAlreadyRunning) as refused:
        training_run_start(workspace_id=alpha.pk, **START)
    assert refused.value.running.worker == "elsewhere:1"
