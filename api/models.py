"""API clients (partners calling the REST API), each of one workspace, and the people they name.

A key is shown once at creation and stored only as its SHA-256: a high-entropy
random key needs no slow password hash, and a leaked database reveals no key.
"""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

KEY_PREFIX_LENGTH = 12


class ApiClientQuerySet(models.QuerySet):
    def usable(self):
        return self.filter(revoked_at__isnull=True)


class ApiClient(models.Model):
    class Scope(models.TextChoices):
        READ = "read", "Read catalog and recommendations"
        WRITE = "write", "Write items, events and delete users"
        RULES = "rules", "Read and manage merchandising rules"

    workspace = models.ForeignKey(
        "core.Workspace", on_delete=models.CASCADE, related_name="api_clients",
        help_text="The only workspace this client sees and writes.",
    )  # fmt: skip
    name = models.CharField(max_length=100)
    key_prefix = models.CharField(max_length=KEY_PREFIX_LENGTH, db_index=True, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(default=list, blank=True, help_text='Any of "read", "write".')
    throttle_rate = models.CharField(
        max_length=20, blank=True, help_text="Requests allowed, e.g. 600/min or 20/s; empty uses API_THROTTLE_RATE."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True, help_text="Revoked keys are refused at once.")

    objects = ApiClientQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = "API client"

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    def set_new_key(self) -> str:
        """Give the client a fresh key and return it; only its hash is kept."""
        key = "enc_" + secrets.token_urlsafe(32)
        self.key_prefix, self.key_hash = key[:KEY_PREFIX_LENGTH], self.hash_key(key)
        return key

    def revoke(self) -> None:
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])


class ClientUser(models.Model):
    """A partner's user: a person of the workspace, known to its API clients by the partner's own id.

    Every client of the workspace names the same person by the same id (a read-only key and a
    write key of one partner agree); `client` is the one that sent it first.
    """

    workspace = models.ForeignKey("core.Workspace", on_delete=models.CASCADE, related_name="client_users")
    client = models.ForeignKey(ApiClient, on_delete=models.SET_NULL, null=True, blank=True, related_name="users")
    external_id = models.CharField(max_length=150)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_identity")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "external_id"], name="clientuser_unique_external_id_per_workspace"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.workspace_id}:{self.external_id}"
