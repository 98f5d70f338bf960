"""Experiments in the admin: create one, start and stop it, read its report and promote the winner.

Every change goes through experiments.services; staff see and act on their workspaces' experiments only.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html

from core.admin import WorkspaceScopedAdmin, WorkspaceScopedForm, WorkspaceScopedInline, within
from experiments.models import CONTROL, Experiment, Variant
from experiments.report import experiment_report, variants_display
from experiments.services import (
    candidates_clean,
    experiment_candidates_claim,
    experiment_candidates_queue,
    experiment_check,
    experiment_create,
    experiment_promote,
    experiment_start,
    experiment_stop,
)
from recommendations.engine import ALGORITHMS
from recommendations.models import ModelVersion


class ExperimentAddForm(WorkspaceScopedForm):
    """A new experiment: its name, share and candidates (existing versions, or algorithms trained at its start)."""

    versions = forms.ModelMultipleChoiceField(
        queryset=ModelVersion.objects.none(), required=False,
        help_text="Finished versions of the workspace, each a candidate named v<id>.",
    )  # fmt: skip
    algorithms = forms.MultipleChoiceField(
        choices=[(name, name) for name in ALGORITHMS], required=False, widget=forms.CheckboxSelectMultiple,
        help_text="Each a candidate trained on the workspace's data by the workers when you start the experiment "
                  "(it serves nobody outside the experiment); start it again once they have finished.",
    )  # fmt: skip
    versions_allowed = ModelVersion.objects.none()

    class Meta:
        model = Experiment
        fields = ["workspace", "name", "traffic"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["versions"].queryset = self.versions_allowed

    def clean(self):
        cleaned = super().clean()
        workspace, name, traffic = cleaned.get("workspace"), cleaned.get("name"), cleaned.get("traffic")
        if workspace is None or name is None or traffic is None or self.errors:
            return cleaned
        candidates = [{"version": v} for v in cleaned.get("versions", [])]
        candidates += [{"algorithm": a} for a in cleaned.get("algorithms", [])]
        try:
            experiment_check(workspace, name, traffic)
            cleaned["candidates"] = candidates_clean(workspace, candidates)
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from None
        return cleaned


class VariantInline(WorkspaceScopedInline, admin.TabularInline):
    """The experiment's arms, as they were created: control and the candidates' models."""

    model = Variant
    workspace_path = "experiment__workspace"
    fields = ["name", "version", "algorithm", "offline_ndcg"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="model")
    def version(self, variant):
        if variant.model_version_id is None:
            return "the workspace's serving version"
        url = reverse("admin:recommendations_modelversion_change", args=[variant.model_version_id])
        return format_html('<a href="{}">{}</a>', url, variant.model_version)

    @admin.display(description="offline nDCG@10")
    def offline_ndcg(self, variant):
        version = variant.model_version
        return "—" if version is None or version.ndcg is None else f"{version.ndcg:.4f}"


@admin.register(Experiment)
class ExperimentAdmin(WorkspaceScopedAdmin):
    """Each workspace's experiments. Start, stop and promote act through experiments.services."""

    list_display = ["name", "status", "traffic_share", "candidates", "started_at", "stopped_at"]
    list_filter = ["status"]
    search_fields = ["name"]
    actions = ["start", "stop"]
    inlines = [VariantInline]
    date_hierarchy = "created_at"

    # --- Lists and forms ---------------------------------------------------------------------------

    @admin.display(description="traffic", ordering="traffic")
    def traffic_share(self, experiment):
        return f"{experiment.traffic}%"

    @admin.display(description="candidates")
    def candidates(self, experiment):
        return ", ".join(v.name for v in experiment.variants.all() if v.name != CONTROL)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("variants")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["workspace", "name", "traffic", "versions", "algorithms"]
        return ["workspace", "name", "status", "traffic", "created_at", "started_at", "stopped_at", "note"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.get_fields(request, obj)

    def get_inlines(self, request, obj):
        return [] if obj is None else self.inlines

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            return super().get_form(request, obj, change=change, **kwargs)
        kwargs["form"] = type(
            "ExperimentAddForm", (ExperimentAddForm,),
            {"versions_allowed": within(ModelVersion.objects.servable(), "workspace", request)},
        )  # fmt: skip
        return super().get_form(request, obj, change=change, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            raise PermissionDenied("An experiment changes through its start, stop and promote buttons.")
        if not self.in_scope(request, obj):
            raise PermissionDenied("This workspace is not one of yours.")
        created = experiment_create(obj.workspace, obj.name, obj.traffic, form.cleaned_data["candidates"])
        obj.pk, obj._state.adding, obj.note = created.pk, False, created.note

    def save_related(self, request, form, formsets, change):
        pass  # the variants were created with the experiment

    def has_delete_permission(self, request, obj=None):
        # Deleting an experiment deletes the lists it recorded: only a draft, which has none, goes.
        return super().has_delete_permission(request, obj) and (obj is None or obj.status == Experiment.Status.DRAFT)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    # --- The change page: the report and its buttons ------------------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        experiment = self.get_object(request, unquote(object_id))
        context = {"show_save": False, "show_save_and_continue": False, "show_save_and_add_another": False,
                   **(extra_context or {})}  # fmt: skip
        if experiment is not None and self.has_view_permission(request, experiment):
            # Outside the change view's transaction: the report first credits new actions to their lists.
            report = experiment_report(experiment) if experiment.status != Experiment.Status.DRAFT else None
            context.update(
                report=report,
                report_rows=variants_display(report) if report else [],
                report_p_value="—" if report is None or report["p_value"] is None else f"{report['p_value']:.4g}",
                can_act=self.has_change_permission(request, experiment),
                start_url=reverse("admin:experiments_experiment_start", args=[experiment.pk]),
                stop_url=reverse("admin:experiments_experiment_stop", args=[experiment.pk]),
                promote_url=reverse("admin:experiments_experiment_promote", args=[experiment.pk]),
                untrained=list(
                    experiment.variants.exclude(name=CONTROL).filter(model_version__isnull=True)
                    .values_list("name", flat=True)
                ) if experiment.status == Experiment.Status.DRAFT else [],
                training=ModelVersion.objects.training().filter(workspace_id=experiment.workspace_id).first(),
            )  # fmt: skip
        return super().change_view(request, object_id, form_url, extra_context=context)

    def get_urls(self):
        own = [
            path("<path:object_id>/start/", self.admin_site.admin_view(self.start_view),
                 name="experiments_experiment_start"),
            path("<path:object_id>/stop/", self.admin_site.admin_view(self.stop_view),
                 name="experiments_experiment_stop"),
            path("<path:object_id>/promote/", self.admin_site.admin_view(self.promote_view),
                 name="experiments_experiment_promote"),
        ]  # fmt: skip
        return own + super().get_urls()

    def start_view(self, request, object_id):
        return self._act(request, object_id, self._start)

    def stop_view(self, request, object_id):
        return self._act(request, object_id, self._stop)

    def promote_view(self, request, object_id):
        def promote(experiment):
            variant, force = request.POST.get("variant", ""), request.POST.get("force") == "on"
            version = experiment_promote(experiment, variant, force=force)
            forced = " (forced past the quality guard)" if version.forced else ""
            return f"Promoted {variant}: {version} now serves {experiment.workspace}{forced}; {experiment} is stopped."

        return self._act(request, object_id, promote)

    def _act(self, request, object_id, act):
        """Run `act(experiment)` for a POST of staff who may change this experiment; back to its page."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        experiment = self.get_object(request, unquote(object_id))
        if experiment is None:
            raise Http404("No such experiment in your workspaces.")
        if not self.has_change_permission(request, experiment):
            raise PermissionDenied
        try:
            self.message_user(request, act(experiment), messages.SUCCESS)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
        return HttpResponseRedirect(reverse("admin:experiments_experiment_change", args=[experiment.pk]))

    # --- Starting and stopping -----------------------------------------------------------------------

    def _start(self, experiment: Experiment) -> str:
        """Start the experiment once each candidate has its model; until then, have the workers train the next
        one (with eager tasks it trains here, and the experiment starts at once)."""
        said = []
        if experiment.status == Experiment.Status.DRAFT:
            experiment_candidates_claim(experiment)
            untrained = _untrained(experiment)
            while untrained:
                said.append(experiment_candidates_queue(experiment))
                left = _untrained(experiment)
                if left >= untrained:
                    return " ".join(said)
                untrained = left
        experiment_start(experiment)
        done = "".join(f" {text}" for text in said)
        return f"{experiment} started: {experiment.traffic}% of {experiment.workspace}'s people get a candidate.{done}"

    def _stop(self, experiment: Experiment) -> str:
        experiment_stop(experiment)
        return f"{experiment} stopped: everyone in {experiment.workspace} gets control again."

    @admin.action(
        description="Start the selected experiments (training candidates not trained yet)", permissions=["change"]
    )
    def start(self, request, queryset):
        self._each(request, queryset, self._start)

    @admin.action(description="Stop the selected experiments", permissions=["change"])
    def stop(self, request, queryset):
        self._each(request, queryset, self._stop)

    def _each(self, request, queryset, act):
        for experiment in queryset.select_related("workspace"):
            if not self.has_change_permission(request, experiment):
                self.message_user(request, f"{experiment}: you may not change it.", messages.ERROR)
                continue
            try:
                self.message_user(request, act(experiment), messages.SUCCESS)
            except ValidationError as exc:
                self.message_user(request, f"{experiment}: {' '.join(exc.messages)}", messages.ERROR)


def _untrained(experiment: Experiment) -> int:
    return experiment.variants.exclude(name=CONTROL).filter(model_version__isnull=True).count()
