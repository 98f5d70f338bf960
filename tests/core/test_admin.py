"""The admin per workspace: staff limited to their workspaces see and change only those."""

import re
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Profile
from api.models import ApiClient, ClientUser
from catalog.models import Genre, Interaction, Item, ItemTag, Rating, Tag
from catalog.services import interaction_record, rating_upsert
from core.models import Workspace
from recommendations.models import ModelVersion, TrendingScore
from tests.factories import GenreFactory, ItemFactory, TagFactory, UserFactory, WorkspaceFactory
from tests.queues import queued_messages

pytestmark = pytest.mark.django_db

# Every list of tenant data, by admin URL name.
TENANT_ADMINS = [
    "catalog_item", "catalog_genre", "catalog_tag", "catalog_rating", "catalog_interaction", "auth_user",
    "api_apiclient", "api_clientuser", "recommendations_modelversion", "recommendations_trendingscore",
]  # fmt: skip


@dataclass
class Tenant:
    """One workspace's rows, one of each kind, each named after the workspace."""

    workspace: Workspace
    item: Item
    genre: Genre
    tag: Tag
    person: User
    rating: Rating
    event: Interaction
    api_client: ApiClient
    client_user: ClientUser
    version: ModelVersion
    trending: TrendingScore

    def row(self, admin_name: str):
        return {
            "catalog_item": self.item, "catalog_genre": self.genre, "catalog_tag": self.tag,
            "catalog_rating": self.rating, "catalog_interaction": self.event, "auth_user": self.person,
            "api_apiclient": self.api_client, "api_clientuser": self.client_user,
            "recommendations_modelversion": self.version, "recommendations_trendingscore": self.trending,
        }[admin_name]  # fmt: skip


def person_of(workspace: Workspace, username: str, **fields) -> User:
    user = UserFactory(username=username, **fields)
    Profile.objects.filter(user=user).update(workspace=workspace)
    return user


def make_tenant(slug: str) -> Tenant:
    workspace = WorkspaceFactory(slug=slug, name=f"{slug.title()} Corp")
    genre = GenreFactory(workspace=workspace, name=f"{slug} genre")
    item = ItemFactory(workspace=workspace, title=f"{slug} film", genres=[genre])
    tag = TagFactory(workspace=workspace, name=f"{slug} tag")
    ItemTag.objects.create(item=item, tag=tag)
    person = person_of(workspace, f"{slug}-person")
    api_client = ApiClient(workspace=workspace, name=f"{slug} app", scopes=["read"])
    api_client.set_new_key()
    api_client.save()
    return Tenant(
        workspace=workspace,
        item=item,
        genre=genre,
        tag=tag,
        person=person,
        rating=rating_upsert(user=person, item=item, value=4.0),
        event=interaction_record(user=person, item=item, kind=Interaction.Kind.LIKE)[0],
        api_client=api_client,
        client_user=ClientUser.objects.create(
            workspace=workspace, client=api_client, external_id=f"{slug}-ext", user=person_of(workspace, f"{slug}-ext")
        ),
        version=ModelVersion.objects.create(
            workspace=workspace, algorithm="ease", status=ModelVersion.Status.ACTIVE, metrics={"ndcg@10": 0.4321}
        ),
        trending=TrendingScore.objects.create(item=item, score=1.5, computed_at=timezone.now()),
    )


@pytest.fixture
def acme():
    return make_tenant("acme")


@pytest.fixture
def bravo():
    return make_tenant("bravo")


def staff_member(username: str, *workspaces: Workspace) -> User:
    """Staff with every permission of the product's apps, listed on `workspaces` only."""
    user = UserFactory(username=username, is_staff=True)
    apps = ["auth", "accounts", "catalog", "core", "api", "recommendations"]
    user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=apps))
    for workspace in workspaces:
        workspace.staff.add(user)
    return user


@pytest.fixture
def acme_staff(client, acme, bravo):
    client.force_login(staff_member("acme-staff", acme.workspace))
    return client


