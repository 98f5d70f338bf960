"""Catalog endpoints: the items of the client's workspace, never another workspace's."""

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from api.filters import ItemFilter
from api.ingestion.items import items_upsert
from api.pagination import ApiPagination
from api.selectors import item_visible_get, items_visible
from api.serializers import (
    MAX_BATCH,
    ItemBatchSerializer,
    ItemSerializer,
    ItemUpsertReportSerializer,
    SimilarQuerySerializer,
    TrendingQuerySerializer,
    shown_fields,
)
from api.views.base import ClientView, body_list, reject_empty_params, with_item_relations
from catalog.models import API_ITEM_SOURCE, Item
from experiments.recording import impression_record
from experiments.serving import NO_EXPERIMENT
from recommendations.models import Rule
from recommendations.serving import active_models, similar_items_for
from recommendations.trending import trending_items

ItemResults = inline_serializer("ItemResults", {**shown_fields(), "results": ItemSerializer(many=True)})


def shown_list(*, workspace: int, placement: str, items, data) -> dict:
    """A list everyone may be shown (similar, trending): recorded, with its id; always the control variant."""
    model = active_models.get(workspace)
    shown = impression_record(
        workspace_id=workspace, user_id=None, placement=placement, choice=NO_EXPERIMENT,
        model_version_id=model.version_id if model else None, items=[item.pk for item in items],
    )  # fmt: skip
    return {"recommendation_id": shown.recommendation_id, "variant": shown.variant, "results": data}


class ItemListView(mixins.ListModelMixin, ClientView):
    serializer_class = ItemSerializer
    pagination_class = ApiPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = ItemFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no client
            return Item.objects.none()
        return items_visible(client=self.client).prefetch_related("genres", "tags").order_by("title", "pk")

    @extend_schema(summary="List and filter items", operation_id="items_list")
    def get(self, request):
        reject_empty_params(request, [*ItemFilter.base_filters, "page", "page_size"])
        return self.list(request)

    @extend_schema(
        summary=f"Create or update up to {MAX_BATCH:,} of your items, keyed by your external_id",
        operation_id="items_upsert",
        request=ItemBatchSerializer,
        responses={
            200: ItemUpsertReportSerializer,
            207: OpenApiResponse(ItemUpsertReportSerializer, description="Some rows were rejected; see errors."),
        },
    )
    def post(self, request):
        rows, _single = body_list(request, max_rows=MAX_BATCH)
        report = items_upsert(client=self.client, rows=rows)
        data = ItemUpsertReportSerializer(
            {"accepted": report.accepted, "created": report.created, "updated": report.updated,
             "items": report.items, "errors": report.errors}
        ).data  # fmt: skip
        return Response(data, status=status.HTTP_207_MULTI_STATUS if report.errors else status.HTTP_200_OK)


class ItemDetailView(ClientView):
    serializer_class = ItemSerializer

    @extend_schema(summary="One item", operation_id="items_retrieve")
    def get(self, request, pk):
        item = with_item_relations([item_visible_get(client=self.client, pk=pk)])[0]
        return Response(self.get_serializer(item).data)

    @extend_schema(summary="Hide one of your items from every list", operation_id="items_hide", responses={204: None})
    def delete(self, request, pk):
        item = item_visible_get(client=self.client, pk=pk)
        if item.source != API_ITEM_SOURCE:
            raise PermissionDenied("Only items sent over the API can be hidden; the others are managed by staff.")
        item.is_active = False
        item.save(update_fields=["is_active", "updated_at"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class SimilarItemsView(ClientView):
    @extend_schema(
        summary="Items like this one", operation_id="items_similar", parameters=[SimilarQuerySerializer],
        responses=ItemResults,
    )  # fmt: skip
    def get(self, request, pk):
        params = SimilarQuerySerializer.validated(request.query_params)
        item = item_visible_get(client=self.client, pk=pk)
        placement = params.get("placement", Rule.Placement.API_SIMILAR)
        similar = similar_items_for(
            item=item, limit=params["limit"], placement=placement, diversity=params.get("diversity")
        )
        items = with_item_relations(similar)
        data = ItemSerializer(items, many=True, context={"client": self.client}).data
        return Response(shown_list(workspace=item.workspace_id, placement=placement, items=items, data=data))


class TrendingView(ClientView):
    @extend_schema(
        summary="What is rising now", operation_id="trending", parameters=[TrendingQuerySerializer],
        responses=ItemResults,
    )  # fmt: skip
    def get(self, request):
        params = TrendingQuerySerializer.validated(request.query_params)
        placement = params.get("placement", Rule.Placement.API_TRENDING)
        items = trending_items(
            workspace=self.client.workspace_id, limit=params["limit"], kind=params.get("kind"),
            placement=placement, diversity=params.get("diversity"),
        )  # fmt: skip
        items = with_item_relations(items)
        data = ItemSerializer(items, many=True, context={"client": self.client}).data
        return Response(shown_list(workspace=self.client.workspace_id, placement=placement, items=items, data=data))
