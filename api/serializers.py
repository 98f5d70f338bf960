"""Small input and output serializers, one per purpose."""

import functools

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.selectors import MAX_PK
from catalog import params
from catalog.models import API_ITEM_SOURCE, RATING_VALUES, Genre, Interaction, Item, Tag
from recommendations.models import DiversitySetting, Rule

EVENT_KINDS = ["rating", *Interaction.Kind.values]
MAX_BATCH = 10_000


# JSON types are part of the contract: DRF would turn 5 into "5" and "5" into 5, the schema says neither.
class StrictCharField(serializers.CharField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictURLField(serializers.URLField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class QueryIntegerField(serializers.IntegerField):
    """A query parameter's integer, written as in JSON (see catalog.params.whole_number)."""

    def to_internal_value(self, data):
        if params.whole_number(data) is None:
            self.fail("invalid")
        return super().to_internal_value(data)


class QueryFloatField(serializers.FloatField):
    """A query parameter's number, written as in JSON (see catalog.params.written_number)."""

    def to_internal_value(self, data):
        if params.written_number(data) is None:
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictFloatField(serializers.FloatField):
    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (int, float)):
            self.fail("invalid")
        return super().to_internal_value(data)


class OneOrMany(serializers.Serializer):
    """Documents a body that is one `row_serializer` object or a list of them (see api.schema)."""

    row_serializer: type[serializers.Serializer]


# --- Items -------------------------------------------------------------------------------


class ItemSerializer(serializers.ModelSerializer):
    external_id = serializers.SerializerMethodField(help_text="Your id for the item, null for shared catalog items.")
    genres = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")
    tags = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")
    creators = serializers.ListField(child=serializers.JSONField(), read_only=True)
    image_url = serializers.CharField(read_only=True, help_text="An image URL, or empty.")

    class Meta:
        model = Item
        fields = [
            "id", "external_id", "kind", "title", "description", "year", "genres", "tags", "creators",
            "image_url", "rating_count", "rating_avg", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_external_id(self, item) -> str | None:
        client = self.context.get("client")
        return item.source_id if client is not None and item.source == API_ITEM_SOURCE else None


class ItemUpsertSerializer(serializers.Serializer):
    """One item of a bulk upsert. Unknown fields (id, client, is_active…) are ignored."""

    external_id = StrictCharField(max_length=100, help_text="Your own id for the item: the upsert key.")
    kind = serializers.ChoiceField(choices=Item.Kind.choices, default=Item.Kind.MOVIE)
    title = StrictCharField(max_length=300)
    description = StrictCharField(allow_blank=True, default="", max_length=20_000)
    year = StrictIntegerField(min_value=1, max_value=9999, allow_null=True, default=None)
    genres = serializers.ListField(
        child=StrictCharField(max_length=64), max_length=30, default=list, help_text="Genre names."
    )
    tags = serializers.ListField(child=StrictCharField(max_length=100), max_length=100, default=list)
    creators = serializers.ListField(child=StrictCharField(max_length=200), max_length=50, default=list)
    image_url = StrictURLField(allow_blank=True, default="", max_length=200)


class ItemBatchSerializer(OneOrMany):
    row_serializer = ItemUpsertSerializer


class BatchErrorSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the rejected row in the request body (0 for one object).")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), help_text="Messages by field."
    )


class ItemUpsertedSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    external_id = serializers.CharField()
    id = serializers.IntegerField(help_text="Encore id of the item.")
    created = serializers.BooleanField()


class ItemUpsertReportSerializer(serializers.Serializer):
    accepted = serializers.IntegerField(help_text="Rows stored (created or updated).")
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    items = ItemUpsertedSerializer(many=True)
    errors = BatchErrorSerializer(many=True, help_text="Rejected rows; every other row was kept.")


# --- Events -------------------------------------------------------------------------------


@extend_schema_field({"oneOf": [{"type": "string", "minLength": 1, "maxLength": 150}, {"type": "integer"}]})
class ExternalUserField(serializers.Field):
    pass


@extend_schema_field(
    {
        "oneOf": [
            {"type": "integer", "minimum": 1, "description": "Encore item id"},
            {"type": "string", "minLength": 1, "maxLength": 100, "description": "your external_id"},
        ]
    }
)
class ItemReferenceField(serializers.Field):
    pass


class EventSerializer(serializers.Serializer):
    """Documents one event; api.ingestion.events validates rows with the same rules, faster."""

    user = ExternalUserField(help_text="Your id for the user; the Encore user is created on first sight.")
    item = ItemReferenceField(help_text="A JSON integer is an Encore item id, a string is your external_id.")
    kind = serializers.ChoiceField(choices=EVENT_KINDS)
    value = serializers.FloatField(
        required=False,
        allow_null=True,
        help_text=f"Required for ratings: one of {', '.join(map(str, RATING_VALUES))}. "
        "Optional for other kinds (e.g. the fraction watched).",
    )
    timestamp = serializers.DateTimeField(required=False, allow_null=True, help_text="ISO 8601; defaults to now.")
    idempotency_key = serializers.CharField(
        required=False, allow_null=True, max_length=100, help_text="A retry with the same key is stored once."
    )
    recommendation_id = serializers.UUIDField(
        required=False, allow_null=True,
        help_text="The recommendation_id of the list the user acted from: credits the action to that list "
        "(without it, to the latest list that showed the item within the attribution window).",
    )  # fmt: skip


class EventBatchSerializer(OneOrMany):
    row_serializer = EventSerializer


class EventReportSerializer(serializers.Serializer):
    accepted = serializers.IntegerField(help_text="Valid rows, including retries already stored.")
    duplicates = serializers.IntegerField(help_text="Rows skipped because their idempotency_key was already seen.")
    errors = BatchErrorSerializer(many=True, help_text="Rejected rows; every other row was kept.")


# --- Recommendations ------------------------------------------------------------------------


class QuerySerializer(serializers.Serializer):
    """Query parameters, validated by the serializer the schema documents.

    One instance per class validates every request: its fields hold no request
    state, and building a serializer's fields anew costs ~0.3 ms, as much as a
    whole cached recommendations answer.
    """

    @classmethod
    def validated(cls, query_params) -> dict:
        """The valid parameters; a bad one (an empty one too) raises a ValidationError naming it."""
        # A plain dict, not the QueryDict: DRF reads "?kind=" from a QueryDict as "not given".
        return _shared_instance(cls).run_validation(query_params.dict())


@functools.cache
def _shared_instance(serializer_class: type[serializers.Serializer]) -> serializers.Serializer:
    return serializer_class()


PLACEMENTS = [value for value in Rule.Placement.values if value]


def placement_field(default: str) -> serializers.ChoiceField:
    return serializers.ChoiceField(
        choices=PLACEMENTS, required=False,
        help_text=f"Which placement's rules shape the list (see /rules/); default {default}.",
    )  # fmt: skip


def diversity_field() -> serializers.FloatField:
    return QueryFloatField(
        min_value=0.0, max_value=1.0, required=False,
        help_text="0 keeps the ranking; towards 1 the list spreads over more genres, tags and creators. "
        "Default: the placement's diversity setting (see /diversity/); its caps per genre and creator hold "
        "whatever this says.",
    )  # fmt: skip


class RecommendationQuerySerializer(QuerySerializer):
    limit = QueryIntegerField(**params.LIMIT, default=20)
    placement = placement_field(f"{Rule.Placement.API_RECOMMENDATIONS} ({Rule.Placement.ME_FEED} for /me/feed/)")
    diversity = diversity_field()
    kind = serializers.ChoiceField(**params.KIND, required=False)
    genre = serializers.CharField(**params.GENRE, required=False, help_text="Genre name or slug.")
    exclude = serializers.RegexField(
        rf"^[0-9]{{1,19}}(,[0-9]{{1,19}}){{0,{params.EXCLUDE_MAX - 1}}}$",
        required=False,
        help_text=f"Comma-separated Encore item ids to leave out (e.g. items on screen already), "
        f"at most {params.EXCLUDE_MAX}.",
    )

    def validate_exclude(self, value: str) -> list[int]:
        # Sorted, so the same set of ids is the same cached answer; ids beyond bigint name no item.
        return sorted({pk for pk in map(int, value.split(",")) if 0 < pk <= MAX_PK})


class SimilarQuerySerializer(QuerySerializer):
    limit = QueryIntegerField(**params.LIMIT, default=12)
    placement = placement_field(Rule.Placement.API_SIMILAR)
    diversity = diversity_field()


class TrendingQuerySerializer(QuerySerializer):
    limit = QueryIntegerField(**params.LIMIT, default=20)
    kind = serializers.ChoiceField(**params.KIND, required=False)
    placement = placement_field(Rule.Placement.API_TRENDING)
    diversity = diversity_field()


class RecommendationSerializer(serializers.Serializer):
    item = ItemSerializer()
    score = serializers.FloatField()
    reason = serializers.CharField(help_text='Why this item, e.g. "Because you rated Alien ★★★★★".')
    because = serializers.ListField(
        child=serializers.IntegerField(), help_text="Encore ids of the history items behind the reason."
    )
    rule = serializers.IntegerField(
        allow_null=True, help_text='The rule that pinned (reason "Featured"), boosted or buried it; null: none.'
    )


def shown_fields() -> dict:
    return {
        "recommendation_id": serializers.UUIDField(
            allow_null=True, help_text="This list's id: send it with the events it leads to (null when lists are "
            "not recorded).",
        ),
        "variant": serializers.CharField(
            help_text='The experiment variant that served it: "control" when no experiment runs.'
        ),
    }  # fmt: skip


class RecommendationListSerializer(serializers.Serializer):
    recommendation_id = shown_fields()["recommendation_id"]
    variant = shown_fields()["variant"]
    model_version = serializers.IntegerField(allow_null=True, help_text="The model that ranked them; null: popularity.")
    results = RecommendationSerializer(many=True)


# --- The website's own users (/me/) -------------------------------------------------------------


class MyRatingSerializer(serializers.Serializer):
    item = ItemSerializer(read_only=True)
    value = serializers.FloatField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class MyRatingInSerializer(serializers.Serializer):
    item = StrictIntegerField(min_value=1, help_text="Encore item id.")
    value = StrictFloatField(min_value=0.5, max_value=5.0, help_text="0.5 to 5.0 in half steps.")

    def validate_value(self, value):
        if value not in RATING_VALUES:
            raise serializers.ValidationError("A rating goes from 0.5 to 5.0 in half steps.")
        return value


class MyEventInSerializer(serializers.Serializer):
    item = StrictIntegerField(min_value=1, help_text="Encore item id.")
    kind = serializers.ChoiceField(choices=Interaction.Kind.choices)
    value = StrictFloatField(required=False, allow_null=True)


class MyEventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    item = serializers.IntegerField(source="item_id")
    kind = serializers.CharField()
    value = serializers.FloatField(allow_null=True)
    created_at = serializers.DateTimeField()
    created = serializers.BooleanField()


# --- Merchandising rules ------------------------------------------------------------------------


@extend_schema_field({"type": "string", "nullable": True})
class NamedReferenceField(serializers.RelatedField):
    """A genre or tag of the client's workspace by name (case-insensitive) or slug; shown by `shown_as`."""

    default_error_messages = {"does_not_exist": "No {what} {value!r} in this workspace.", "invalid": "A {what} name."}

    def __init__(self, *, what: str, shown_as: str, by_slug: bool, **kwargs):
        self.what, self.shown_as, self.by_slug = what, shown_as, by_slug
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str) or not data.strip():
            self.fail("invalid", what=self.what)
        match = Q(name__iexact=data) | (Q(slug=data) if self.by_slug else Q())
        found = self.get_queryset().filter(match).first()
        if found is None:
            self.fail("does_not_exist", what=self.what, value=data)
        return found

    def to_representation(self, value):
        return getattr(value, self.shown_as)


