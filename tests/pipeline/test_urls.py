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
