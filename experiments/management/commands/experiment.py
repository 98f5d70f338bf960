"""Run an experiment from the shell: start (training its candidate), stop, report, promote, list."""

import json
import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from core.models import DEFAULT_SLUG, Workspace
from core.workspaces import WorkspaceNotFound, workspace_get
from experiments.models import CONTROL, Experiment
from experiments.report import experiment_report, variants_display
from experiments.services import (
    algorithm_check,
    candidate_train,
    experiment_candidates_train,
    experiment_check,
    experiment_create,
    experiment_promote,
    experiment_start,
    experiment_stop,
)
from recommendations.engine import ALGORITHMS
from recommendations.models import ModelVersion


class Command(BaseCommand):
    help = (
        "A/B experiments of a workspace: `start NAME --algorithm ALGO [--version ID] [--traffic PERCENT]` trains "
        "the candidate (unless --version names one) and serves it to that share of the people; `stop NAME`; "
        "`report NAME [--json]`; `promote NAME VARIANT [--force]`; `list`."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        start = actions.add_parser("start", help="Create and start an experiment (or start a draft one)")
        start.add_argument("name", help="The experiment's name, unique in its workspace")
        start.add_argument(
            "--algorithm", choices=list(ALGORITHMS), help="The candidate's algorithm: trained now unless --version"
        )
        start.add_argument("--version", type=int, dest="version_id", help="An existing version as the candidate")
        start.add_argument("--traffic", type=int, default=50, help="Percent of people who get the candidate (50)")
        _workspace_option(start)

        stop = actions.add_parser("stop", help="Stop a running experiment: everyone gets control again")
        stop.add_argument("name")
        _workspace_option(stop)

        report = actions.add_parser("report", help="Figures per variant and the candidates against control")
        report.add_argument("name")
        report.add_argument("--json", action="store_true", dest="as_json", help="One JSON object, on the last line")
        _workspace_option(report)

        promote = actions.add_parser("promote", help="Activate a candidate's model (quality-guarded) and stop")
        promote.add_argument("name")
        promote.add_argument("variant", help="The candidate variant's name")
        promote.add_argument("--force", action="store_true", help="Activate even if worse offline than serving")
        _workspace_option(promote)

        listing = actions.add_parser("list", help="Every experiment (of one workspace with --workspace)")
        listing.add_argument("--workspace", default=None, help="Slug of the workspace (default: every one)")

    def handle(self, *args, action, **options):
        try:
            getattr(self, f"handle_{action}")(**options)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None

    # --- Actions ----------------------------------------------------------------------------------

    def handle_start(self, *, name, algorithm, version_id, traffic, workspace, **options):
        workspace = _workspace(workspace)
        existing = Experiment.objects.filter(workspace=workspace, name=name).first()
        if existing is not None:
            return self._start_existing(existing, given=algorithm is not None or version_id is not None)
        if algorithm is None and version_id is None:
            raise CommandError("Name the candidate: --algorithm ALGO (trained now) or --version ID.")
        # Everything that could refuse the experiment is checked before a training that may take minutes.
        experiment_check(workspace, name, traffic)
        running = Experiment.objects.filter(workspace=workspace, status=Experiment.Status.RUNNING).first()
        if running is not None:
            raise CommandError(
                f"Workspace {workspace.slug} already runs the experiment {running.name!r}: stop it first."
            )
        if version_id is not None:
            version = ModelVersion.objects.filter(workspace=workspace, pk=version_id).first()
            if version is None:
                raise CommandError(f"Workspace {workspace.slug} has no model version {version_id}.")
        else:
            version = self._train(workspace, algorithm_check(algorithm))
        candidate = {"name": algorithm or "", "version": version, "algorithm": algorithm or ""}
        experiment = experiment_create(workspace, name, traffic, [candidate])
        self._started(experiment_start(experiment))

    def handle_stop(self, *, name, workspace, **options):
        experiment = experiment_stop(_experiment(name, workspace))
        hours = (experiment.stopped_at - experiment.started_at).total_seconds() / 3600
        self.stdout.write(
            f"Experiment {experiment.name} of {experiment.workspace.slug} stopped after {hours:.1f} h: everyone gets "
            f"control again. Its figures: manage.py experiment report {experiment.name}"
            + (f" --workspace {experiment.workspace.slug}" if experiment.workspace.slug != DEFAULT_SLUG else "")
        )

    def handle_report(self, *, name, as_json, workspace, **options):
        report = experiment_report(_experiment(name, workspace))
        if as_json:
            self.stdout.write(report_json(report))
            return
        for line in report_table(report):
            self.stdout.write(line)

    def handle_promote(self, *, name, variant, force, workspace, **options):
        experiment = _experiment(name, workspace)
        version = experiment_promote(experiment, variant, force=force)
        forced = " (forced past the quality guard)" if version.forced else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"Promoted {variant}: {version} now serves workspace {experiment.workspace.slug}{forced}; "
                f"experiment {experiment.name} is stopped."
            )
        )

    def handle_list(self, *, workspace, **options):
        experiments = Experiment.objects.select_related("workspace").prefetch_related("variants")
        if workspace is not None:
            experiments = experiments.filter(workspace=_workspace(workspace))
        experiments = experiments.order_by("workspace__slug", "-created_at")
        if not experiments:
            self.stdout.write("No experiments.")
            return
        rows = [("workspace", "name", "status", "traffic", "variants", "started", "stopped")]
        for e in experiments:
            variants = ", ".join(
                v.name if v.model_version_id is None or v.name == f"v{v.model_version_id}"
                else f"{v.name} (v{v.model_version_id})"
                for v in e.variants.all()
            )  # fmt: skip
            rows.append((e.workspace.slug, e.name, e.status, f"{e.traffic}%", variants, _when(e.started_at),
                         _when(e.stopped_at)))  # fmt: skip
        for line in _columns(rows):
            self.stdout.write(line)

    # --- Steps ------------------------------------------------------------------------------------

    def _train(self, workspace: Workspace, algorithm: str) -> ModelVersion:
        self.stdout.write(f"Training the {algorithm} candidate on workspace {workspace.slug}'s data …")
        started = time.perf_counter()
        version = candidate_train(workspace, algorithm)
        self._trained(version, time.perf_counter() - started)
        return version

    def _trained(self, version: ModelVersion, seconds: float) -> None:
        stages = ", ".join(f"{k} {v:.2f}s" for k, v in version.timings.items() if isinstance(v, int | float))
        ndcg = "—" if version.ndcg is None else f"{version.ndcg:.4f}"
        self.stdout.write(
            f"Trained {version} in {seconds:.1f} s ({stages}); ndcg@10 {ndcg}; it serves nobody outside the experiment."
        )

    def _start_existing(self, experiment: Experiment, *, given: bool) -> None:
        if experiment.status != Experiment.Status.DRAFT:
            raise CommandError(
                f"Workspace {experiment.workspace.slug} already has an experiment called {experiment.name!r} "
                f"({experiment.get_status_display().lower()}): choose another name."
            )
        if given:
            raise CommandError(
                f"{experiment.name} exists already as a draft with its candidates: start it without --algorithm "
                "and --version, or choose another name."
            )
        for variant, version, seconds in experiment_candidates_train(experiment):
            self.stdout.write(f"Candidate {variant.name}:")
            self._trained(version, seconds)
        self._started(experiment_start(experiment))

    def _started(self, experiment: Experiment) -> None:
        serving = ModelVersion.objects.active().filter(workspace_id=experiment.workspace_id).first()
        candidates = ", ".join(
            f"{v.name} ({v.model_version})" for v in experiment.variants.exclude(name=CONTROL).select_related(
                "model_version"
            )
        )  # fmt: skip
        control = f"the serving model {serving}" if serving is not None else "the popular fallback (no model serves)"
        self.stdout.write(
            self.style.SUCCESS(
                f"Experiment {experiment.name} started in workspace {experiment.workspace.slug}: {experiment.traffic}% "
                f"of the people get {candidates}; everyone else gets control, {control}."
            )
        )


