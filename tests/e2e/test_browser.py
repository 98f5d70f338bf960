"""The website in a real, headless Chromium against a live server.

One journey a new member takes: sign up, onboarding, a feed that explains
itself, rating and disliking in place, export, deletion.
"""

import json

import pytest
from django.contrib.auth import get_user_model

from catalog.models import Interaction, Rating
from recommendations.training import train_model_version
from tests.catalog_builders import build_tiny_catalog
from tests.conftest import CHROMEDRIVER, CHROMIUM

PASSWORD = "plum-Orchard-Lantern-83"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),  # the live server thread must see the test's data
]


def start_chromium(*, javascript: bool = True):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1280,1000",
    ):  # fmt: skip
        options.add_argument(flag)
    if not javascript:
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    return webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))


@pytest.fixture
def browser():
    driver = start_chromium()
    yield driver
    driver.quit()


@pytest.fixture
def browser_without_javascript():
    driver = start_chromium(javascript=False)
    yield driver
    driver.quit()


def wait_for(driver, condition, timeout=15):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(lambda d: condition(d))


def by_css(driver, selector):
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, selector)


def feed_titles(driver, row=None):
    scope = f"#row-{row} ~ ul " if row else "#feed "
    return [e.text for e in by_css(driver, scope + ".card-title a")]


def test_a_new_member_signs_up_gets_an_explained_feed_that_reacts_and_leaves(browser, live_server, media_root):
    catalog = build_tiny_catalog()
    train_model_version()
    url = live_server.url

    # Sign up.
    browser.get(url + "/")
    by_css(browser, "a[href='/signup/']")[0].click()
    wait_for(browser, lambda d: by_css(d, "#id_username"))
    for field, value in (
        ("username", "newbie"),
        ("email", "newbie@example.com"),
        ("password1", PASSWORD),
        ("password2", PASSWORD),
    ):
        by_css(browser, f"#id_{field}")[0].send_keys(value)
    by_css(browser, "form.form button[type=submit]")[0].click()

    # Onboarding: pick five sci-fi titles.
    wait_for(browser, lambda d: "Pick at least 5" in d.page_source)
    for item in catalog.scifi[:5]:
        by_css(browser, f"label[for='pick-{item.pk}']")[0].click()
    by_css(browser, "button[name=save]")[0].click()

    # The feed shows personal rows with reasons.
    wait_for(browser, lambda d: by_css(d, "#row-top-picks"))
    assert "Because you liked Space" in browser.page_source
    reasons = [e.text for e in by_css(browser, "#row-top-picks ~ ul .reason")]
    assert reasons and all(r.startswith(("Because you liked", "Popular", "Similar")) for r in reasons)
    picks_before = feed_titles(browser, "top-picks")
    assert picks_before and all(t.startswith("Space") for t in picks_before[:2])

    # Rate a romance title five stars, in place: the page is not reloaded and the feed changes.
    browser.execute_script("window.__sameDocument = true")
    target = catalog.romance[0]
    assert target.title in feed_titles(browser)
    star = by_css(browser, f"#feed label[for$='-{target.pk}-1']")[0]  # the first radio is 5 stars
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", star)
    star.click()
    wait_for(browser, lambda d: f"You rated {target.title} ★★★★★" in d.page_source)
    assert browser.execute_script("return window.__sameDocument === true")
    assert Rating.objects.get(user__username="newbie", item=target).value == 5.0
    assert target.title not in feed_titles(browser)
    wait_for(browser, lambda d: feed_titles(d, "top-picks") != picks_before)
    assert f"Because you liked {target.title}" in browser.page_source or any(
        t.startswith("Love") for t in feed_titles(browser, "top-picks")
    )

    # Dislike the first top pick: it disappears at once, and after a reload too.
    first = by_css(browser, "#row-top-picks ~ ul li")[0]
    disliked = first.find_element("css selector", ".card-title a").text
    button = first.find_element("css selector", "button[aria-label^='Dislike']")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    button.click()
    wait_for(browser, lambda d: f"You disliked {disliked}" in d.page_source)
    assert disliked not in feed_titles(browser)
    browser.get(url + "/")
    wait_for(browser, lambda d: by_css(d, "#feed"))
    assert disliked not in feed_titles(browser)

    # Export: the JSON holds the rating, the onboarding likes and the dislike.
    browser.get(url + "/me/account/")
    assert by_css(browser, "a[href='/me/export.json']")
    exported = browser.execute_async_script(
        "const done = arguments[0]; fetch('/me/export.json').then(r => r.text()).then(done);"
    )
    data = json.loads(exported)
    assert data["account"]["username"] == "newbie"
    assert [(r["title"], r["value"]) for r in data["ratings"]] == [(target.title, 5.0)]
    kinds = [e["kind"] for e in data["interactions"]]
    assert kinds.count("like") == 5 and "dislike" in kinds

    # Delete the account: everything is gone and the visitor is logged out.
    by_css(browser, "a[href='/me/delete/']")[0].click()
    wait_for(browser, lambda d: by_css(d, "#id_password"))
    by_css(browser, "#id_password")[0].send_keys(PASSWORD)
    by_css(browser, "form.form button[type=submit]")[0].click()
    wait_for(browser, lambda d: "Your account, ratings and history are deleted" in d.page_source)
    assert "Sign up" in browser.page_source
    assert not get_user_model().objects.filter(username="newbie").exists()
    assert not Rating.objects.filter(user__username="newbie").exists()
    assert not Interaction.objects.filter(item__in=catalog.scifi[:5], user__username="newbie").exists()


