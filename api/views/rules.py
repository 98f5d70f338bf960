"""Merchandising rules of the client's workspace: list, create, read, change, delete (scope `rules`).

Another workspace's rules answer 404, as if they did not exist. Writes go through
recommendations.rules, which validates them and makes the lists follow at once.
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.response import Response

from api.pagination import ApiPagination
from api.permissions import CanManageRules
from api.serializers import RuleSerializer
from api.views.base import ClientView, reject_empty_params
from recommendations.models import Rule
from recommendations.rules import rule_delete, rule_save


class _RuleView(ClientView):
    permission_classes = [CanManageRules]
    serializer_class = RuleSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no client
            return Rule.objects.none()
        return Rule.objects.filter(workspace_id=self.client.workspace_id).select_related("genre", "tag")

    def _store(self, serializer, **fields) -> Rule:
        rule = serializer.instance or Rule(**fields)
        for name, value in serializer.validated_data.items():
            setattr(rule, name, value)
        rule_save(rule)
        serializer.instance = rule
        return rule


class RuleListView(mixins.ListModelMixin, _RuleView):
    pagination_class = ApiPagination

    @extend_schema(summary="Your workspace's rules, oldest first", operation_id="rules_list")
    def get(self, request):
        reject_empty_params(request, ["page", "page_size"])
        return self.list(request)

    @extend_schema(summary="Create a rule", operation_id="rules_create", responses={201: RuleSerializer})
    def post(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self._store(serializer, workspace_id=self.client.workspace_id)
        return Response(serializer.data, status=status.HTTP_201_CREATED)


class RuleDetailView(_RuleView):
    def get_object(self):
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    @extend_schema(summary="One rule", operation_id="rules_retrieve")
    def get(self, request, pk):
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(summary="Replace a rule", operation_id="rules_update")
    def put(self, request, pk):
        return self._update(request, partial=False)

    @extend_schema(summary="Change some fields of a rule", operation_id="rules_partial_update")
    def patch(self, request, pk):
        return self._update(request, partial=True)

    @extend_schema(summary="Delete a rule", operation_id="rules_destroy", responses={204: None})
    def delete(self, request, pk):
        rule_delete(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _update(self, request, *, partial: bool):
        serializer = self.get_serializer(self.get_object(), data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        self._store(serializer)
        return Response(serializer.data)
