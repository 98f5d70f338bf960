"""/api/v1/me/: the logged-in website user, through the session cookie (CSRF on unsafe methods).

The website is a client of its own: its users see the shared catalog, never partners' items.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, mixins, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.response import Response

from api.pagination import ApiPagination
from api.permissions import IsWebsiteUser
from api.selectors import item_visible_get
from api.serializers import (
    MyEventInSerializer,
    MyEventSerializer,
    MyRatingInSerializer,
    MyRatingSerializer,
    RecommendationListSerializer,
    RecommendationQuerySerializer,
)
from api.throttling import WebsiteUserRateThrottle
from api.views.base import reject_empty_params, with_item_relations
from api.views.recommending import recommendations_response
from catalog.models import Rating
from catalog.services import interaction_record, rating_delete, rating_upsert


class MeView(generics.GenericAPIView):
    authentication_classes = [SessionAuthentication]
    permission_classes = [IsWebsiteUser]
    throttle_classes = [WebsiteUserRateThrottle]

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "client": None}


class MyFeedView(MeView):
    @extend_schema(
        summary="My recommendations, as on the home page", operation_id="me_feed",
        parameters=[RecommendationQuerySerializer], responses=RecommendationListSerializer,
    )  # fmt: skip
    def get(self, request):
        params = RecommendationQuerySerializer.validated(request.query_params)
        return recommendations_response(client=None, user=request.user.pk, params=params)


class MyRatingsView(mixins.ListModelMixin, MeView):
    serializer_class = MyRatingSerializer
    pagination_class = ApiPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Rating.objects.none()
        ratings = Rating.objects.filter(user=self.request.user).select_related("item")
        return ratings.prefetch_related("item__genres", "item__tags").order_by("-updated_at", "-pk")

    @extend_schema(summary="My ratings, newest first", operation_id="me_ratings_list")
    def get(self, request):
        reject_empty_params(request, ["page", "page_size"])
        return self.list(request)

    @extend_schema(
        summary="Rate an item (or change my rating)", operation_id="me_ratings_upsert",
        request=MyRatingInSerializer, responses=MyRatingSerializer,
    )  # fmt: skip
    def post(self, request):
        data = MyRatingInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = item_visible_get(client=None, pk=data.validated_data["item"])
        rating = rating_upsert(user=request.user, item=item, value=data.validated_data["value"])
        with_item_relations([item])
        return Response(self.get_serializer(rating).data)


class MyRatingDetailView(MeView):
    @extend_schema(summary="Remove my rating of an item", operation_id="me_ratings_destroy", responses={204: None})
    def delete(self, request, item):
        item = item_visible_get(client=None, pk=item)
        if not rating_delete(user=request.user, item=item):
            return Response(
                {"error": {"code": "not_found", "message": "You have not rated this item.", "details": None}},
                status=status.HTTP_404_NOT_FOUND,
            )
        return Response(status=status.HTTP_204_NO_CONTENT)


class MyEventsView(MeView):
    @extend_schema(
        summary="Record that I viewed, liked, skipped… an item", operation_id="me_events_create",
        request=MyEventInSerializer, responses={201: MyEventSerializer, 200: MyEventSerializer},
    )  # fmt: skip
    def post(self, request):
        data = MyEventInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = item_visible_get(client=None, pk=data.validated_data["item"])
        event, created = interaction_record(
            user=request.user, item=item, kind=data.validated_data["kind"], value=data.validated_data.get("value")
        )
        event.created = created
        return Response(MyEventSerializer(event).data, status=status.HTTP_201_CREATED)
