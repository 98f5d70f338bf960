"""Upgrading a database made before workspaces: nothing is lost, nothing private stays public."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.models import Profile
from api.models import ApiClient, ClientUser
from catalog.models import Genre, Interaction, Item, Rating, Tag
from core.models import Workspace
from recommendations.models import ModelVersion

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [
    ("core", None),
    ("catalog", "0003_recount_item_stats"),
    ("accounts", "0001_initial"),
    ("api", "0001_initial"),
    ("recommendations", "0003_artifact_checksum_and_broken"),
]


def _old_world(apps) -> dict:
    """A platform as it was: a public catalog, a partner with private items, genres and people."""
    User = apps.get_model("auth", "User")
    Item, Genre, Tag, ItemTag = (apps.get_model("catalog", name) for name in ["Item", "Genre", "Tag", "ItemTag"])
    Rating, Interaction = apps.get_model("catalog", "Rating"), apps.get_model("catalog", "Interaction")
    ApiClient, ClientUser = apps.get_model("api", "ApiClient"), apps.get_model("api", "ClientUser")
    ModelVersion = apps.get_model("recommendations", "ModelVersion")

    drama, junk = Genre.objects.create(name="Drama", slug="drama"), Genre.objects.create(name="Junk 1", slug="junk-1")
    classic = Tag.objects.create(name="classic")
    public = Item.objects.create(title="Public Film", source="movielens", source_id="1")
    public.genres.add(drama)
    ItemTag.objects.create(item=public, tag=classic, count=3)
    client = ApiClient.objects.create(name="Acme Streaming", key_prefix="enc_x", key_hash="h" * 64, scopes=["read"])
    private = Item.objects.create(title="Acme Secret", source=f"client:{client.pk}", source_id="sku-1")
    private.genres.add(drama, junk)
    ItemTag.objects.create(item=private, tag=classic, count=1)

    member = User.objects.create(username="member")
    partner_person = User.objects.create(username=f"api:{client.pk}:abc")
    ClientUser.objects.create(client=client, external_id="u1", user=partner_person)
    Rating.objects.create(user=member, item=public, value=1.0)
    Rating.objects.create(user=partner_person, item=public, value=5.0)  # a partner's person on a public film
    Rating.objects.create(user=partner_person, item=private, value=4.0)
    Interaction.objects.create(user=partner_person, item=public, kind="play")
    Rating.objects.create(user=member, item=private, value=2.0)  # only possible through an old bug
    Item.objects.filter(pk=public.pk).update(rating_count=2, rating_avg=3.0)
    ModelVersion.objects.create(algorithm="hybrid", status="active")
    return {"public": public.pk, "private": private.pk, "client": client.pk, "member": member.pk,
            "partner_person": partner_person.pk}  # fmt: skip


def test_upgrading_moves_each_partner_into_its_own_workspace_without_losing_its_history():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = _old_world(executor.loader.project_state([t for t in BEFORE if t[1]]).apps)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    default = Workspace.objects.get(slug="default")
    acme = ApiClient.objects.get(pk=old["client"]).workspace
    assert acme.slug == "acme-streaming" and acme.name == "Acme Streaming"

    # The public catalog stays public, and no longer counts the partner's people.
    public = Item.objects.get(pk=old["public"])
    assert public.workspace == default
    assert (public.rating_count, public.rating_avg) == (1, 1.0)
    assert list(Genre.objects.filter(workspace=default).values_list("name", flat=True)) == ["Drama"]
    assert list(Tag.objects.filter(workspace=default).values_list("name", flat=True)) == ["classic"]

    # The partner's item, genres, tags and people are the partner workspace's.
    private = Item.objects.get(pk=old["private"])
    assert (private.workspace, private.source, private.source_id) == (acme, "api", "sku-1")
    assert sorted(g.name for g in private.genres.all()) == ["Drama", "Junk 1"]
    assert {g.workspace_id for g in private.genres.all()} == {acme.pk}
    assert [t.tag.name for t in private.itemtag_set.all()] == ["classic"]
    assert Profile.objects.get(user_id=old["partner_person"]).workspace == acme
    assert ClientUser.objects.get(external_id="u1").workspace == acme

    # Its person's history on the public film follows them onto the workspace's own copy of it.
    person_ratings = {
        r.item.title: (r.value, r.item.workspace_id) for r in Rating.objects.filter(user_id=old["partner_person"])
    }
    assert person_ratings == {"Public Film": (5.0, acme.pk), "Acme Secret": (4.0, acme.pk)}
    copy = Item.objects.get(workspace=acme, source="movielens", source_id="1")
    assert (copy.rating_count, copy.rating_avg) == (1, 5.0)
    assert [g.name for g in copy.genres.all()] == ["Drama"]
    assert Interaction.objects.get(user_id=old["partner_person"]).item == copy

    # A member's rating of the private item belonged to no workspace: it is gone; the member stays public.
    assert list(Rating.objects.filter(user_id=old["member"]).values_list("item_id", flat=True)) == [public.pk]
    assert Profile.objects.get(user_id=old["member"]).workspace == default
    assert (private.rating_count, private.rating_avg) == (1, 4.0)

    # Every row has its workspace; the model that served keeps serving the website.
    assert ModelVersion.objects.get().workspace == default
    assert not Item.objects.filter(source__startswith="client:").exists()
