from django.conf import settings
from django.db.models.signals import post_save, pre_delete
from django.dispatch import receiver

from accounts.models import Profile
from core.models import Workspace


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def person_of_default_workspace(sender, instance, created, raw=False, **kwargs):
    # Every account is a person of exactly one workspace. Accounts made one at a time (sign-up,
    # createsuperuser, the admin) are the website's; the bulk paths that make a partner's or an
    # import's people (bulk_create sends no signal) create their profiles with their workspace.
    if created and not raw:
        from core.workspaces import default_workspace_id

        Profile.objects.get_or_create(user=instance, defaults={"workspace_id": default_workspace_id()})


@receiver(pre_delete, sender=Workspace)
def forget_workspace_people(sender, instance, **kwargs):
    # The catalog, events and models of a workspace go with it (their foreign keys cascade); its
    # people are accounts, which would outlive their profiles: they are forgotten first.
    from catalog.services import people_forget

    people_forget(user_ids=list(Profile.objects.filter(workspace=instance).values_list("user_id", flat=True)))
