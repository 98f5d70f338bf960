"""Give everything that existed before workspaces its workspace, without losing anything.

- The catalog, people and model versions go to `default` (the public website).
- Each API client gets a workspace of its own and takes with it what was private to it: the items it
  sent (source "client:<id>", now source "api" in the new workspace), their genres and tags (copied into
  the workspace), and the people it sent. Those people's ratings and events on public items follow
  them onto copies of those items in the new workspace, so the public catalog's averages no longer
  count them and the partner keeps its whole history.
- Genres and tags that only a partner's items carried leave the public catalog.
- A website member's rating or event on a partner's private item (only possible through a bug of
  older versions: the website never listed those items) cannot belong to either workspace and is removed.
- Staff who are not superusers keep seeing every workspace: they are listed on each.
"""

from django.db import migrations
from django.db.models import Avg, Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils.text import slugify

OLD_PREFIX = "client:"
ITEM_FIELDS = ("kind", "title", "description", "year", "creators", "image_url", "source", "source_id",
               "external_ids", "is_active", "created_at")  # fmt: skip


def tenants_assign(apps, schema_editor):
    m = {name: apps.get_model(app, name) for app, name in [
        ("core", "Workspace"), ("catalog", "Item"), ("catalog", "Genre"), ("catalog", "Tag"), ("catalog", "ItemTag"),
        ("catalog", "Rating"), ("catalog", "Interaction"), ("accounts", "Profile"), ("api", "ApiClient"),
        ("api", "ClientUser"), ("recommendations", "ModelVersion"), ("auth", "User"),
    ]}  # fmt: skip
    Workspace, Item, Genre, Tag = m["Workspace"], m["Item"], m["Genre"], m["Tag"]
    default = Workspace.objects.get(slug="default")
    for model in (Genre, Tag, Item, m["ModelVersion"]):
        model.objects.filter(workspace__isnull=True).update(workspace=default)
    Profile, User = m["Profile"], m["User"]
    has_profile = set(Profile.objects.values_list("user_id", flat=True))
    Profile.objects.bulk_create(
        [Profile(user_id=pk, workspace=default) for pk in User.objects.values_list("pk", flat=True) if pk not in has_profile],
        batch_size=2000,
    )  # fmt: skip
    Profile.objects.filter(workspace__isnull=True).update(workspace=default)

    moved_genres, moved_tags, touched = set(), set(), set()
    for client in m["ApiClient"].objects.order_by("pk"):
        workspace = Workspace.objects.create(slug=_free_slug(Workspace, client), name=client.name[:100])
        client.workspace = workspace
        client.save(update_fields=["workspace"])
        _client_move(m, client, workspace, moved_genres, moved_tags, touched)
    m["ApiClient"].objects.filter(workspace__isnull=True).update(workspace=default)
    m["ClientUser"].objects.filter(workspace__isnull=True).update(workspace=default)

    # What only partners' items carried leaves the public catalog.
    Genre.objects.filter(pk__in=moved_genres, workspace=default, items__isnull=True).delete()
    Tag.objects.filter(pk__in=moved_tags, workspace=default, itemtag__isnull=True).delete()
    _recount(m, touched)
    staff = list(User.objects.filter(is_staff=True, is_superuser=False))
    for workspace in Workspace.objects.all():
        workspace.staff.add(*staff)


def _free_slug(Workspace, client) -> str:
    base = (slugify(client.name)[:40].strip("-") or "client").lower()
    slug = base if base != "default" else f"{base}-{client.pk}"
    if Workspace.objects.filter(slug=slug).exists():
        slug = f"{base}-{client.pk}"
    return slug


