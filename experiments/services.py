"""The one write path of experiments: create, train a candidate, start, stop, promote.

Every change of what serves a workspace's people tells the process's serving cache at once
(`serving.running_experiments.forget`); other processes see it within their check interval.
Refusals are ValidationErrors whose message says what to do instead.
"""

import re
import time

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.models import Workspace
from experiments.models import CONTROL, Experiment, Variant
from experiments.serving import running_experiments
from recommendations.engine import ALGORITHMS
from recommendations.models import ModelVersion
from recommendations.tasks import QueueUnavailable, train_model_enqueue
from recommendations.training import (
    TrainingAlreadyRunning,
    model_version_activate,
    quality_guard,
    train_model_version,
)

VARIANT_NAME_MAX = Variant._meta.get_field("name").max_length
SERVABLE = (ModelVersion.Status.READY, ModelVersion.Status.ACTIVE)


def algorithm_check(algorithm: str) -> str:
    """`algorithm` if the engine has it, else a ValidationError naming the ones it has."""
    if algorithm not in ALGORITHMS:
        raise ValidationError(f"Unknown algorithm {algorithm!r}: choose one of {', '.join(ALGORITHMS)}.")
    return algorithm


def candidate_check(workspace: Workspace, version: ModelVersion) -> None:
    """Refuse a version that cannot be a candidate of the workspace: another workspace's, or one without a
    servable model (still training, failed, retired, broken)."""
    if version.workspace_id != workspace.pk:
        raise ValidationError(f"{version} belongs to another workspace than {workspace.slug}.")
    if version.status not in SERVABLE or not version.artifact:
        raise ValidationError(
            f"{version} cannot be a candidate: only a finished version with its model file (ready or active) can."
        )


def candidates_clean(workspace: Workspace, candidates: list[dict]) -> list[dict]:
    """The candidates as stored: each {name, version, algorithm} with its default name filled in.

    A candidate is a given version (name: `v<id>` unless named) or an algorithm still to be trained
    (name: the algorithm); a given version's algorithm, when also named, must be the version's.
    """
    if not candidates:
        raise ValidationError("An experiment needs at least one candidate besides control.")
    cleaned, names = [], set()
    for candidate in candidates:
        version, algorithm = candidate.get("version"), (candidate.get("algorithm") or "").strip()
        if version is None and not algorithm:
            raise ValidationError("A candidate needs a model version or an algorithm to train.")
        if algorithm:
            algorithm_check(algorithm)
        if version is not None:
            candidate_check(workspace, version)
            if algorithm and version.algorithm != algorithm:
                raise ValidationError(f"{version} is a {version.algorithm} model, not {algorithm}.")
        name = (candidate.get("name") or "").strip() or algorithm or f"v{version.pk}"
        if name == CONTROL:
            raise ValidationError(f"{CONTROL!r} is the serving model's variant: name the candidate otherwise.")
        if len(name) > VARIANT_NAME_MAX:
            raise ValidationError(f"The variant name {name!r} is longer than {VARIANT_NAME_MAX} characters.")
        if name in names:
            raise ValidationError(f"Two candidates are called {name!r}: name them apart.")
        names.add(name)
        cleaned.append({"name": name, "version": version, "algorithm": algorithm})
    return cleaned


def experiment_check(workspace: Workspace, name: str, traffic: int) -> None:
    """Refuse a name that is not valid or already used in the workspace, or a share outside 1..100 %."""
    if not isinstance(traffic, int) or isinstance(traffic, bool) or not 1 <= traffic <= 100:
        raise ValidationError(f"The traffic is a percentage of people from 1 to 100, not {traffic!r}.")
    field = Experiment._meta.get_field("name")
    if not name or len(name) > field.max_length:
        raise ValidationError(f"An experiment name has 1 to {field.max_length} characters.")
    try:
        field.run_validators(name)
    except ValidationError as exc:
        raise ValidationError(f"{name!r} is not a valid experiment name: {' '.join(exc.messages)}") from None
    if Experiment.objects.filter(workspace=workspace, name=name).exists():
        raise ValidationError(f"Workspace {workspace.slug} already has an experiment called {name!r}.")