@pytest.fixture
def superuser(client, acme, bravo):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def listed(client, admin_name: str, query: str = "") -> tuple[set[int], str]:
    response = client.get(reverse(f"admin:{admin_name}_changelist") + query)
    assert response.status_code == 200
    return {obj.pk for obj in response.context["cl"].result_list}, response.content.decode()


def changelist_action(client, admin_name: str, action: str, ids, **extra):
    url = reverse(f"admin:{admin_name}_changelist")
    return client.post(url, {"action": action, "_selected_action": list(ids), **extra}, follow=True)


def choices(response, name: str) -> set[int]:
    return {obj.pk for obj in response.context["adminform"].form.fields[name].queryset}


# --- Lists ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("admin_name", TENANT_ADMINS)
def test_limited_staff_list_only_their_workspaces_rows(acme_staff, acme, bravo, admin_name):
    ids, page = listed(acme_staff, admin_name)

    assert ids == {acme.row(admin_name).pk} | ({acme.client_user.user_id} if admin_name == "auth_user" else set())
    assert "bravo" not in page  # neither in the rows nor in any filter's choices


@pytest.mark.parametrize("admin_name", TENANT_ADMINS)
def test_staff_on_no_workspace_see_no_tenant_rows(client, acme, admin_name):
    client.force_login(staff_member("nobody"))

    ids, page = listed(client, admin_name)

    assert ids == set() and "acme" not in page


def test_staff_on_no_workspace_cannot_add_tenant_data(client, acme):
    client.force_login(staff_member("nobody"))

    assert client.get(reverse("admin:catalog_item_add")).status_code == 403
    assert client.get(reverse("admin:api_apiclient_add")).status_code == 403
    assert list(listed(client, "core_workspace")[0]) == []


@pytest.mark.parametrize("admin_name", TENANT_ADMINS)
def test_superusers_see_every_workspace_with_its_column_and_filter(superuser, acme, bravo, admin_name):
    ids, page = listed(superuser, admin_name)
    only_bravo, _ = listed(superuser, admin_name, f"?workspace={bravo.workspace.pk}")

    assert {acme.row(admin_name).pk, bravo.row(admin_name).pk} <= ids
    assert "column-workspace_column" in page and 'data-filter-title="workspace"' in page
    assert f"?workspace={acme.workspace.pk}" in page and f"?workspace={bravo.workspace.pk}" in page
    assert bravo.row(admin_name).pk in only_bravo and acme.row(admin_name).pk not in only_bravo


def test_the_workspace_filter_offers_only_the_staff_members_workspaces(acme_staff, acme, bravo):
    _, page = listed(acme_staff, "catalog_item")
    ids, _ = listed(acme_staff, "catalog_item", f"?workspace={bravo.workspace.pk}")

    assert f"?workspace={acme.workspace.pk}" in page and f"?workspace={bravo.workspace.pk}" not in page
    assert ids == set()


# --- Single objects ------------------------------------------------------------------------------


@pytest.mark.parametrize("admin_name", TENANT_ADMINS)
@pytest.mark.parametrize("view", ["change", "delete", "history"])
def test_another_workspaces_object_is_missing_for_limited_staff(acme_staff, acme, bravo, admin_name, view):
    theirs = bravo.row(admin_name)
    url = reverse(f"admin:{admin_name}_{view}", args=[theirs.pk])

    response = acme_staff.get(url)
    posted = acme_staff.post(url, {"post": "yes"})

    assert response.status_code == 302 and response.url == reverse("admin:index")  # as for a missing object
    # Posting to it: missing too, or refused before looking for it where nobody may change that kind of row.
    assert (posted.status_code, getattr(posted, "url", None)) in [(302, reverse("admin:index")), (403, None)]
    assert type(theirs).objects.filter(pk=theirs.pk).exists()
    assert acme_staff.get(reverse(f"admin:{admin_name}_{view}", args=[acme.row(admin_name).pk])).status_code in (
        200,
        403,  # ratings and events cannot be changed by anyone, only viewed
    )


