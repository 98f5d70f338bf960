"""Staff limited to their workspaces: the scoping every admin of tenant data shares.

Superusers see every workspace. Any other staff member sees only the workspaces
they are listed on (`Workspace.staff`), and through them only those workspaces'
items, people, events, models and API clients: every list, change form, delete,
action, autocomplete and choice of a related object. Django's permissions still
say what kind of thing they may do; the membership says where.

Every admin of tenant data derives from `WorkspaceScopedAdmin` (inlines from
`WorkspaceScopedInline`) and names the way from its model to the workspace.
"""

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import ForeignKeyRawIdWidget
from django.core.exceptions import ImproperlyConfigured, ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db.models import F, QuerySet

from core.models import DEFAULT_SLUG, Workspace
from core.workspaces import default_workspace_id

# --- Who may see which workspaces -------------------------------------------------------------


def workspace_ids_allowed(request) -> frozenset[int] | None:
    """The workspaces the request's staff member may see; None for every one (superusers)."""
    user = request.user
    if user.is_superuser:
        return None
    cached = getattr(request, "_workspace_ids_allowed", None)
    if cached is None:
        listed = user.staff_workspaces.values_list("pk", flat=True) if user.is_active and user.is_staff else []
        cached = request._workspace_ids_allowed = frozenset(listed)
    return cached


def workspaces_allowed(request) -> QuerySet[Workspace]:
    ids = workspace_ids_allowed(request)
    workspaces = Workspace.objects.all()
    return workspaces if ids is None else workspaces.filter(pk__in=ids)


def within(queryset: QuerySet, path: str, request) -> QuerySet:
    """`queryset` reduced to the allowed workspaces; `path` leads from its model to the workspace."""
    ids = workspace_ids_allowed(request)
    return queryset if ids is None else queryset.filter(**{f"{path}__in": ids})


def workspace_id_of(obj, path: str) -> int | None:
    """The pk of the workspace `obj` belongs to, following `path` ("workspace", "item__workspace")."""
    *hops, last = path.split("__")
    for hop in hops:
        try:
            obj = getattr(obj, hop)
        except ObjectDoesNotExist:
            return None
        if obj is None:
            return None
    return getattr(obj, f"{last}_id", None)


def workspace_id_suggested(request) -> int | None:
    """The workspace a new object goes to unless staff choose another: their only one, else the website's."""
    ids = workspace_ids_allowed(request)
    if ids is None:
        return default_workspace_id()
    if len(ids) == 1:
        return next(iter(ids))
    return Workspace.objects.filter(pk__in=ids, slug=DEFAULT_SLUG).values_list("pk", flat=True).first()


class WorkspaceFilter(admin.SimpleListFilter):
    """Filter a list by workspace; only the workspaces the staff member may see are offered."""

    title = "workspace"
    parameter_name = "workspace"

    def __init__(self, request, params, model, model_admin):
        self.path = model_admin.workspace_path
        super().__init__(request, params, model, model_admin)

    def lookups(self, request, model_admin):
        return [(str(w.pk), w.slug) for w in workspaces_allowed(request).only("pk", "slug")]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if value not in {key for key, _ in self.lookup_choices}:
            return queryset.none()  # a workspace the staff member may not see, or no workspace at all
        return queryset.filter(**{self.path: value})


# --- Forms and choices ---------------------------------------------------------------------------


class WorkspaceScopedForm(forms.ModelForm):
    """Refuses a related object (genre, tag, client, person) of another workspace than the object's own.

    The admin sets `workspace_path` (from the form's model to its workspace) and
    `related_paths` (field name -> path from the chosen objects to theirs).
    """

    workspace_path = "workspace"
    related_paths: dict[str, str] = {}

    def clean(self):
        cleaned = super().clean()
        own = self._own_workspace_id()
        if own is None:
            return cleaned
        for name, path in self.related_paths.items():
            chosen = cleaned.get(name)
            if chosen is None:
                continue
            if isinstance(chosen, QuerySet):
                stray = chosen.exclude(**{path: own}).exists()
            else:
                stray = workspace_id_of(chosen, path) != own
            if stray:
                self.add_error(name, "Choose only from this object's own workspace.")
        return cleaned

    def _own_workspace_id(self) -> int | None:
        # The workspace chosen in this form (a new object, or an inline's parent), else the stored one.
        first, _, rest = self.workspace_path.partition("__")
        if first in self.cleaned_data:
            value = self.cleaned_data[first]
            if value is None:
                return None
            return workspace_id_of(value, rest) if rest else value.pk
        return workspace_id_of(self.instance, self.workspace_path)


class ScopedRawIdWidget(ForeignKeyRawIdWidget):
    """A raw id field that names only an object the staff member may see (an id typed for another
    workspace's object is refused by the form, and must not show that object's name either)."""

    def __init__(self, rel, admin_site, *, queryset, using=None):
        super().__init__(rel, admin_site, using=using)
        self.queryset = queryset

    def label_and_url_for_value(self, value):
        try:
            visible = self.queryset.filter(**{self.rel.get_related_field().name: value}).exists()
        except (ValueError, ValidationError):
            return "", ""
        return super().label_and_url_for_value(value) if visible else ("", "")