class RuleSerializer(serializers.ModelSerializer):
    """A rule of the client's workspace. Targets are checked against that workspace only."""

    item = serializers.PrimaryKeyRelatedField(
        queryset=Item.objects.none(), required=False, allow_null=True, help_text="Target item (Encore id)."
    )
    genre = NamedReferenceField(
        what="genre", shown_as="slug", by_slug=True, queryset=Genre.objects.none(), required=False, allow_null=True,
        help_text="Target genre: slug or name.",
    )  # fmt: skip
    tag = NamedReferenceField(
        what="tag", shown_as="name", by_slug=False, queryset=Tag.objects.none(), required=False, allow_null=True,
        help_text="Target tag name.",
    )  # fmt: skip
    name = StrictCharField(max_length=100)
    weight = StrictFloatField(required=False, help_text="Boost and bury: a factor above 1 (default 2).")
    kind = serializers.ChoiceField(choices=Item.Kind.choices, required=False, allow_blank=True)

    class Meta:
        model = Rule
        fields = [
            "id", "name", "action", "weight", "position", "target", "item", "genre", "tag", "kind", "creator",
            "year_min", "year_max", "new_days", "placement", "max_interactions", "starts_at", "ends_at",
            "is_active", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["id", "created_at", "updated_at"]

    def get_fields(self):
        fields = super().get_fields()
        client = self.context.get("client")
        if client is not None:
            fields["item"].queryset = Item.objects.of(client.workspace_id)
            fields["genre"].queryset = Genre.objects.filter(workspace_id=client.workspace_id)
            fields["tag"].queryset = Tag.objects.filter(workspace_id=client.workspace_id)
        return fields

    def validate(self, attrs):
        """The model's own checks (what the admin shows too), as per-field errors."""
        rule = (
            Rule(**{f.name: getattr(self.instance, f.name) for f in Rule._meta.concrete_fields})
            if self.instance
            else Rule()
        )
        for name, value in attrs.items():
            setattr(rule, name, value)
        rule.workspace_id = self.context["client"].workspace_id
        try:
            rule.clean()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        return attrs


class DiversitySettingSerializer(serializers.ModelSerializer):
    """How spread the client's lists of one placement are (empty placement: every list without its own)."""

    placement = serializers.ChoiceField(
        choices=Rule.Placement.values, required=False, allow_blank=True,
        help_text=f"One of {', '.join(PLACEMENTS)}; empty (the default) for every list without a setting of its own.",
    )  # fmt: skip
    diversity = StrictFloatField(
        min_value=0.0, max_value=1.0, required=False,
        help_text="0 (the default) keeps the model's ranking; towards 1 the list spreads over more genres, tags "
        "and creators.",
    )  # fmt: skip
    cap_per_genre = StrictIntegerField(
        min_value=1, max_value=1000, required=False, allow_null=True,
        help_text="At most this many items of one genre in a list (null: no cap); a list may end shorter.",
    )  # fmt: skip
    cap_per_creator = StrictIntegerField(
        min_value=1, max_value=1000, required=False, allow_null=True,
        help_text="At most this many items of one creator in a list (null: no cap).",
    )  # fmt: skip

    class Meta:
        model = DiversitySetting
        fields = ["id", "placement", "diversity", "cap_per_genre", "cap_per_creator", "updated_at"]
        read_only_fields = ["id", "updated_at"]

    def validate(self, attrs):
        """One setting per placement of the workspace, said on the placement."""
        placement = attrs.get("placement", self.instance.placement if self.instance else "")
        taken = DiversitySetting.objects.filter(workspace_id=self.context["client"].workspace_id, placement=placement)
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            shown = placement or "every list"
            raise serializers.ValidationError({"placement": f"A setting for {shown} exists already: change that one."})
        return attrs