def experiment_create(workspace: Workspace, name: str, traffic: int, candidates: list[dict]) -> Experiment:
    """A draft experiment of the workspace: `control` (whatever version serves the workspace) and the candidates.

    candidates: dicts {name, version (a ModelVersion or None), algorithm (str or "")}; a candidate without
    a version is trained by `experiment_candidates_train` (the experiment cannot start before).
    """
    experiment_check(workspace, name, traffic)
    cleaned = candidates_clean(workspace, candidates)
    note = _dated("Created with " + ", ".join(_candidate_text(c) for c in cleaned) + ".")
    try:
        with transaction.atomic():
            experiment = Experiment.objects.create(workspace=workspace, name=name, traffic=traffic, note=note)
            Variant.objects.create(experiment=experiment, name=CONTROL)
            Variant.objects.bulk_create(
                Variant(experiment=experiment, name=c["name"], model_version=c["version"], algorithm=c["algorithm"])
                for c in cleaned
            )
    except IntegrityError:  # created under the same name by another process meanwhile
        raise ValidationError(f"Workspace {workspace.slug} already has an experiment called {name!r}.") from None
    return experiment


def candidate_train(workspace: Workspace, algorithm: str) -> ModelVersion:
    """Train a version of `algorithm` on the workspace's data, in this process, that does not become active:
    it stays ready for an experiment to serve. Refused (ValidationError) while another run of the workspace
    trains, and when the run fails (the message has the version and its error)."""
    algorithm_check(algorithm)
    try:
        version = train_model_version(
            workspace_id=workspace.pk, algorithm=algorithm, trigger=ModelVersion.Trigger.EXPERIMENT
        )
    except TrainingAlreadyRunning as exc:
        raise ValidationError(f"Cannot train the candidate now: {exc}.") from None
    if version.status != ModelVersion.Status.READY:
        raise ValidationError(f"Training the {algorithm} candidate failed ({version}): {version.error}")
    return version


def experiment_candidates_train(experiment: Experiment) -> list[tuple[Variant, ModelVersion, float]]:
    """Train each candidate of a draft experiment that has no version yet. Returns (variant, its new version,
    seconds the training took here) for each one trained."""
    if experiment.status != Experiment.Status.DRAFT:
        raise ValidationError(f"{experiment} is {experiment.get_status_display().lower()}: its candidates are set.")
    trained = []
    for variant in experiment.variants.exclude(name=CONTROL).filter(model_version__isnull=True):
        started = time.perf_counter()
        version = candidate_train(experiment.workspace, variant.algorithm)
        seconds = time.perf_counter() - started
        Variant.objects.filter(pk=variant.pk).update(model_version=version)
        variant.model_version = version
        note_add(experiment, f"Candidate {variant.name} trained: {version}, ndcg@10 {_ndcg(version)}, {seconds:.1f} s.")
        trained.append((variant, version, seconds))
    return trained


def experiment_candidates_claim(experiment: Experiment) -> list[Variant]:
    """Give each candidate of a draft experiment still without a version the newest candidate version of its
    algorithm trained for an experiment of the workspace since this one was created, and not taken by
    another variant (the worker's run that `experiment_candidates_queue` asked for). Returns those given one."""
    claimed = []
    if experiment.status != Experiment.Status.DRAFT:
        return claimed
    for variant in experiment.variants.exclude(name=CONTROL).filter(model_version__isnull=True):
        taken = Variant.objects.filter(model_version__isnull=False).values("model_version_id")
        version = (
            ModelVersion.objects.servable()
            .filter(workspace_id=experiment.workspace_id, trigger=ModelVersion.Trigger.EXPERIMENT,
                    algorithm=variant.algorithm, status=ModelVersion.Status.READY,
                    created_at__gte=experiment.created_at)
            .exclude(pk__in=taken)
            .order_by("-created_at", "-pk")
            .first()
        )  # fmt: skip
        if version is not None:
            Variant.objects.filter(pk=variant.pk).update(model_version=version)
            variant.model_version = version
            note_add(experiment, f"Candidate {variant.name} trained: {version}, ndcg@10 {_ndcg(version)}.")
            claimed.append(variant)
    return claimed


