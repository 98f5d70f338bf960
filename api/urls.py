"""/api/: the versioned REST API, its OpenAPI schema and its docs."""

from django.urls import include, path, re_path, register_converter
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny

from api.views import catalog, events, health, me, rules, users
from api.views.fallback import not_found
from games.api import GameListView, GameMoveView


class IdConverter:
    """An id in a path, written as in JSON: Django's <int:> also takes "01" for 1, which the schema's
    integers do not (see catalog.params). Ids start at 1; the schema says so (PATH_CONVERTER_OVERRIDES)."""

    regex = "[1-9][0-9]*"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(value)


register_converter(IdConverter, "id")

# The only routes answering without credentials: liveness, schema and docs.
PUBLIC = {"authentication_classes": [], "permission_classes": [AllowAny], "throttle_classes": []}

v1 = [
    path("health/", health.health, name="health"),
    path("items/", catalog.ItemListView.as_view(), name="items"),
    path("items/<id:pk>/", catalog.ItemDetailView.as_view(), name="item"),
    path("items/<id:pk>/similar/", catalog.SimilarItemsView.as_view(), name="item-similar"),
    path("trending/", catalog.TrendingView.as_view(), name="trending"),
    path("events/", events.EventsView.as_view(), name="events"),
    path("users/", users.UserListView.as_view(), name="users"),
    path("users/<str:user>/", users.UserDetailView.as_view(), name="user"),
    path("users/<str:user>/recommendations/", users.UserRecommendationsView.as_view(), name="user-recommendations"),
    path("me/feed/", me.MyFeedView.as_view(), name="me-feed"),
    path("me/ratings/", me.MyRatingsView.as_view(), name="me-ratings"),
    path("me/ratings/<id:item>/", me.MyRatingDetailView.as_view(), name="me-rating"),
    path("me/events/", me.MyEventsView.as_view(), name="me-events"),
    path("rules/", rules.RuleListView.as_view(), name="rules"),
    path("rules/<id:pk>/", rules.RuleDetailView.as_view(), name="rule"),
    path("diversity/", rules.DiversityListView.as_view(), name="diversity-settings"),
    path("diversity/<id:pk>/", rules.DiversityDetailView.as_view(), name="diversity-setting"),
    path("games/", GameListView.as_view(), name="games"),
    path("games/<slug:slug>/move/", GameMoveView.as_view(), name="game-move"),
]

app_name = "api"
urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(**PUBLIC), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema", **PUBLIC), name="docs"),
    path("v1/", include(v1)),
    # Unknown /api/ paths answer in the API's JSON error format, not the website's HTML 404 page.
    re_path(r"^[\s\S]*$", not_found),  # [\s\S], not ".": a path may hold an encoded newline
]
