from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from api.authentication import forget_recent_clients
from api.models import ApiClient

# A client is one key of its workspace: deleting it leaves the workspace's catalog and people to
# the workspace's other clients (deleting the workspace deletes them; see accounts.signals).


@receiver(post_save, sender=ApiClient)
@receiver(post_delete, sender=ApiClient)
def forget_changed_clients(sender, **kwargs):
    # A revoked or changed client must not be served from this process's short-lived key cache.
    forget_recent_clients()
