"""Print, cite, share and export one case study."""

from __future__ import annotations

import re
from pathlib import Path

from cityexchange.schemas import CaseStudyInputSchema
from cityexchange.services import case_studies as service
from tests.factories import make_case_study

ROOT = Path(__file__).resolve().parents[1]  # the repository


def hydrogen(**fields):
    return make_case_study("Hydrogen buses for the city fleet", city="Dortmund", language="en",
                           year=2024, summary="Twenty buses.", body="The depot.", **fields)


def revise(case_study, **changes):
    data = CaseStudyInputSchema().load({"title": case_study.title, "language": "en",
                                        "year": case_study.year, "summary": case_study.summary,
                                        "body": case_study.body, **changes})
    service.update_case_study(case_study, data)


def test_cite_this_names_title_city_year_and_the_revision_url(client, app):
    case_study = hydrogen()
    page = client.get(f"/case-studies/{case_study.slug}").get_data(as_text=True)
    permanent = f"http://localhost/case-studies/{case_study.slug}/revisions/{case_study.revision}"
    citation = re.search(r'<p class="citation" id="citation">(.*?)</p>', page, re.S).group(1)
    assert citation.startswith("Dortmund (2024). Hydrogen buses for the city fleet. "
                               f"CityExchange case study, revision {case_study.revision}.")
    assert f'href="{permanent}"' in citation
    assert f'data-copy="{permanent}"' in page  # the copy-link button
    assert '<script src="/static/share.js" defer></script>' in page
    assert "<script>" not in page and " onclick=" not in page and " style=" not in page


def test_the_permanent_url_keeps_showing_the_cited_text(client, app):
    case_study = hydrogen()
    cited = case_study.revision
    revise(case_study, body="A new depot text.")

    old = client.get(f"/case-studies/{case_study.slug}/revisions/{cited}")
    text = old.get_data(as_text=True)
    assert old.status_code == 200 and "The depot." in text and "A new depot text." not in text
    assert "Read the current version" in text
    current = client.get(f"/case-studies/{case_study.slug}/revisions/{case_study.revision}")
    assert "A new depot text." in current.get_data(as_text=True)


def test_draft_revisions_and_unpublished_case_studies_stay_private(client, app):
    draft = hydrogen(publish=False)
    assert client.get(f"/case-studies/{draft.slug}/revisions/1").status_code == 404
    assert client.get(f"/case-studies/{draft.slug}/export.json").status_code == 404
    service.set_status(draft, "published")  # revision 2 is the published one
    assert client.get(f"/case-studies/{draft.slug}/revisions/1").status_code == 404
    assert client.get(f"/case-studies/{draft.slug}/revisions/2").status_code == 200
    assert client.get(f"/case-studies/{draft.slug}/revisions/99").status_code == 404


def test_the_json_export_of_one_case_study(client, app):
    case_study = hydrogen(topics=["hydrogen"])
    response = client.get(f"/case-studies/{case_study.slug}/export.json")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="{case_study.slug}-r{case_study.revision}.json"')
    data = response.get_json()
    assert (data["title"], data["city"], data["year"], data["topics"]) == (
        "Hydrogen buses for the city fleet", "Dortmund", 2024, ["hydrogen"])
    assert data["permanent_url"].endswith(f"/revisions/{case_study.revision}")
    assert data["citation"].startswith("Dortmund (2024). Hydrogen buses")
    page = client.get(f"/case-studies/{case_study.slug}").get_data(as_text=True)
    assert f'href="/case-studies/{case_study.slug}/export.json"' in page


def test_the_print_stylesheet_is_a4_without_navigation_and_shows_urls(client, app):
    case_study = hydrogen()
    page = client.get(f"/case-studies/{case_study.slug}").get_data(as_text=True)
    assert '<link rel="stylesheet" href="/static/print.css" media="print">' in page
    css = (ROOT / "static" / "print.css").read_text(encoding="utf-8")
    assert "size: A4" in css
    hidden = re.search(r"\n(\.site-header[^{]*)\{ display: none", css).group(1)
    assert "nav" in hidden and ".site-footer" in hidden and "form" in hidden
    assert 'a[href]::after { content: " (" attr(href) ")"' in css
