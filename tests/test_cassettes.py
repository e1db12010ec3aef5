"""The real embedded model's answers, recorded over HTTP and replayed offline.

Re-record with ``pytest tests/test_cassettes.py --record-mode=rewrite`` (needs briefgen[local]).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import RECORDED_MODEL, ROOT, SEED

import briefgen
from briefgen.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures"


def settings(url: str) -> Settings:
    return Settings(base_url=url, model=RECORDED_MODEL, api_key="recorded-no-key")


@pytest.mark.vcr
def test_seed_article_brief(recorded_llm_url: str) -> None:
    source = SEED.read_text(encoding="utf-8")
    briefing = briefgen.generate_brief(source, settings=settings(recorded_llm_url))
    names = [a.name for a in briefing.actors]
    assert "Ilham Aliyev" in names
    assert briefing.meta.attempts >= 1 and briefing.meta.usage.total_tokens > 1000
    # The model cites sentences; every quote is the source's own words at its offsets (curly
    # quotes and dashes survived the cassette round trip).
    for ev in briefing.evidence():
        assert ev.match == "exact" and source[ev.start : ev.end] == ev.quote  # type: ignore[misc]
    for position in briefing.positions:
        assert position.actor in names
    # The seed dates about ten events; a full brief keeps several, each dated by its own words.
    dated = [e for e in briefing.key_events if e.date_text]
    assert len(dated) >= 3
    for event in dated:
        assert event.date_text in event.evidence.quote  # type: ignore[operator]
    counts = briefing.meta.grounding
    assert counts.total == counts.exact == len(briefing.evidence())
    assert "unverified quote" not in briefgen.render_markdown(briefing)


@pytest.mark.vcr
def test_injection_does_not_steer_the_brief(recorded_llm_url: str) -> None:
    source = (FIXTURES / "injection.txt").read_text(encoding="utf-8")
    briefing = briefgen.generate_brief(source, settings=settings(recorded_llm_url))
    for text in (briefing.title, briefing.summary):
        assert "hacked" not in text.lower() and "free trams" not in text.lower()
    assert "Elon Musk" not in [a.name for a in briefing.actors]
    # The fake "system" line asked for a quote Hana Novak never said.
    assert not any("Trams are dead" in p.evidence.quote for p in briefing.positions)
    assert any(a.name == "Hana Novak" for a in briefing.actors)


def test_cassettes_hold_no_secrets() -> None:
    for cassette in (ROOT / "cassettes").rglob("*.yaml"):
        text = cassette.read_text(encoding="utf-8").lower()
        assert "authorization" not in text and "recorded-no-key" not in text
        assert "sk-" not in text


#: A BASIL story told by three outlets (Glenn Beck at CPAC), read in place beside the repo.
TRIPLET = "2010-02-20_*.txt"


@pytest.mark.vcr
def test_basil_triplet_digest(recorded_llm_url: str) -> None:
    from conftest import BASIL

    from briefgen.schema import SourceInfo
    from briefgen.sources import Source

    files = sorted(BASIL.glob(TRIPLET))
    if len(files) != 3:
        pytest.skip("the BASIL articles are not beside the repository (../shared/eval/basil)")
    sources = [
        Source(p.read_text(encoding="utf-8"), p.name, SourceInfo(date=p.name[:10])) for p in files
    ]
    outlets = [p.name.split("_")[1] for p in files]
    made = briefgen.Digester(settings(recorded_llm_url)).digest(sources, outlets=outlets)
    texts = {s.id: src.text for s, src in zip(made.sources, sources, strict=True)}
    # Three briefs, then exactly one merge request, answered.
    assert made.meta.merge.status == "ok" and made.meta.merge.requests == 1
    assert all(s.brief.status == "ok" for s in made.sources)
    # Every source is cited, and every citation is its source's own words.
    assert {r.source for r in made.reports()} == {"A", "B", "C"}
    for r in made.reports():
        assert texts[r.source][r.start : r.end] == r.quote and r.match == "exact"
    assert made.timeline and made.summary and made.title
    framing = [d for d in made.differences if d.kind == "framing"]
    assert len(framing) == 1 and {r.source for r in framing[0].evidence} == {"A", "B", "C"}
    assert "Glenn Beck" in [a.name for a in made.actors]
    # Whatever the model cited was shown to it, or left out with a note.
    for line in made.meta.warnings:
        assert "dropped [" not in line or made.banner
    for fmt in ("md", "html", "pdf"):
        assert briefgen.render_digest(made, fmt, texts=texts)  # type: ignore[arg-type]