class ScopedChoices:
    """Choices of related objects limited to the staff member's workspaces, and to the object's own."""

    workspace_path = "workspace"

    def workspace_path_of(self, model) -> str | None:
        """How `model` leads to its workspace (None: it is not tenant data)."""
        if model is Workspace:
            return "pk"
        if not self.admin_site.is_registered(model):
            return None
        related = self.admin_site.get_model_admin(model)
        return related.workspace_path if isinstance(related, WorkspaceScopedAdmin) else None

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        kwargs = self._scoped(db_field, request, kwargs)
        if "queryset" in kwargs and db_field.name in self.raw_id_fields and "widget" not in kwargs:
            kwargs["widget"] = ScopedRawIdWidget(
                db_field.remote_field, self.admin_site, queryset=kwargs["queryset"], using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        return super().formfield_for_manytomany(db_field, request, **self._scoped(db_field, request, kwargs))

    def _scoped(self, db_field, request, kwargs):
        path = self.workspace_path_of(db_field.related_model)
        if path is None:
            return kwargs
        queryset = kwargs.get("queryset")
        if queryset is None:
            queryset = self.get_field_queryset(None, db_field, request)
        if queryset is None:
            queryset = db_field.related_model._default_manager.all()
        return {**kwargs, "queryset": within(queryset, path, request)}

    def scope_form(self, form, workspace_id: int | None):
        """Narrow the form's choices to the workspace of the object being changed (None: a new one,
        whose workspace is chosen in the form and checked on validation)."""
        related = {}
        for name, field in form.base_fields.items():
            if not isinstance(field, forms.ModelChoiceField):
                continue
            path = self.workspace_path_of(field.queryset.model)
            if path == "pk":
                # An object never changes workspace: its ratings, events and people stay where they are.
                if workspace_id is not None:
                    field.disabled = True
                continue
            if path is None:
                continue
            related[name] = path
            if workspace_id is not None:
                field.queryset = field.queryset.filter(**{path: workspace_id})
        if not related:
            return form
        if not issubclass(form, WorkspaceScopedForm):
            raise ImproperlyConfigured(f"{type(self).__name__}: its form must derive from WorkspaceScopedForm")
        form.workspace_path, form.related_paths = self.workspace_path, related
        return form


# --- Admins of tenant data -----------------------------------------------------------------------


class WorkspaceScopedAdmin(ScopedChoices, admin.ModelAdmin):
    """The admin of tenant data: a workspace column and filter, and nothing outside the staff
    member's workspaces. `workspace_path` leads from the model to its workspace."""

    form = WorkspaceScopedForm

    def get_queryset(self, request):
        queryset = within(super().get_queryset(request), self.workspace_path, request)
        return queryset.annotate(workspace_slug=F(f"{self.workspace_path}__slug"))

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        return [*columns[:1], "workspace_column", *columns[1:]]

    def get_list_filter(self, request):
        return [WorkspaceFilter, *super().get_list_filter(request)]

    @admin.display(description="workspace", ordering="workspace_slug")
    def workspace_column(self, obj):
        return getattr(obj, "workspace_slug", None) or "—"

    def in_scope(self, request, obj) -> bool:
        ids = workspace_ids_allowed(request)
        return obj is None or ids is None or workspace_id_of(obj, self.workspace_path) in ids

    def has_add_permission(self, request):
        return super().has_add_permission(request) and workspace_ids_allowed(request) != frozenset()

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self.in_scope(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self.in_scope(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self.in_scope(request, obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return self.scope_form(form, workspace_id_of(obj, self.workspace_path) if obj is not None else None)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        if self.workspace_path == "workspace" and "workspace" not in initial:
            initial["workspace"] = workspace_id_suggested(request)
        return initial

    def save_model(self, request, obj, form, change):
        if not self.in_scope(request, obj):
            raise PermissionDenied("This workspace is not one of yours.")
        super().save_model(request, obj, form, change)

    def workspace_ids_of_action(self, request, queryset) -> list[int]:
        """The workspaces an action on `queryset` acts on: those of the selected rows; with none
        selected, the workspace the list is filtered by, else the staff member's only one (or the
        website's for superusers)."""
        selected = sorted(set(queryset.values_list(self.workspace_path, flat=True)))
        if selected:
            return selected
        shown = request.GET.get(WorkspaceFilter.parameter_name, "")
        if shown.isdigit():
            return list(workspaces_allowed(request).filter(pk=int(shown)).values_list("pk", flat=True))
        suggested = workspace_id_suggested(request)
        return [suggested] if suggested is not None else []


class WorkspaceScopedInline(ScopedChoices):
    """An inline of tenant data: its choices are those of the parent object's workspace."""

    form = WorkspaceScopedForm

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        parent_path = self.workspace_path_of(self.parent_model)
        workspace_id = workspace_id_of(obj, parent_path) if obj is not None and obj.pk and parent_path else None
        self.scope_form(formset.form, workspace_id)
        return formset
