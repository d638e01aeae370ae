from pipeline.urls import article_id, canonical_url, host_of


def test_tracking_parameters_hosts_and_amp_fold_to_one_url() -> None:
    base = canonical_url("https://news.example.com/world/2024/03/baek-case")
    variants = [
        "https://www.news.example.com/world/2024/03/baek-case?utm_source=rss&utm_medium=feed",
        "http://m.news.example.com/world/2024/03/baek-case/?fbclid=abc",
        "https://amp.news.example.com/world/2024/03/baek-case/amp",
        "https://news.example.com/world/2024/03/baek-case#comments",
        "HTTPS://NEWS.EXAMPLE.COM/world/2024/03/baek-case?gclid=1",
    ]
    assert {canonical_url(v) for v in variants} == {base}
    assert len({article_id(canonical_url(v)) for v in variants}) == 1


def test_parameters_that_identify_the_article_are_kept() -> None:
    a = canonical_url("https://example.org/view.php?id=12&utm_campaign=x")
    b = canonical_url("https://example.org/view.php?id=13")
    assert a == "https://example.org/view.php?id=12"
    assert a != b


def test_host_of_drops_mobile_prefix() -> None:
    assert host_of("https://m.koreaherald.com/x") == "koreaherald.com"
    assert host_of("https://tass.com/politics/1") == "tass.com"


def test_a_pages_canonical_link_is_honoured_on_the_same_site_only() -> None:
    from pipeline.urls import page_canonical

    head = (
        '<html><head><link rel="canonical" href="/world/2024/03/baek-case?ref=x"></head><body>x</body></html>'
    )
    assert page_canonical(head, "https://m.news.example.com/amp/story-1234") == (
        "https://m.news.example.com/world/2024/03/baek-case?ref=x"
    )
    elsewhere = "<link href='https://other.example/original' rel='canonical'>"
    assert page_canonical(elsewhere, "https://news.example.com/reprint") is None
    assert page_canonical("<link rel=stylesheet href=/a.css>", "https://news.example.com/a") is None


def test_a_copy_at_a_print_url_is_the_same_article_through_its_canonical_link() -> None:
    from pipeline.clean import clean
    from pipeline.models import Page

    body = "".join(
        f"<p>Paragraph {n}: a court in Moscow extended the custody of a South Korean pastor held on spying charges.</p>"
        for n in range(5)
    )
    page = '<html><head><link rel="canonical" href="https://news.example.com/world/baek"></head><body><article>{}</article></body></html>'
    printed = clean(Page(url="https://news.example.com/print/8812?utm_source=mail", html=page.format(body)))
    assert printed.canonical_url == "https://news.example.com/world/baek"
