from django.contrib.auth import get_user_model
from django.db.models.signals import pre_delete
from django.dispatch import receiver

from api.models import ApiClient


@receiver(pre_delete, sender=ApiClient)
def delete_client_users(sender, instance, **kwargs):
    # A partner's users exist only through that partner: deleting the client
    # must not leave their accounts, ratings and events behind.
    get_user_model().objects.filter(api_identity__client=instance).delete()