def _workspace_option(parser) -> None:
    parser.add_argument("--workspace", default=DEFAULT_SLUG, help=f"Slug of the workspace (default: {DEFAULT_SLUG})")


def _workspace(slug: str) -> Workspace:
    try:
        return workspace_get(slug)
    except WorkspaceNotFound as exc:
        raise CommandError(str(exc)) from None


def _experiment(name: str, slug: str) -> Experiment:
    workspace = _workspace(slug)
    experiment = Experiment.objects.filter(workspace=workspace, name=name).select_related("workspace").first()
    if experiment is None:
        known = ", ".join(Experiment.objects.filter(workspace=workspace).values_list("name", flat=True)[:20])
        raise CommandError(f"Workspace {workspace.slug} has no experiment {name!r} (it has: {known or 'none'}).")
    return experiment


def report_json(report: dict) -> str:
    """The report as one line of JSON: each variant's `ctr` is its share of clicked lists (ctr_lists)."""
    variants = [{**variant, "ctr": variant["ctr_lists"]} for variant in report["variants"]]
    return json.dumps({**report, "variants": variants}, allow_nan=False)


def report_table(report: dict) -> list[str]:
    """The report for a person: one row per variant, then the test and its p-value."""
    keys = ["name", "model", "people", "lists", "impressions", "clicked_lists", "clicks", "ctr_lists", "ctr_items",
            "conversions", "conversion_rate", "coverage", "difference", "p_value"]  # fmt: skip
    rows = [("variant", "model", "people", "lists", "items shown", "clicked lists", "clicks", "CTR lists",
             "CTR items", "conversions", "conv. rate", "coverage", "vs control (95% CI)", "p-value")]  # fmt: skip
    rows += [tuple(row[key] for key in keys) for row in variants_display(report)]
    started = report["started_at"][:16].replace("T", " ") if report["started_at"] else "not started"
    stopped = report["stopped_at"][:16].replace("T", " ") if report["stopped_at"] else "now"
    p_value = "—" if report["p_value"] is None else f"{report['p_value']:.4g}"
    return [
        f"Experiment {report['experiment']} ({report['workspace']}): {report['status']}, {report['traffic']}% of "
        f"people in candidates, {started} to {stopped}",
        *_columns(rows),
        f"Test: {report['test']}; differences in percentage points. p-value (smallest candidate's): {p_value}",
    ]


def _when(moment) -> str:
    return f"{moment:%Y-%m-%d %H:%M}" if moment else "—"


def _columns(rows: list[tuple]) -> list[str]:
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
