"""REST API for games: the games served, and one controller move for a board the partner sends.

A move changes nothing on the server, so it needs only the read scope and counts
against the client's read budget, like a recommendation. It may also search for a
second or more, so moves have a budget of their own too (`games_move`).
"""

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from api.permissions import CanRead
from api.serializers import StrictIntegerField
from api.throttling import ClientRateThrottle
from api.views.base import ClientView
from games.engine import ENGINES, InvalidBoard, position_from_rows
from games.registry import CONTROLLER_CLASSES, GAMES
from games.services import game_ensure, games_ensure
from games.serving import controller_for

BOARD_SCHEMA = {
    "type": "array",
    "minItems": 6,
    "maxItems": 6,
    "description": "6 rows, top row first; each 7 cells, left to right: 0 empty, 1 or 2 a player's disc.",
    "items": {"type": "array", "minItems": 7, "maxItems": 7, "items": {"type": "integer", "enum": [0, 1, 2]}},
}


@extend_schema_field(BOARD_SCHEMA)
class BoardField(serializers.JSONField):
    """Checked by the game's own validator, whose messages name the problem (a floating disc, the counts…)."""


class EngineLevelsSerializer(serializers.Serializer):
    default = serializers.IntegerField()
    max = serializers.IntegerField()


class GameSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    item = serializers.IntegerField(source="item_id", allow_null=True, help_text="The game's catalog item id.")
    engines = serializers.ListField(child=serializers.ChoiceField(choices=ENGINES))
    levels = serializers.DictField(child=EngineLevelsSerializer(), help_text="Levels of each engine, 1 to max.")


class GameListSerializer(serializers.Serializer):
    results = GameSerializer(many=True)


class MoveInSerializer(serializers.Serializer):
    board = BoardField()
    player = StrictIntegerField(min_value=1, max_value=2, help_text="Who moves now: 1 (moved first) or 2.")
    engine = serializers.ChoiceField(choices=ENGINES)
    level = StrictIntegerField(
        min_value=1, max_value=5, required=False, help_text="1 (weakest) up to the engine's max; default: its default."
    )

    def validate(self, data):
        controller = CONTROLLER_CLASSES[data["engine"]]
        level = data.setdefault("level", controller.default_level)
        if level > len(controller.levels):
            raise ValidationError({"level": [f"{data['engine']} levels are 1 to {len(controller.levels)}."]})
        try:
            data["position"] = position_from_rows(data["board"], data["player"])
        except InvalidBoard as exc:
            raise ValidationError({"board": [f"{exc}."]}) from None
        return data


class MoveSerializer(serializers.Serializer):
    column = serializers.IntegerField(min_value=0, max_value=6, help_text="Where the engine drops its disc, 0-6.")
    explanation = serializers.CharField(help_text="Why, for people (columns numbered 1-7 from the left).")
    engine = serializers.CharField()
    level = serializers.IntegerField()
    version = serializers.CharField(allow_null=True, help_text="The learning engine's model version; else null.")


class MoveRateThrottle(ClientRateThrottle):
    """Moves per client (all its keys), counted besides its read budget: a search costs far more than a read.

    A client's own throttle rate, set by staff in the admin, applies to its moves too.
    """

    scope = "games_move"


class GameApiView(ClientView):
    permission_classes = [CanRead]
    throttle_classes = [ClientRateThrottle]


class GameListView(GameApiView):
    @extend_schema(summary="Games and their AI engines", operation_id="games_list", responses=GameListSerializer)
    def get(self, request):
        games = [
            {"slug": g.slug, "name": g.name, "item_id": g.item_id, "engines": list(ENGINES), "levels": _levels()}
            for g in games_ensure()
        ]
        return Response(GameListSerializer({"results": games}).data)


class GameMoveView(GameApiView):
    throttle_classes = [ClientRateThrottle, MoveRateThrottle]

    @extend_schema(
        summary="The engine's move for a board", operation_id="games_move", request=MoveInSerializer,
        responses=MoveSerializer,
    )  # fmt: skip
    def post(self, request, slug):
        if slug not in GAMES:
            raise NotFound("No such game.")
        serializer = MoveInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        controller, version = controller_for(game=game_ensure(slug=slug), engine=data["engine"])
        column, explanation = controller.choose(data["position"], data["player"], data["level"])
        move = {"column": column, "explanation": explanation, "engine": data["engine"], "level": data["level"],
                "version": version}  # fmt: skip
        return Response(MoveSerializer(move).data)


def _levels() -> dict:
    return {e: {"default": c.default_level, "max": len(c.levels)} for e, c in CONTROLLER_CLASSES.items()}
