"""The admin per workspace: staff limited to their workspaces (scoping), and the workspaces (workspaces)."""

from core.admin import workspaces  # noqa: F401 - registers the workspaces' admin
from core.admin.scoping import (
    WorkspaceFilter,
    WorkspaceScopedAdmin,
    WorkspaceScopedForm,
    WorkspaceScopedInline,
    within,
    workspace_id_of,
    workspace_id_suggested,
    workspace_ids_allowed,
    workspaces_allowed,
)

__all__ = [
    "WorkspaceFilter",
    "WorkspaceScopedAdmin",
    "WorkspaceScopedForm",
    "WorkspaceScopedInline",
    "within",
    "workspace_id_of",
    "workspace_id_suggested",
    "workspace_ids_allowed",
    "workspaces_allowed",
]