def test_limited_staff_cannot_set_the_password_of_another_workspaces_person(acme_staff, acme, bravo):
    theirs = reverse("admin:auth_user_password_change", args=[bravo.person.pk])
    ours = reverse("admin:auth_user_password_change", args=[acme.person.pk])

    assert acme_staff.get(theirs).status_code == 404
    assert acme_staff.get(ours).status_code == 200


def test_limited_staff_cannot_take_over_a_staff_account_of_their_workspace(client, acme):
    colleague = person_of(acme.workspace, "colleague", is_staff=True)
    client.force_login(staff_member("acme-staff", acme.workspace))

    password = client.get(reverse("admin:auth_user_password_change", args=[colleague.pk]))
    change = client.get(reverse("admin:auth_user_change", args=[colleague.pk]))
    member = client.get(reverse("admin:auth_user_change", args=[acme.person.pk]))

    assert password.status_code == 403
    assert change.status_code == 200 and 'name="username"' not in change.content.decode()  # view only
    assert 'name="username"' in member.content.decode()
    assert 'name="is_superuser"' not in member.content.decode()  # nobody is made superuser here


def test_only_superusers_define_what_groups_of_staff_may_do(acme_staff, acme):
    assert acme_staff.get(reverse("admin:auth_group_add")).status_code == 403


# --- Actions -------------------------------------------------------------------------------------


def test_actions_on_a_mix_of_ids_touch_only_the_staff_members_workspace(acme_staff, acme, bravo):
    changelist_action(acme_staff, "catalog_item", "hide_items", [acme.item.pk, bravo.item.pk])
    changelist_action(acme_staff, "api_apiclient", "revoke", [acme.api_client.pk, bravo.api_client.pk])
    changelist_action(acme_staff, "catalog_rating", "delete_selected", [acme.rating.pk, bravo.rating.pk], post="yes")
    changelist_action(acme_staff, "auth_user", "delete_selected", [acme.person.pk, bravo.person.pk], post="yes")

    assert not Item.objects.get(pk=acme.item.pk).is_active and Item.objects.get(pk=bravo.item.pk).is_active
    assert ApiClient.objects.get(pk=acme.api_client.pk).is_revoked
    assert not ApiClient.objects.get(pk=bravo.api_client.pk).is_revoked
    assert set(Rating.objects.values_list("pk", flat=True)) == {bravo.rating.pk}
    assert not User.objects.filter(pk=acme.person.pk).exists() and User.objects.filter(pk=bravo.person.pk).exists()


def test_select_all_across_pages_selects_only_the_staff_members_workspace(acme_staff, acme, bravo):
    changelist_action(acme_staff, "catalog_item", "hide_items", [acme.item.pk], select_across="1")

    assert list(Item.objects.filter(is_active=False)) == [acme.item]


def queued_trainings() -> list[str]:
    """The kwargs of every training task waiting in the queue."""
    return [m["kwargs"] for m in queued_messages() if m["task"] == "recommendations.train_model"]


def test_the_retrain_action_trains_only_the_staff_members_workspace(acme_staff, acme, bravo, memory_broker):
    response = changelist_action(
        acme_staff, "recommendations_modelversion", "retrain", [acme.version.pk, bravo.version.pk]
    )

    assert any("Training queued for acme" in str(m) for m in response.context["messages"])
    queued = queued_trainings()
    assert len(queued) == 1 and f"'workspace_id': {acme.workspace.pk}" in queued[0]


def test_the_retrain_action_with_nothing_selected_trains_the_workspace_the_list_shows(superuser, bravo, memory_broker):
    url = reverse("admin:recommendations_modelversion_changelist") + f"?workspace={bravo.workspace.pk}"

    superuser.post(url, {"action": "retrain", "_selected_action": ["0"]}, follow=True)

    queued = queued_trainings()
    assert len(queued) == 1 and f"'workspace_id': {bravo.workspace.pk}" in queued[0]


