from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save, pre_delete
from django.dispatch import receiver

from api.authentication import forget_recent_clients
from api.models import ApiClient
from catalog.models import Item


@receiver(pre_delete, sender=ApiClient)
def delete_client_data(sender, instance, **kwargs):
    # A partner's users and items exist only through that partner: deleting the
    # client must not leave their accounts, ratings, events or catalog behind.
    get_user_model().objects.filter(api_identity__client=instance).delete()
    Item.objects.filter(source=instance.item_source).delete()


@receiver(post_save, sender=ApiClient)
@receiver(post_delete, sender=ApiClient)
def forget_changed_clients(sender, **kwargs):
    # A revoked or changed client must not be served from this process's short-lived key cache.
    forget_recent_clients()
