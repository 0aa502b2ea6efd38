"""Pages a reader sees: home, case studies, cities, search, errors."""

from __future__ import annotations

import re

import pytest

from cityexchange.extensions import db
from indexer.thesaurus import Concept, Thesaurus
from tests.conftest import build_app, make_config
from tests.factories import make_case_study, make_city


def text(response) -> str:
    return response.get_data(as_text=True)


def main(response) -> str:
    """The page's <main>, without the header's search box and language links."""
    return text(response).split("<main>", 1)[1].split("</main>", 1)[0]


@pytest.fixture
def published(app):
    app.extensions["thesaurus"] = Thesaurus([
        Concept("hydrogen", {"en": "Hydrogen", "de": "Wasserstoff"}),
    ])
    return [
        make_case_study("Hydrogen buses for the city fleet", year=2023, topics=["hydrogen"],
                        summary="Twenty fuel-cell buses.",
                        body="The depot refuels **hydrogen** buses overnight."),
        make_case_study("Youth orchestra exchange", city="Buffalo", year=2024,
                        body="Young musicians from Buffalo visit Dortmund."),
    ]


# -- home, case studies, cities -------------------------------------------------------

def test_home_lists_latest_case_studies_and_cities(client, published):
    make_case_study("Secret draft about budgets", publish=False)

    page = main(client.get("/"))

    assert "Hydrogen buses for the city fleet" in page
    assert "Youth orchestra exchange" in page
    assert "Secret draft" not in page
    assert re.search(r'href="/cities/dortmund">Dortmund</a>\s*<span class="meta">\(DE, 1\)', page)


def test_home_without_case_studies_says_so(client):
    assert "No case studies are published yet." in main(client.get("/"))


def test_case_study_page_renders_markdown_and_thesaurus_labels(client, published):
    response = client.get("/case-studies/hydrogen-buses-for-the-city-fleet?ui_lang=de")

    assert response.status_code == 200
    page = main(response)
    assert "<strong>hydrogen</strong>" in page
    assert ">Wasserstoff</a>" in page
    assert 'href="/cities/dortmund"' in page


def test_case_study_markdown_is_sanitised(client, app):
    make_case_study(
        "Markdown with hostile content",
        body=("Hello <script>alert('x')</script>\n\n"
              "[click me](javascript:alert(1)) and <img src=x onerror=alert(2)>\n\n"
              "<a href=\"javascript:alert(3)\">raw link</a> [fine](https://example.org)"),
    )

    page = main(client.get("/case-studies/markdown-with-hostile-content"))

    # Raw HTML and javascript: links stay visible as text, never as markup.
    assert "<script" not in page
    assert not re.search(r"<a [^>]*href=\"?javascript:", page, re.I)
    assert "<img" not in page
    assert 'href="https://example.org"' in page
    assert "&lt;script&gt;" in page  # shown as text, harmless


def test_drafts_are_404(client, app):
    draft = make_case_study("Draft about district heating", publish=False)

    response = client.get(f"/case-studies/{draft.slug}")

    assert response.status_code == 404
    assert "District heating" not in text(response)


def test_unknown_case_study_is_a_helpful_404(client):
    response = client.get("/case-studies/no-such-thing")

    assert response.status_code == 404
    page = main(response)
    assert "There is no published case study &#39;no-such-thing&#39;." in page
    assert 'href="/search"' in page and 'href="/"' in page


def test_city_page_lists_only_published_case_studies(client, published):
    make_case_study("Draft about district heating", publish=False)

    response = client.get("/cities/dortmund")

    assert response.status_code == 200
    page = main(response)
    assert "Hydrogen buses for the city fleet" in page
    assert "District heating" not in page
    assert "Youth orchestra" not in page


def test_city_without_case_studies(client, app):
    make_city("Lyon")

    assert "No published case studies yet." in main(client.get("/cities/lyon"))


def test_unknown_city_is_a_helpful_404(client):
    response = client.get("/cities/atlantis")

    assert response.status_code == 404
    assert "There is no city &#39;atlantis&#39;." in main(response)


def test_unknown_path_is_a_404_page_not_a_trace(client):
    response = client.get("/no/such/page")

    assert response.status_code == 404
    assert "Not found" in main(response)
    assert "Traceback" not in text(response)


# -- search ---------------------------------------------------------------------------

def test_search_shows_count_highlights_and_facets(client, published):
    page = main(client.get("/search?q=hydrogen"))

    assert "1 case study" in page
    assert "<mark>hydrogen</mark>" in page.casefold()
    assert re.search(r'data-facet="city".*?Dortmund</a> <span class="count">1</span>', page, re.S)
    assert '<option value="relevance" selected>' in page