def earlier_version(tenant: Tenant, **fields) -> ModelVersion:
    """A finished version that served before; its artifact path leads nowhere."""
    return ModelVersion.objects.create(
        workspace=tenant.workspace, algorithm="ease", status=ModelVersion.Status.READY, artifact="models/gone.npz",
        activated_at=timezone.now(), **fields,
    )  # fmt: skip


def statuses(tenant: Tenant) -> dict[int, tuple[str, str]]:
    return {v.pk: (v.status, v.artifact.name) for v in ModelVersion.objects.filter(workspace=tenant.workspace)}


def test_roll_back_and_retention_act_within_the_staff_members_workspace(acme_staff, acme, bravo, settings):
    settings.ENCORE_KEEP_VERSIONS = 1
    earlier_version(acme), earlier_version(bravo), earlier_version(bravo)
    before = statuses(bravo)

    rolled = changelist_action(acme_staff, "recommendations_modelversion", "roll_back", [bravo.version.pk])
    retired = changelist_action(acme_staff, "recommendations_modelversion", "apply_retention", [bravo.version.pk])

    assert statuses(bravo) == before
    shown = [str(m) for m in [*rolled.context["messages"], *retired.context["messages"]]]
    assert any(m.startswith("acme: no earlier version") for m in shown), shown
    assert not any("bravo" in m for m in shown), shown


# --- Choices of related objects ------------------------------------------------------------------


def test_a_new_objects_workspace_is_chosen_among_the_staff_members_own(acme_staff, acme):
    for admin_name in ["catalog_item", "catalog_genre", "catalog_tag", "api_apiclient", "api_clientuser"]:
        response = acme_staff.get(reverse(f"admin:{admin_name}_add"))

        assert choices(response, "workspace") == {acme.workspace.pk}, admin_name
        assert response.context["adminform"].form.initial["workspace"] == acme.workspace.pk


def test_an_items_genres_are_those_of_its_workspace(superuser, acme, bravo):
    page = superuser.get(reverse("admin:catalog_item_change", args=[acme.item.pk]))

    assert choices(page, "genres") == {acme.genre.pk}
    assert page.context["adminform"].form.fields["workspace"].disabled  # an item never changes workspace


def test_a_genre_of_another_workspace_is_refused_even_to_a_superuser(superuser, acme, bravo):
    response = superuser.post(
        reverse("admin:catalog_item_add"),
        {
            "workspace": acme.workspace.pk, "kind": "movie", "title": "Mixed", "genres": [bravo.genre.pk],
            "creators": "[]", "external_ids": "{}", "is_active": "on",
            "itemtag_set-TOTAL_FORMS": "0", "itemtag_set-INITIAL_FORMS": "0",
        },
    )  # fmt: skip

    assert response.status_code == 200 and response.context["adminform"].form.errors["genres"]
    assert not Item.objects.filter(title="Mixed").exists()


def test_limited_staff_are_offered_only_their_workspaces_related_objects(client, acme, bravo):
    default_genre = GenreFactory(name="Website genre")
    client.force_login(staff_member("both", acme.workspace, Workspace.objects.get(slug="default")))

    item_page = client.get(reverse("admin:catalog_item_change", args=[acme.item.pk]))
    add_page = client.get(reverse("admin:catalog_item_add"))
    client_user_page = client.get(reverse("admin:api_clientuser_change", args=[acme.client_user.pk]))

    assert choices(item_page, "genres") == {acme.genre.pk}
    assert choices(add_page, "genres") == {acme.genre.pk, default_genre.pk}
    assert bravo.genre.pk not in choices(add_page, "genres")
    assert choices(client_user_page, "client") == {acme.api_client.pk}


