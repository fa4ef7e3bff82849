"""Every public page answers and talks about its topic."""

import pytest

PAGES = {
    "/": ["back pain", "Book a session"],
    "/services": ["Therapeutic back massage", "Deep tissue massage", "£"],
    "/back-pain": [
        "chronic",
        "acute",
        "mobility",
        "spasm",
        "flexibility",
        "herniated disc",
        "osteoarthritis",
        "fibromyalgia",
        "muscle strain",
        "muscle injury",
        "lower back",
        "whole back",
    ],
    "/severe-pain": ["doctor", "clearance", "hold"],
    "/therapists": ["Amira Hassan", "Tom Reilly", "Grace Okafor"],
    "/visit": ["Monday", "09:00", "020 7946 0321", "Harrow Lane"],
    "/privacy": ["health", "consent", "delete"],
}


@pytest.mark.parametrize(("path", "words"), PAGES.items())
def test_public_page_answers_with_its_topic(client, demo, path, words):
    response = client.get(path)
    assert response.status_code == 200
    page = response.get_data(as_text=True).lower()
    for word in words:
        assert word.lower() in page, f"{path} does not mention {word!r}"
    assert page.count("<h1") == 1
    assert 'href="#main"' in page  # skip link


def test_each_service_has_a_page_with_durations_and_prices(client, demo):
    from booking.services.catalog import active_services

    for service in active_services():
        page = client.get(f"/services/{service.slug}").get_data(as_text=True)
        assert service.name.replace("&", "&amp;") in page or service.name in page
        for option in service.durations:
            assert f"{option.minutes} minutes" in page


def test_unknown_service_is_a_friendly_404(client, demo):
    response = client.get("/services/no-such-thing")
    assert response.status_code == 404
    assert "couldn" in response.get_data(as_text=True)


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/nowhere")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "couldn" in body
    assert "Traceback" not in body


def test_pages_make_no_third_party_requests(client, demo):
    import re

    for path in PAGES:
        page = client.get(path).get_data(as_text=True)
        for url in re.findall(r'(?:src|href)="([^"]+)"', page):
            assert not url.startswith(("http://", "https://", "//")), (path, url)


def test_service_page_does_not_claim_to_flush_toxins(client, demo):
    for path in ["/", "/back-pain", "/services", "/severe-pain"]:
        page = client.get(path).get_data(as_text=True).lower()
        assert "toxin" not in page or "do not" in page
        assert "metabolic waste" not in page or "no good evidence" in page


def test_pages_have_no_inline_styles_or_scripts(client, demo):
    """A strict Content-Security-Policy will forbid inline code and styles."""
    import re

    paths = [*PAGES, "/services/deep-tissue-massage", "/nowhere"]
    for path in paths:
        page = client.get(path).get_data(as_text=True).lower()
        # Only external scripts (static/js/forms.js): no inline code.
        scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
        assert all(" src=" in attrs and not body.strip() for attrs, body in scripts), path
        assert "<style" not in page, path
        assert not re.search(r"\sstyle=", page), path
        assert not re.search(r"\son[a-z]+=", page), path


def test_headings_do_not_skip_levels(client, demo):
    import re
    from itertools import pairwise

    from booking.services.catalog import active_services

    paths = [*PAGES, *(f"/services/{s.slug}" for s in active_services())]
    for path in paths:
        page = client.get(path).get_data(as_text=True)
        levels = [int(n) for n in re.findall(r"<h([1-6])[\s>]", page)]
        assert levels[0] == 1, path
        for before, after in pairwise(levels):
            assert after <= before + 1, (path, levels)


def test_home_calls_to_book_and_points_severe_pain_to_a_doctor(client, demo):
    page = client.get("/").get_data(as_text=True)
    assert 'href="/book/">Book a session<' in page
    assert "See your doctor first" in page
    assert 'href="/severe-pain"' in page
    assert "From £35" in page  # the cheapest option of the therapeutic back massage


def test_deep_pressure_service_warns_who_it_is_not_for(client, demo):
    deep = client.get("/services/deep-tissue-massage").get_data(as_text=True)
    gentle = client.get("/services/therapeutic-back-massage").get_data(as_text=True)
    for words in ["blood thinners", "osteoporosis", "pregnant"]:
        assert words in deep
    assert "£62" in deep and "£82" in deep
    assert "Amira Hassan" in deep and "Grace Okafor" in deep
    assert "Tom Reilly" not in deep
    assert "Deep pressure is not for everyone" not in gentle


def test_severe_pain_page_gives_red_flags_and_the_hold_rule(client, demo):
    page = client.get("/severe-pain").get_data(as_text=True)
    assert "Call 999 or go to A&amp;E now" in page
    assert "111" in page
    assert "48 hours after you book" in page
    assert "24 hours before your appointment" in page
    assert "no charge" in page


def test_back_pain_page_words_conditions_honestly(client, demo):
    page = client.get("/back-pain").get_data(as_text=True).lower()
    assert "we may ask you to check with your doctor first" in page
    assert "we treat" not in page
    assert "cochrane" in page and "ng59" in page
    assert "not a replacement for medical care" in page


def test_opening_hours_table_is_accessible_and_complete(client, demo):
    page = client.get("/visit").get_data(as_text=True)
    assert '<th scope="col">Day</th>' in page
    assert page.count('<th scope="row">') == 7
    assert "Sunday</th>" in page and "Closed" in page
    assert "08:00 to 18:00" in page  # Monday: two therapists' hours merged
    assert "Europe/London" in page
    assert 'href="tel:02079460321"' in page


def test_every_service_page_leads_into_the_booking_flow_with_it_chosen(client, demo):
    from booking.services.catalog import active_services

    for service in active_services():
        page = client.get(f"/services/{service.slug}").get_data(as_text=True)
        assert f'href="/book/?service={service.slug}"' in page
        chosen = client.get(f"/book/?service={service.slug}").get_data(as_text=True)
        first = service.durations[0].minutes
        assert f'value="{service.slug}:{first}" checked' in chosen
