"""A partner's users: listing, recommendations and deletion, always inside the partner's namespace."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from api.models import ClientUser
from api.pagination import ApiPagination
from api.selectors import client_user_get, text_is_clean
from api.serializers import RecommendationListSerializer, RecommendationQuerySerializer
from api.views.base import ClientView, reject_empty_params
from api.views.recommending import recommendations_response
from catalog.models import Interaction, Rating
from catalog.services import person_forget


class ClientUserSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="external_id", help_text="Your id for the user.")

    class Meta:
        model = ClientUser
        fields = ["id", "created_at"]


class UserListView(mixins.ListModelMixin, ClientView):
    serializer_class = ClientUserSerializer
    pagination_class = ApiPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no client
            return ClientUser.objects.none()
        return ClientUser.objects.filter(workspace_id=self.client.workspace_id).order_by("created_at", "pk")

    @extend_schema(summary="Your users, oldest first", operation_id="users_list")
    def get(self, request):
        reject_empty_params(request, ["page", "page_size"])
        return self.list(request)


UserDetail = inline_serializer(
    "UserDetail",
    {"id": serializers.CharField(), "created_at": serializers.DateTimeField(),
     "ratings": serializers.IntegerField(), "events": serializers.IntegerField()},
)  # fmt: skip


class UserDetailView(ClientView):
    @extend_schema(summary="One of your users", operation_id="users_retrieve", responses=UserDetail)
    def get(self, request, user):
        person = client_user_get(client=self.client, external_id=user)
        return Response(
            {"id": user, "created_at": person.api_identity.created_at,
             "ratings": Rating.objects.filter(user=person).count(),
             "events": Interaction.objects.filter(user=person).count()}
        )  # fmt: skip

    @extend_schema(
        summary="Delete the user and everything they did (ratings, events)", operation_id="users_destroy",
        responses={204: None},
    )  # fmt: skip
    def delete(self, request, user):
        person = client_user_get(client=self.client, external_id=user)
        person_forget(user=person)
        return Response(status=status.HTTP_204_NO_CONTENT)


class UserRecommendationsView(ClientView):
    @extend_schema(
        summary="Recommendations for one of your users, with reasons",
        description="Ranked from the user's history as it is now: events posted a moment ago count.",
        operation_id="users_recommendations",
        parameters=[RecommendationQuerySerializer],
        responses=RecommendationListSerializer,
    )
    def get(self, request, user):
        params = RecommendationQuerySerializer.validated(request.query_params)
        if not text_is_clean(user) or len(user) > 150:
            raise NotFound("No such user.")
        return recommendations_response(client=self.client, user=user, params=params)
