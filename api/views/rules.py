"""Merchandising of the client's workspace (scope `rules`): its rules and its diversity settings per
placement; list, create, read, change, delete.

Another workspace's rules and settings answer 404, as if they did not exist. Writes go
through recommendations.rules, which validates them and makes the lists follow at once.
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.response import Response

from api.pagination import ApiPagination
from api.permissions import CanManageRules
from api.serializers import DiversitySettingSerializer, RuleSerializer
from api.views.base import ClientView, reject_empty_params
from recommendations.models import DiversitySetting, Rule
from recommendations.rules import diversity_setting_delete, diversity_setting_save, rule_delete, rule_save


class _RuleView(ClientView):
    permission_classes = [CanManageRules]
    serializer_class = RuleSerializer
    model = Rule
    related = ("genre", "tag")
    save, remove = staticmethod(rule_save), staticmethod(rule_delete)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no client
            return self.model.objects.none()
        return self.model.objects.filter(workspace_id=self.client.workspace_id).select_related(*self.related)

    def _store(self, serializer, **fields):
        found = serializer.instance or self.model(**fields)
        for name, value in serializer.validated_data.items():
            setattr(found, name, value)
        self.save(found)
        serializer.instance = found
        return found


# List (paginated, oldest first) and create; read, replace, change some fields, delete. The concrete
# views below name their schema (a docstring here would become every operation's description).
class _ListView(mixins.ListModelMixin, _RuleView):
    pagination_class = ApiPagination

    def get(self, request):
        reject_empty_params(request, ["page", "page_size"])
        return self.list(request)

    def post(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self._store(serializer, workspace_id=self.client.workspace_id)
        return Response(serializer.data, status=status.HTTP_201_CREATED)


class _DetailView(_RuleView):
    def get_object(self):
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def get(self, request, pk):
        return Response(self.get_serializer(self.get_object()).data)

    def put(self, request, pk):
        return self._update(request, partial=False)

    def patch(self, request, pk):
        return self._update(request, partial=True)

    def delete(self, request, pk):
        self.remove(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _update(self, request, *, partial: bool):
        serializer = self.get_serializer(self.get_object(), data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        self._store(serializer)
        return Response(serializer.data)


class _DiversityView(_RuleView):
    serializer_class = DiversitySettingSerializer
    model = DiversitySetting
    related = ()
    save, remove = staticmethod(diversity_setting_save), staticmethod(diversity_setting_delete)


@extend_schema_view(
    get=extend_schema(summary="Your workspace's rules, oldest first", operation_id="rules_list"),
    post=extend_schema(summary="Create a rule", operation_id="rules_create", responses={201: RuleSerializer}),
)
class RuleListView(_ListView):
    pass


@extend_schema_view(
    get=extend_schema(summary="One rule", operation_id="rules_retrieve"),
    put=extend_schema(summary="Replace a rule", operation_id="rules_update"),
    patch=extend_schema(summary="Change some fields of a rule", operation_id="rules_partial_update"),
    delete=extend_schema(summary="Delete a rule", operation_id="rules_destroy", responses={204: None}),
)
class RuleDetailView(_DetailView):
    pass


@extend_schema_view(
    get=extend_schema(summary="Your workspace's diversity settings, by placement", operation_id="diversity_list"),
    post=extend_schema(
        summary="Set how spread a placement's lists are", operation_id="diversity_create",
        responses={201: DiversitySettingSerializer},
    ),
)  # fmt: skip
class DiversityListView(_ListView, _DiversityView):
    pass


@extend_schema_view(
    get=extend_schema(summary="One diversity setting", operation_id="diversity_retrieve"),
    put=extend_schema(summary="Replace a diversity setting", operation_id="diversity_update"),
    patch=extend_schema(summary="Change some fields of a diversity setting", operation_id="diversity_partial_update"),
    delete=extend_schema(
        summary="Delete a diversity setting (the placement's lists follow the workspace's setting for every list)",
        operation_id="diversity_destroy", responses={204: None},
    ),
)  # fmt: skip
class DiversityDetailView(_DetailView, _DiversityView):
    pass