def experiment_candidates_queue(experiment: Experiment) -> str:
    """Ask the workers to train the draft experiment's next candidate without a version; says what it did.

    One run at a time per workspace: while one trains, nothing is queued (ask again once it has finished).
    The finished version is given to its candidate by `experiment_candidates_claim`. With eager tasks
    (one-process setups) the run happens here and the candidate has its version on return.
    """
    experiment_candidates_claim(experiment)
    variant = experiment.variants.exclude(name=CONTROL).filter(model_version__isnull=True).first()
    if variant is None:
        return "Every candidate has its model."
    training = ModelVersion.objects.training().filter(workspace_id=experiment.workspace_id).first()
    if training is not None:
        return f"{training} is training in {experiment.workspace.slug}: ask again once it has finished."
    try:
        train_model_enqueue(
            workspace_id=experiment.workspace_id, trigger=ModelVersion.Trigger.EXPERIMENT, algorithm=variant.algorithm
        )
    except QueueUnavailable as exc:
        raise ValidationError(
            f"Cannot queue the training of {variant.name}: {exc}. Train it with "
            f"`manage.py experiment start {experiment.name}`."
        ) from None
    experiment_candidates_claim(experiment)
    variant.refresh_from_db()
    if variant.model_version is not None:
        return f"Trained the {variant.name} candidate: {variant.model_version}."
    return f"The training of the {variant.name} candidate is queued on the workers: start again once it has finished."


def experiment_start(experiment: Experiment) -> Experiment:
    """Serve the candidates to the experiment's share of the workspace's people from now on.

    Only a draft starts (a stopped experiment's figures stay those of its run: start a new one), every
    candidate needs its servable version, and a workspace runs one experiment at a time.
    """
    experiment.refresh_from_db()
    if experiment.status != Experiment.Status.DRAFT:
        raise ValidationError(
            f"{experiment} is {experiment.get_status_display().lower()}: only a draft experiment starts "
            "(create a new one to run again)."
        )
    for variant in experiment.variants.exclude(name=CONTROL).select_related("model_version"):
        if variant.model_version is None:
            raise ValidationError(
                f"Candidate {variant.name} has no model yet: train it first (manage.py experiment start trains it)."
            )
        candidate_check(experiment.workspace, variant.model_version)
    running = _running(experiment.workspace_id, exclude=experiment.pk)
    if running is not None:
        raise ValidationError(_running_message(running))
    experiment.status, experiment.started_at = Experiment.Status.RUNNING, timezone.now()
    try:
        with transaction.atomic():
            started = Experiment.objects.filter(pk=experiment.pk, status=Experiment.Status.DRAFT).update(
                status=experiment.status, started_at=experiment.started_at
            )
    except IntegrityError:  # another one started meanwhile: the database allows one running per workspace
        experiment.refresh_from_db()
        raise ValidationError(_running_message(_running(experiment.workspace_id, exclude=experiment.pk))) from None
    if not started:
        experiment.refresh_from_db()
        raise ValidationError(f"{experiment} was {experiment.get_status_display().lower()} meanwhile.")
    running_experiments.forget(experiment.workspace_id)
    note_add(experiment, f"Started: {experiment.traffic}% of the people get a candidate.")
    return experiment


def experiment_stop(experiment: Experiment) -> Experiment:
    """Serve everyone control again; the experiment's figures stay for its report."""
    experiment.refresh_from_db()
    if experiment.status != Experiment.Status.RUNNING:
        raise ValidationError(f"{experiment} is not running (it is {experiment.get_status_display().lower()}).")
    _stop(experiment)
    note_add(experiment, "Stopped.")
    return experiment


