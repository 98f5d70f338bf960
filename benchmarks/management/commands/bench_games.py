"""Benchmark a Connect Four engine's move over the API under gunicorn: latency of random mid-game positions.

    ENCORE_BENCHMARKS=1 VAR_DIR=/tmp/encore-games-bench python manage.py bench_games
Each position is sent alone (one request at a time), as a partner asking for its
next move would; the answer must be a legal column. The API client it creates
is deleted at the end.
"""

import random
import secrets
import statistics
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from benchmarks import loadgen, tenants
from core.workspaces import default_workspace_id
from games.engine import ENGINES, Position

TARGET_P95_MS = 200.0


def mid_game_positions(count: int, *, seed: int = 42) -> list[Position]:
    """`count` positions 8 to 24 random moves in, with the game still open and no win on the next move."""
    rng, found = random.Random(seed), []
    while len(found) < count:
        position = Position.empty()
        for _ in range(rng.randint(8, 24)):
            # Random moves that neither win nor leave a win on top: the game stays open.
            options = [c for c in position.legal() if not position.wins_with(c) and not position.play(c).wins_with(c)]
            if not options:
                break
            position = position.play(rng.choice(options))
        else:
            if not position.winning_moves() and not position.losing_threats():
                found.append(position)
    return found


class Command(BaseCommand):
    help = "Time an engine's move over POST /api/v1/games/connect-four/move/ for random mid-game positions."

    def add_arguments(self, parser):
        parser.add_argument("--positions", type=int, default=40)
        parser.add_argument("--engine", default="strategy", choices=ENGINES)
        parser.add_argument("--level", type=int, default=None, help="Default: the engine's default level.")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes.")
        parser.add_argument("--seed", type=int, default=42)

    def handle(self, *args, positions, engine, level, workers, seed, **options):
        call_command("migrate", interactive=False, verbosity=0)
        boards = mid_game_positions(positions, seed=seed)
        client, key = tenants.client_create(
            workspace_id=default_workspace_id(), name=f"bench-{secrets.token_hex(4)}", scopes=["read"]
        )
        server = None
        try:
            port = loadgen.free_port()
            base = f"http://127.0.0.1:{port}"
            server = loadgen.gunicorn_start(port=port, workers=workers, worker_class="sync", env=loadgen.server_env())
            loadgen.wait_until_up(f"{base}/api/v1/health/")
            url, headers = f"{base}/api/v1/games/connect-four/move/", {"Authorization": f"Api-Key {key}"}
            body = {"engine": engine, **({"level": level} if level else {})}
            for position in boards[:4]:  # each worker imports the engine and opens its connection once
                loadgen.post_json(url, {**body, "board": position.rows(), "player": position.player}, headers)
            timings = []
            for position in boards:
                started = time.perf_counter()
                status, answer = loadgen.post_json(
                    url, {**body, "board": position.rows(), "player": position.player}, headers
                )
                timings.append((time.perf_counter() - started) * 1000)
                if status != 200 or answer["column"] not in position.legal():
                    raise CommandError(f"illegal answer {status} {answer} for {position.rows()}")
            self._report(engine, answer["level"], timings, workers)
        finally:
            loadgen.process_group_stop(server)
            client.delete()

    def _report(self, engine, level, timings, workers):
        ordered = sorted(timings)
        p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
        self.stdout.write(
            f"{engine} level {level}, {len(timings)} mid-game positions, gunicorn {workers} sync workers: "
            f"p50 {statistics.median(timings):.0f} ms, p95 {p95:.0f} ms, max {ordered[-1]:.0f} ms, all moves legal"
        )
        ok = p95 <= TARGET_P95_MS
        message = f"p95 {'<=' if ok else '>'} {TARGET_P95_MS:.0f} ms"
        self.stdout.write(self.style.SUCCESS(message) if ok else self.style.WARNING(message))