def _client_move(m, client, workspace, moved_genres, moved_tags, touched) -> None:
    Item, Rating, Interaction = m["Item"], m["Rating"], m["Interaction"]
    own = list(Item.objects.filter(source=f"{OLD_PREFIX}{client.pk}").values_list("pk", flat=True))
    Item.objects.filter(pk__in=own).update(workspace=workspace, source="api")
    people = list(m["ClientUser"].objects.filter(client=client).values_list("user_id", flat=True))
    m["ClientUser"].objects.filter(client=client).update(workspace=workspace)
    m["Profile"].objects.filter(user_id__in=people).update(workspace=workspace)

    # The partner's people's history on public items follows them onto copies of those items.
    outside = set(Rating.objects.filter(user_id__in=people).exclude(item__workspace=workspace).values_list("item_id", flat=True))
    outside |= set(Interaction.objects.filter(user_id__in=people).exclude(item__workspace=workspace).values_list("item_id", flat=True))
    copies = {}
    for item in Item.objects.filter(pk__in=outside):
        copy = Item.objects.create(workspace=workspace, **{f: getattr(item, f) for f in ITEM_FIELDS})
        copies[item.pk] = copy.pk
        touched.update((item.pk, copy.pk))
    for old, new in copies.items():
        Rating.objects.filter(user_id__in=people, item_id=old).update(item_id=new)
        Interaction.objects.filter(user_id__in=people, item_id=old).update(item_id=new)

    # Anyone else's history on the partner's private items cannot stay.
    strangers = Rating.objects.filter(item_id__in=own).exclude(user_id__in=people)
    touched.update(strangers.values_list("item_id", flat=True))
    strangers.delete()
    Interaction.objects.filter(item_id__in=own).exclude(user_id__in=people).delete()
    touched.update(own)

    _genres_move(m, workspace, own, copies, moved_genres)
    _tags_move(m, workspace, own, copies, moved_tags)


def _genres_move(m, workspace, own, copies, moved) -> None:
    Genre, Through = m["Genre"], m["Item"].genres.through
    links = list(Through.objects.filter(item_id__in=own).values_list("item_id", "genre_id"))
    links += [(copies[i], g) for i, g in Through.objects.filter(item_id__in=list(copies)).values_list("item_id", "genre_id")]
    local = {}
    for genre in Genre.objects.filter(pk__in={g for _, g in links}):
        local[genre.pk] = Genre.objects.create(workspace=workspace, name=genre.name, slug=genre.slug).pk
    own_set = set(own)
    moved.update(g for i, g in links if i in own_set)
    Through.objects.filter(item_id__in=own).delete()
    Through.objects.bulk_create([Through(item_id=i, genre_id=local[g]) for i, g in links], batch_size=2000)


def _tags_move(m, workspace, own, copies, moved) -> None:
    Tag, ItemTag = m["Tag"], m["ItemTag"]
    links = list(ItemTag.objects.filter(item_id__in=own).values_list("item_id", "tag_id", "count"))
    links += [(copies[i], t, n) for i, t, n in ItemTag.objects.filter(item_id__in=list(copies)).values_list("item_id", "tag_id", "count")]
    local = {}
    for tag in Tag.objects.filter(pk__in={t for _, t, _ in links}):
        local[tag.pk] = Tag.objects.create(workspace=workspace, name=tag.name).pk
    own_set = set(own)
    moved.update(t for i, t, _ in links if i in own_set)
    ItemTag.objects.filter(item_id__in=own).delete()
    ItemTag.objects.bulk_create([ItemTag(item_id=i, tag_id=local[t], count=n) for i, t, n in links], batch_size=2000)


def _recount(m, pks) -> None:
    Item, Rating = m["Item"], m["Rating"]
    ratings = Rating.objects.filter(item=OuterRef("pk")).values("item")
    Item.objects.filter(pk__in=list(pks)).update(
        rating_count=Coalesce(Subquery(ratings.annotate(n=Count("pk")).values("n")), 0),
        rating_avg=Subquery(ratings.annotate(a=Avg("value")).values("a")),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("catalog", "0004_workspaces"),
        ("accounts", "0002_profile_workspace"),
        ("api", "0002_workspaces"),
        ("recommendations", "0004_modelversion_workspace"),
    ]

    operations = [migrations.RunPython(tenants_assign, migrations.RunPython.noop)]