def test_a_raw_id_of_another_workspaces_person_is_refused(acme_staff, acme, bravo):
    url = reverse("admin:api_clientuser_change", args=[acme.client_user.pk])

    response = acme_staff.post(
        url,
        {"client": acme.api_client.pk, "external_id": "moved", "user": bravo.person.pk,
         "created_at_0": "2024-01-01", "created_at_1": "10:00:00"},
    )  # fmt: skip

    assert response.status_code == 200 and response.context["adminform"].form.errors["user"]
    assert "bravo-person" not in response.content.decode()  # not even named next to the refused id
    assert ClientUser.objects.get(pk=acme.client_user.pk).user_id == acme.client_user.user_id


def test_autocomplete_offers_only_the_staff_members_workspace(acme_staff, acme, bravo):
    response = acme_staff.get(
        reverse("admin:autocomplete"),
        {"app_label": "catalog", "model_name": "itemtag", "field_name": "tag", "term": "tag"},
    )

    assert [row["text"] for row in response.json()["results"]] == ["acme tag"]


def test_limited_staff_add_people_to_their_workspace(acme_staff, acme):
    response = acme_staff.post(
        reverse("admin:auth_user_add"),
        {"username": "newcomer", "workspace": acme.workspace.pk, "usable_password": "true",
         "password1": "a-long-Secret-42", "password2": "a-long-Secret-42"},
        follow=True,
    )  # fmt: skip

    assert response.status_code == 200
    assert Profile.objects.get(user__username="newcomer").workspace == acme.workspace


def test_limited_staff_cannot_add_people_to_another_workspace(acme_staff, bravo):
    response = acme_staff.post(
        reverse("admin:auth_user_add"),
        {"username": "intruder", "workspace": bravo.workspace.pk, "usable_password": "true",
         "password1": "a-long-Secret-42", "password2": "a-long-Secret-42"},
    )  # fmt: skip

    assert response.status_code == 200 and response.context["adminform"].form.errors["workspace"]
    assert not User.objects.filter(username="intruder").exists()


def test_a_changed_item_is_new_data_for_its_workspaces_next_training(
    acme_staff, acme, bravo, django_capture_on_commit_callbacks
):
    Workspace.objects.update(data_changed_at=None)

    with django_capture_on_commit_callbacks(execute=True):
        changelist_action(acme_staff, "catalog_item", "hide_items", [acme.item.pk])

    assert Workspace.objects.get(pk=acme.workspace.pk).data_changed_at is not None
    assert Workspace.objects.get(pk=bravo.workspace.pk).data_changed_at is None


# --- The workspaces ------------------------------------------------------------------------------


def test_limited_staff_see_and_change_only_their_workspaces_but_not_who_is_staff(acme_staff, acme, bravo):
    friend = staff_member("friend")
    ids, page = listed(acme_staff, "core_workspace")
    url = reverse("admin:core_workspace_change", args=[acme.workspace.pk])
    form = acme_staff.get(url).context["adminform"].form
    saved = acme_staff.post(url, {"name": "Acme Inc", "max_items": "50", "staff": [friend.pk]})

    assert ids == {acme.workspace.pk} and "bravo" not in page
    assert "staff" not in form.fields and "slug" not in form.fields
    assert saved.status_code == 302
    acme.workspace.refresh_from_db()
    assert (acme.workspace.name, acme.workspace.max_items) == ("Acme Inc", 50)
    assert [u.username for u in acme.workspace.staff.all()] == ["acme-staff"]
    theirs = acme_staff.get(reverse("admin:core_workspace_change", args=[bravo.workspace.pk]))
    assert theirs.status_code == 302 and theirs.url == reverse("admin:index")
    assert acme_staff.get(reverse("admin:core_workspace_add")).status_code == 403
    assert acme_staff.get(reverse("admin:core_workspace_delete", args=[acme.workspace.pk])).status_code == 403


