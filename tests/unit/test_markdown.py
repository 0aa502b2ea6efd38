from cityexchange.markdown import plain_text, render_markdown


def test_markdown_renders_headings_lists_and_links():
    html = render_markdown("## Results\n\n- 20 buses\n- [report](https://example.org/r)")
    assert "<h2>Results</h2>" in html
    assert "<li>20 buses</li>" in html
    assert 'href="https://example.org/r"' in html


def test_script_tags_and_javascript_links_do_not_survive():
    html = render_markdown(
        '<script>alert(1)</script>\n\n[click](javascript:alert(1)) '
        '<a href="javascript:alert(2)">x</a> <img src=x onerror=alert(3)>'
    )
    assert "<script" not in html
    assert "<a href=\"javascript:" not in html
    assert "<img" not in html
    # Raw HTML is shown as text, so the reader still sees what was written.
    assert "&lt;script&gt;" in html


def test_plain_text_drops_markup_and_keeps_characters():
    assert plain_text("## Straße & Co\n\n**bold** <b>x</b>") == "Straße & Co\nbold <b>x</b>"


def test_plain_text_keeps_a_heading_on_a_line_of_its_own():
    # Snippets cut at line breaks: "Results" must not run into the sentence after it.
    text = "Intro.\n\n## Results\n\nThe buses averaged 350 km.\nStill the same paragraph."
    assert plain_text(text) == "Intro.\nResults\nThe buses averaged 350 km. Still the same paragraph."
