"""`manage.py games train|tournament|curve --game SLUG`: train the learning controller, measure, draw its curve."""

import json
import time

from django.core.management.base import BaseCommand, CommandError

from config.celery import QueueUnavailable
from games.curve import learning_curve_svg
from games.engine.tournament import tournament
from games.models import GameModelVersion
from games.registry import GAMES
from games.services import game_ensure
from games.tasks import train_learning_enqueue
from games.training import TrainingAlreadyRunning, tournament_entrants, train_learning_version


class Command(BaseCommand):
    help = (
        "Games: `train` a learning controller version, play a `tournament` between the controllers, draw the `curve`."
    )

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="action", required=True, metavar="{train,tournament,curve}")
        train = commands.add_parser("train", help="Train, evaluate and activate a new learning version")
        train.add_argument("--inline", action="store_true", help="Train in this process instead of on a worker")
        train.add_argument("--self-play-games", type=int, default=None, help="Self-play games (default: settings)")
        train.add_argument("--seed", type=int, default=None)
        play = commands.add_parser("tournament", help="Every pair of controllers and a random player, both sides")
        play.add_argument("--games", type=int, default=20, help="Games per pair (half from each side)")
        play.add_argument("--seed", type=int, default=0)
        play.add_argument("--json", action="store_true", dest="as_json", help="End with one JSON line of the results")
        curve = commands.add_parser("curve", help="Write the active version's learning curve as an SVG chart")
        curve.add_argument("--out", required=True, help="The .svg file to write")
        for sub in (train, play, curve):
            sub.add_argument("--game", default="connect-four", choices=sorted(GAMES))

    def handle(self, *args, action, game, **options):
        if action == "train":
            return self._train(game, **options)
        if action == "curve":
            return self._curve(game, **options)
        return self._tournament(game, **options)

    def _train(self, slug, *, inline, self_play_games, seed, **options):
        if self_play_games is not None and self_play_games < 1:
            raise CommandError("--self-play-games must be at least 1")
        if not inline:
            try:
                task_id = train_learning_enqueue(slug=slug, trigger=GameModelVersion.Trigger.MANUAL)
            except QueueUnavailable as exc:
                raise CommandError(f"{exc}. Start the services, or use --inline to train in this process.") from None
            self.stdout.write(f"Training queued (task {task_id}); a worker trains it.")
            return
        try:
            version = train_learning_version(
                slug=slug, trigger=GameModelVersion.Trigger.MANUAL, self_play_games=self_play_games, seed=seed
            )
        except TrainingAlreadyRunning as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(str(version)))
        metrics = version.metrics
        self.stdout.write(
            f"  trained on {metrics['self_play_games']} self-play and {metrics['human_games']} recorded games"
        )
        for key in ("learning_vs_random", "learning_vs_rules", "learning_vs_strategy"):
            self.stdout.write(f"  {key}: {metrics[key]:.0%}")
        curve = ", ".join(f"{p['games']}: {p['win_rate_vs_rules']:.0%}" for p in metrics["learning_curve"])
        if curve:
            self.stdout.write(f"  win rate vs rules by training games: {curve}")
        self.stdout.write("  timings: " + ", ".join(f"{k} {v:.1f}s" for k, v in version.timings.items()))

    def _tournament(self, slug, *, games, seed, as_json: bool, **options):
        if games < 2:
            raise CommandError("--games must be at least 2 (one from each side)")
        entrants = tournament_entrants(game=game_ensure(slug=slug))
        started = time.perf_counter()
        results = tournament(entrants, games=games, seed=seed)
        for pair, rate in results.items():
            self.stdout.write(f"{pair.replace('_vs_', ' vs '):<22} {rate:6.1%}")
        self.stdout.write(f"{len(results)} pairings of {games} games in {time.perf_counter() - started:.1f} s")
        if as_json:
            self.stdout.write(json.dumps({"game": slug, "games_per_pair": games, **results}))

    def _curve(self, slug, *, out, **options):
        version = GameModelVersion.objects.active().filter(game__slug=slug).first()
        points = [
            (p["games"], p["win_rate_vs_rules"]) for p in (version.metrics.get("learning_curve", []) if version else [])
        ]
        if not points:
            raise CommandError("no active version with a learning curve: run `games train` first")
        title = f"{version.game} learning v{version.pk}: win rate vs rules by training games"
        with open(out, "w", encoding="utf-8") as handle:
            handle.write(learning_curve_svg(points, title=title))
        self.stdout.write(f"Wrote {out} ({len(points)} points).")