def test_superusers_create_workspaces_and_choose_their_staff(superuser):
    helper = staff_member("helper")

    response = superuser.post(
        reverse("admin:core_workspace_add"), {"slug": "Globex", "name": "Globex", "staff": [helper.pk]}
    )
    bad = superuser.post(reverse("admin:core_workspace_add"), {"slug": "no_underscores", "name": "Bad"})

    assert response.status_code == 302
    assert list(Workspace.objects.get(slug="globex").staff.all()) == [helper]
    assert bad.status_code == 200 and bad.context["adminform"].form.errors["slug"]
    page = superuser.get(reverse("admin:core_workspace_change", args=[Workspace.objects.get(slug="globex").pk]))
    assert "slug" not in page.context["adminform"].form.fields  # never changes once made


def test_the_default_workspace_cannot_be_deleted(superuser):
    default = Workspace.objects.get(slug="default")

    assert superuser.get(reverse("admin:core_workspace_delete", args=[default.pk])).status_code == 403


def test_the_workspace_list_counts_items_and_people_and_shows_the_active_model(superuser, acme, bravo):
    ItemFactory(workspace=acme.workspace)

    response = superuser.get(reverse("admin:core_workspace_changelist"))
    rows = {w.slug: w for w in response.context["cl"].result_list}

    assert (rows["acme"].n_items, rows["acme"].n_people) == (2, 2)
    assert (rows["bravo"].n_items, rows["bravo"].n_people) == (1, 2)
    assert str(acme.version) in response.content.decode()


def test_the_workspace_list_takes_as_many_queries_for_many_workspaces_as_for_few(superuser):
    url = reverse("admin:core_workspace_changelist")
    with CaptureQueriesContext(connection) as few:
        superuser.get(url)
    for n in range(10):
        make_tenant(f"extra-{n}")
    with CaptureQueriesContext(connection) as many:
        response = superuser.get(url)

    assert len(response.context["cl"].result_list) == 13
    assert len(many.captured_queries) == len(few.captured_queries)


def summary(page: str) -> dict[str, dict[str, list[str]]]:
    """The workspace page's summary: table caption -> row heading -> the row's cells, as text."""
    block = page.split('class="module workspace-summary"', 1)[1].split("</div>", 1)[0]
    tables = {}
    for table in re.findall(r"<table>(.*?)</table>", block, re.S):
        caption = re.search(r"<caption>(.*?)</caption>", table).group(1)
        rows = tables[caption] = {}
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S):
            cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
            cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in cells]
            rows[cells[0]] = cells[1:]
    return tables


def test_the_workspace_page_shows_counts_active_model_and_quota_use(superuser, acme, bravo):
    for n in range(2):
        item = ItemFactory(workspace=acme.workspace, title=f"more {n}")
        rating_upsert(user=acme.person, item=item, value=3.0)
    interaction_record(user=acme.person, item=acme.item, kind=Interaction.Kind.VIEW)
    Workspace.objects.filter(pk=acme.workspace.pk).update(max_items=6)

    page = superuser.get(reverse("admin:core_workspace_change", args=[acme.workspace.pk])).content.decode()
    shown = summary(page)

    counts = {label: cells[0] for label, cells in shown["What it holds"].items()}
    assert counts == {"Items": "3", "Genres": "1", "People": "2", "Ratings": "3", "Events": "2"}
    model = shown["Active model"]
    assert (model["Version"], model["Algorithm"], model["nDCG@10"]) == ([f"v{acme.version.pk}"], ["ease"], ["0.4321"])
    quotas = shown["Quota use"]
    assert quotas["Items"] == ["3", "6", "50%"]
    assert quotas["Genres"] == ["1", "200", "0%"]  # the platform's default (WORKSPACE_MAX_GENRES)
    assert quotas["People"][:1] == ["2"] and quotas["Ratings and events today"][:1] == ["0"]  # staff-made, not API
    assert f"?workspace={acme.workspace.pk}" in page


def test_a_workspace_without_a_model_says_so(superuser):
    empty = WorkspaceFactory(slug="empty")

    page = superuser.get(reverse("admin:core_workspace_change", args=[empty.pk])).content.decode()

    assert "No version serves this workspace yet." in page
    assert summary(page)["What it holds"]["Items"] == ["0"]