def test_rating_and_disliking_work_without_javascript(browser_without_javascript, live_server, media_root):
    browser = browser_without_javascript
    catalog = build_tiny_catalog()
    user = get_user_model().objects.create_user("plain", "plain@example.com", PASSWORD)
    browser.get(live_server.url + "/accounts/login/")
    by_css(browser, "#id_username")[0].send_keys("plain")
    by_css(browser, "#id_password")[0].send_keys(PASSWORD)
    by_css(browser, "form.form button[type=submit]")[0].click()
    wait_for(browser, lambda d: "Log out" in d.page_source)

    item = catalog.scifi[3]
    browser.get(f"{live_server.url}/items/{item.pk}/")
    by_css(browser, f"label[for='s-me-{item.pk}-2']")[0].click()  # 4.5 stars
    by_css(browser, "#my-actions .rate-form button[type=submit]")[0].click()
    wait_for(browser, lambda d: f"You rated {item.title} ★★★★½" in d.page_source)
    assert Rating.objects.get(user=user, item=item).value == 4.5

    browser.get(live_server.url + "/")
    first = by_css(browser, "#feed .card")[0]
    title = first.find_element("css selector", ".card-title a").text
    first.find_element("css selector", "button[aria-label^='Dislike']").click()
    wait_for(browser, lambda d: f"You disliked {title}" in d.page_source)
    assert title not in feed_titles(browser)


def test_keyboard_users_pick_stars_with_arrows_and_confirm_with_enter(browser, live_server, media_root):
    from selenium.webdriver.common.keys import Keys

    catalog = build_tiny_catalog()
    user = get_user_model().objects.create_user("keys", "keys@example.com", PASSWORD)
    item = catalog.romance[3]
    browser.get(live_server.url + "/accounts/login/")
    by_css(browser, "#id_username")[0].send_keys("keys")
    by_css(browser, "#id_password")[0].send_keys(PASSWORD + Keys.ENTER)
    wait_for(browser, lambda d: "Log out" in d.page_source)
    browser.get(f"{live_server.url}/items/{item.pk}/")
    wait_for(browser, lambda d: d.execute_script("return document.documentElement.classList.contains('htmx-ready')"))

    # Tab into the star group, then walk down from 5 stars: no rating is saved on the way.
    by_css(browser, "#my-actions-title")[0].click()
    radios = by_css(browser, "#my-actions input[name=value]")
    body = by_css(browser, "body")[0]
    for _ in range(12):
        body = browser.switch_to.active_element
        if body in radios:
            break
        body.send_keys(Keys.TAB)
    browser.switch_to.active_element.send_keys(Keys.ARROW_RIGHT)
    browser.switch_to.active_element.send_keys(Keys.ARROW_RIGHT)
    assert by_css(browser, "#my-actions .js-hide")[0].is_displayed()  # the Save button shows for keyboard users
    assert not Rating.objects.filter(user=user).exists()

    browser.switch_to.active_element.send_keys(Keys.ENTER)

    wait_for(browser, lambda d: f"You rated {item.title}" in d.page_source)
    assert Rating.objects.get(user=user, item=item).value in (4.0, 4.5)