def test_facet_values_are_links_that_toggle_the_filter(client, published):
    page = main(client.get("/search"))
    assert "2 case studies" in page
    assert 'href="/search?city=Buffalo"' in page

    filtered = main(client.get("/search?city=Buffalo"))
    assert "1 case study" in filtered
    # Disjunctive: Dortmund stays selectable with its count while Buffalo is selected.
    assert re.search(r'href="/search\?city=Buffalo&amp;city=Dortmund"[^>]*>☐ Dortmund</a> '
                     r'<span class="count">1</span>', filtered)
    assert re.search(r'class="facet-value selected" href="/search"[^>]*>☑ Buffalo</a>', filtered)


def test_active_filters_are_removable_chips(client, published):
    page = main(client.get("/search?q=orchestra&city=Buffalo&year=2024"))

    chips = page.split('class="active-filters"', 1)[1].split("</ul>", 1)[0]
    assert 'href="/search?q=orchestra&amp;year=2024"' in chips and "City: Buffalo" in chips
    assert 'href="/search?q=orchestra&amp;city=Buffalo"' in chips and "Year: 2024" in chips
    assert 'href="/search?q=orchestra"' in chips  # clear all


def test_topic_facet_and_chip_use_thesaurus_labels_in_the_ui_language(client, published):
    page = main(client.get("/search?topic=hydrogen&ui_lang=de"))

    assert "Wasserstoff" in page
    assert "hydrogen</a>" not in page


def test_query_in_the_empty_state_is_escaped(client, published):
    page = main(client.get("/search?q=%3Cb%3Exyzzy%3C/b%3E"))

    assert "No case study matches '&lt;b&gt;xyzzy&lt;/b&gt;'." in page


def test_empty_result_says_what_to_do(client, published):
    page = main(client.get("/search?q=xyzzy&city=Dortmund"))

    assert "0 case studies" in page
    assert "No case study matches 'xyzzy'." in page
    assert "Try fewer words or remove a filter:" in page
    assert re.search(r'<a href="/search\?q=xyzzy">remove city: Dortmund</a>', page)


def test_empty_result_without_filters(client, published):
    page = main(client.get("/search?q=xyzzy"))

    assert "No case study matches 'xyzzy'." in page
    assert "remove" not in page


def test_search_pagination_and_sort(client, app):
    for number in range(3):
        make_case_study(f"Climate plan part {number}", body="Climate adaptation.")

    first = main(client.get("/search?q=climate&per_page=2"))
    assert "Page 1 of 2" in first
    assert 'rel="next" href="/search?q=climate&amp;per_page=2&amp;page=2"' in first
    second = main(client.get("/search?q=climate&per_page=2&page=2"))
    assert "Page 2 of 2" in second and 'rel="prev"' in second
    newest = main(client.get("/search?q=climate&sort=newest"))
    assert '<option value="newest" selected>' in newest
    assert newest.index("part 2") < newest.index("part 1") < newest.index("part 0")


def test_search_form_keeps_filters_across_a_new_query(client, published):
    page = main(client.get("/search?q=bus&city=Dortmund"))

    assert '<input type="hidden" name="city" value="Dortmund">' in page


def test_a_page_past_the_last_says_so(client, published):
    page = main(client.get("/search?page=9"))

    assert "This page is past the last one." in page


def test_bad_search_parameters_are_a_400_page_keeping_the_query(client, published):
    response = client.get("/search?q=hydrogen&page=abc")

    assert response.status_code == 400
    page = main(response)
    assert "page: Not a valid integer." in page
    assert 'value="hydrogen"' in page


def test_search_page_escapes_the_query(client, published):
    page = text(client.get("/search?q=%3Cscript%3Ealert(1)%3C/script%3E"))

    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)" in page


@pytest.mark.parametrize("query", ["q=%00", "q=%FF", "ui_lang=xx", "city=&year=", "q=" + "y" * 5000,
                                   "page=1&page=x", "sort=%00"])
def test_odd_search_page_input_is_never_a_500(client, published, query):
    assert client.get(f"/search?{query}").status_code in (200, 400)


# -- the search engine is down --------------------------------------------------------

@pytest.fixture
def down_client(tmp_path):
    """The real embedded engine pointed at a place it cannot use: search is unavailable."""
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the index folder should be")
    app = build_app(make_config(tmp_path, EMBEDDED_INDEX_PATH=str(blocker / "index")))
    with app.app_context():
        make_case_study("Hydrogen buses for the city fleet", body="Hydrogen.")
        yield app.test_client()
        db.session.remove()


def test_search_page_says_search_is_unavailable(down_client):
    response = down_client.get("/search?q=hydrogen")

    assert response.status_code == 503
    page = main(response)
    assert "Search is unavailable at the moment." in page
    assert 'value="hydrogen"' in page


def test_reading_still_works_while_search_is_down(down_client):
    assert down_client.get("/").status_code == 200
    assert "Hydrogen buses" in main(down_client.get("/"))
    assert down_client.get("/case-studies/hydrogen-buses-for-the-city-fleet").status_code == 200
    assert down_client.get("/cities/dortmund").status_code == 200
