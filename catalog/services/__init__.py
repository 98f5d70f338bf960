"""The one write path for what people do with the catalog: ratings, events, and forgetting a person.

The website, the API, the importer and account deletion all call these, in
single or bulk form, so a rating or an event means the same thing wherever it
comes from, and Item.rating_count / rating_avg stay true in the transaction
that changes the ratings (see counters.py).
"""

from catalog.services.counters import item_stats_refresh
from catalog.services.interactions import (
    EventRow,
    EventsRecorded,
    interaction_record,
    interactions_delete,
    interactions_record_bulk,
    interactions_undo,
    opinion_set,
)
from catalog.services.people import OtherWorkspace, PersonGone, people_forget, person_forget, person_lock
from catalog.services.ratings import (
    InvalidRating,
    RatingRow,
    RatingsWritten,
    rating_delete,
    rating_upsert,
    rating_validate,
    ratings_delete,
    ratings_upsert_bulk,
)

__all__ = [
    "EventRow",
    "EventsRecorded",
    "InvalidRating",
    "OtherWorkspace",
    "PersonGone",
    "RatingRow",
    "RatingsWritten",
    "interaction_record",
    "interactions_delete",
    "interactions_record_bulk",
    "interactions_undo",
    "item_stats_refresh",
    "opinion_set",
    "people_forget",
    "person_forget",
    "person_lock",
    "rating_delete",
    "rating_upsert",
    "rating_validate",
    "ratings_delete",
    "ratings_upsert_bulk",
]
