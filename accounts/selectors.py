"""Reads for the account pages: onboarding choices and a member's own data."""

from collections import defaultdict

from catalog.models import Interaction, Item, Rating


def onboarding_candidates(*, limit: int = 36, pool: int = 400) -> list[Item]:
    """Popular titles spread over genres: the most rated of each genre, taken in turns.

    A plain "most popular" list is dominated by two or three genres; taking
    turns lets someone who only likes documentaries or musicals find theirs.
    """
    popular = (
        Item.objects.active()
        .website()
        .filter(rating_count__gt=0)
        .order_by("-rating_count", "pk")
        .prefetch_related("genres")[:pool]
    )
    by_genre = defaultdict(list)
    for item in popular:
        for genre in item.genres.all():
            by_genre[genre.name].append(item)
    # Genres with the most popular titles first, so the first row is familiar; each genre in
    # turn adds its most popular title not chosen yet, so niche genres get a seat too.
    queues = [iter(queue) for queue in sorted(by_genre.values(), key=len, reverse=True)]
    chosen, seen = [], set()
    while queues and len(chosen) < limit:
        for queue in list(queues):
            item = next((i for i in queue if i.pk not in seen), None)
            if item is None:
                queues.remove(queue)
                continue
            chosen.append(item)
            seen.add(item.pk)
            if len(chosen) == limit:
                return chosen
    # A catalog without genres: the most popular titles.
    for item in popular:
        if item.pk not in seen and len(chosen) < limit:
            chosen.append(item)
            seen.add(item.pk)
    return chosen


def ratings_of(*, user):
    return Rating.objects.filter(user=user).select_related("item").order_by("-updated_at", "-pk")


def history_of(*, user):
    return Interaction.objects.filter(user=user).select_related("item").order_by("-created_at", "-pk")


def not_interested_of(*, user) -> list[Interaction]:
    """The newest "not interested" or "dislike" per item: what the member asked us to stop showing."""
    events = history_of(user=user).filter(kind__in=[Interaction.Kind.NOT_INTERESTED, Interaction.Kind.DISLIKE])
    latest = {}
    for event in events:
        latest.setdefault(event.item_id, event)
    return list(latest.values())