def experiment_promote(experiment: Experiment, variant_name: str, *, force: bool = False) -> ModelVersion:
    """Activate a candidate's version for the whole workspace, through the quality guard of training
    (the candidate's offline nDCG@10 against the serving version's, within the workspace's tolerance),
    and stop the experiment. force: activate even if the guard refuses (the version is then marked forced).

    A refusal is recorded in the experiment's note and raised as a ValidationError; the experiment goes on.
    """
    experiment.refresh_from_db()
    if experiment.status == Experiment.Status.DRAFT:
        raise ValidationError(f"{experiment} has not run yet: start it and compare before promoting a candidate.")
    variant = experiment.variants.select_related("model_version").filter(name=variant_name).first()
    if variant is None or variant.is_control:
        names = list(experiment.variants.exclude(name=CONTROL).values_list("name", flat=True))
        raise ValidationError(f"{experiment} has no candidate {variant_name!r}: its candidates are {', '.join(names)}.")
    version = variant.model_version
    # The guard's advice is training's ("train with --force"); promotion's own way past it is said here.
    refusal = re.sub(r"\s*\([^()]*--force[^()]*\)", "", quality_guard(version=version))
    if refusal and not force:
        note_add(experiment, f"Promotion of {variant.name} ({version}) refused: {refusal}")
        raise ValidationError(
            f"{variant.name} was not promoted. {refusal} Force it to promote it anyway (`manage.py experiment "
            f"promote {experiment.name} {variant.name} --force`, or the admin's box)."
        )
    if refusal:
        ModelVersion.objects.filter(pk=version.pk).update(forced=True)
        version.forced = True
    try:
        model_version_activate(version=version)
    except ValueError as exc:
        note_add(experiment, f"Promotion of {variant.name} failed: {exc}")
        raise ValidationError(f"{variant.name} was not promoted: {exc}") from None
    if experiment.status == Experiment.Status.RUNNING:
        _stop(experiment)
    running_experiments.forget(experiment.workspace_id)
    forced = f", forced past the quality guard ({refusal})" if refusal else ""
    note_add(experiment, f"Promoted {variant.name}: v{version.pk} now serves the workspace{forced}; stopped.")
    return version


def note_add(experiment: Experiment, text: str) -> None:
    """Add a dated line to the experiment's record of what happened."""
    line = _dated(text)
    experiment.note = f"{experiment.note}\n{line}" if experiment.note else line
    Experiment.objects.filter(pk=experiment.pk).update(note=experiment.note)


def _dated(text: str) -> str:
    return f"{timezone.now():%Y-%m-%d %H:%M} {text}"


def _stop(experiment: Experiment) -> None:
    experiment.status, experiment.stopped_at = Experiment.Status.STOPPED, timezone.now()
    Experiment.objects.filter(pk=experiment.pk).update(status=experiment.status, stopped_at=experiment.stopped_at)
    running_experiments.forget(experiment.workspace_id)


def _running(workspace_id: int, *, exclude: int | None = None) -> Experiment | None:
    return (
        Experiment.objects.filter(workspace_id=workspace_id, status=Experiment.Status.RUNNING).exclude(pk=exclude)
    ).first()


def _running_message(running: Experiment | None) -> str:
    if running is None:
        return "Another experiment of this workspace started meanwhile: stop it first."
    return (
        f"Workspace {running.workspace.slug} already runs the experiment {running.name!r} "
        f"(since {running.started_at:%Y-%m-%d %H:%M}): stop it first."
    )


def _candidate_text(candidate: dict) -> str:
    version = candidate["version"]
    source = f"v{version.pk} ({version.algorithm})" if version is not None else f"{candidate['algorithm']}, to train"
    return f"{candidate['name']} = {source}"


def _ndcg(version: ModelVersion) -> str:
    return "—" if version.ndcg is None else f"{version.ndcg:.4f}"
