"""A member plays Connect Four to the end in a real, headless Chromium against a live server."""

import pytest
from django.contrib.auth import get_user_model

from catalog.models import Interaction
from games.models import Match
from tests.e2e.test_browser import browser, by_css, wait_for  # noqa: F401 - fixture

PASSWORD = "plum-Orchard-Lantern-83"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_member_plays_a_game_to_the_end_with_explained_moves(browser, live_server):  # noqa: F811
    from selenium.webdriver.support.ui import Select

    user = get_user_model().objects.create_user("player", "player@example.com", PASSWORD)
    browser.get(live_server.url + "/accounts/login/")
    by_css(browser, "#id_username")[0].send_keys("player")
    by_css(browser, "#id_password")[0].send_keys(PASSWORD)
    by_css(browser, "form.form button[type=submit]")[0].click()
    wait_for(browser, lambda d: "Log out" in d.page_source)

    by_css(browser, "a[href='/games/']")[0].click()
    wait_for(browser, lambda d: by_css(d, "a[href='/games/connect-four/'].button"))
    by_css(browser, "a[href='/games/connect-four/'].button")[0].click()
    wait_for(browser, lambda d: by_css(d, "#new-game"))
    Select(by_css(browser, "#engine")[0]).select_by_value("rules")
    Select(by_css(browser, "#level")[0]).select_by_value("1")
    by_css(browser, "#new-game button[type=submit]")[0].click()

    status = by_css(browser, "#game-status")[0]
    for _ in range(25):  # at most 21 moves each, however the game goes
        wait_for(
            browser, lambda d: status.get_attribute("data-result") or any(b.is_enabled() for b in by_css(d, ".c4-drop"))
        )
        if status.get_attribute("data-result"):
            break
        before = len(by_css(browser, ".c4-cell[data-disc='1'], .c4-cell[data-disc='2']"))
        next(b for b in by_css(browser, ".c4-drop") if b.is_enabled()).click()
        wait_for(
            browser,
            lambda d: (
                status.get_attribute("data-result")
                or len(by_css(d, ".c4-cell[data-disc='1'], .c4-cell[data-disc='2']")) >= before + 2
            ),
        )

    result = status.get_attribute("data-result")
    assert result in ("win", "loss", "draw")
    assert "Your rating is now" in status.text
    explanations = [e.text for e in by_css(browser, "#explanations li")]
    assert explanations and all("column" in text for text in explanations)
    match = Match.objects.get(player=user)
    assert (match.engine, match.level, match.result) == ("rules", 1, result)
    assert len(match.moves) == len(by_css(browser, ".c4-cell[data-disc='1'], .c4-cell[data-disc='2']"))
    assert Interaction.objects.filter(user=user, kind="play", item__source_id="connect-four").count() == 1
