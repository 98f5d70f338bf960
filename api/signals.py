from django.db.models.signals import post_delete, post_save, pre_delete
from django.dispatch import receiver

from api.authentication import forget_recent_clients
from api.models import ApiClient, ClientUser
from catalog.services import items_delete, people_forget


@receiver(pre_delete, sender=ApiClient)
def delete_client_data(sender, instance, **kwargs):
    # A partner's users and items exist only through that partner: deleting the
    # client must not leave their accounts, ratings, events or catalog behind.
    # Their ratings of shared items stop counting too.
    people_forget(user_ids=ClientUser.objects.filter(client=instance).values_list("user_id", flat=True))
    items_delete(source=instance.item_source)


@receiver(post_save, sender=ApiClient)
@receiver(post_delete, sender=ApiClient)
def forget_changed_clients(sender, **kwargs):
    # A revoked or changed client must not be served from this process's short-lived key cache.
    forget_recent_clients()
