from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response

from api.exceptions import error_response
from api.ingestion.events import events_ingest
from api.serializers import MAX_BATCH, EventBatchSerializer, EventReportSerializer
from api.views.base import ClientView, body_list


class EventsView(ClientView):
    @extend_schema(
        summary=f"Record one event or a batch of up to {MAX_BATCH:,}",
        description=(
            "Ratings (kind `rating`) create or update the user's one rating of the item; other kinds are "
            "appended as interactions. A user id seen for the first time creates the user. In a batch, "
            "every valid row is kept and every invalid one is reported with its index (status 207); a "
            "single invalid event answers 400."
        ),
        operation_id="events_create",
        request=EventBatchSerializer,
        responses={
            200: EventReportSerializer,
            207: OpenApiResponse(EventReportSerializer, description="Some rows were rejected; see errors."),
        },
    )
    def post(self, request):
        rows, single = body_list(request, max_rows=MAX_BATCH)
        report = events_ingest(client=self.client, rows=rows)
        if single and report.errors:
            details = report.errors[0]["errors"]
            field = next(iter(details))
            return error_response("invalid", f"{field}: {details[field][0]}", details=details)
        data = {"accepted": report.accepted, "duplicates": report.duplicates, "errors": report.errors}
        return Response(data, status=status.HTTP_207_MULTI_STATUS if report.errors else status.HTTP_200_OK)
