"""Digester and AsyncDigester: brief each source, ask the model once, stand without it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import MERGE, PLANTED, Script, completion
from fake_server import answer

from briefgen.digest import AsyncDigester, Digest, Digester
from briefgen.digest.run import require_verified
from briefgen.errors import ConfigError, UnverifiedError
from briefgen.settings import Settings
from briefgen.sources import Source


def wanted(body: dict[str, Any]) -> str:
    return str(((body.get("response_format") or {}).get("json_schema") or {}).get("name"))


class Server:
    """Briefs as a good model writes them (the fake server's drafts); the merge request is
    answered with ``merge`` (a body, or an HTTP response) and recorded."""

    def __init__(self, merge: dict[str, Any] | httpx.Response = MERGE, broken: str = "") -> None:
        self.merge = merge
        self.broken = broken
        self.merges: list[dict[str, Any]] = []
        self.script = Script(*[self.respond] * 40)

    def respond(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if wanted(body) == "DraftMerge":
            self.merges.append(body)
            if isinstance(self.merge, httpx.Response):
                return self.merge
            return httpx.Response(200, json=completion(self.merge))
        if self.broken and self.broken in json.dumps(body, ensure_ascii=False):
            return httpx.Response(200, json=completion("{not json"))
        return httpx.Response(200, json=answer(body))

    @property
    def requests(self) -> int:
        return len(self.script.requests)


def sources() -> list[Source]:
    return [Source(text, f"{sid.lower()}.txt") for sid, text in PLANTED.items()]


def settings() -> Settings:
    return Settings(model="m")


def test_each_source_is_briefed_then_one_merge_request_asks_about_few_sentences():
    server = Server()
    made = Digester(settings(), client=server.script.client()).digest(sources())
    assert server.requests == 4 and len(server.merges) == 1
    body = server.merges[0]
    user = body["messages"][1]["content"]
    assert "[A2] The Harbor Port Authority on Tuesday" in user
    assert "fishing fleet" not in user and "hearing" not in user  # not whole sources
    schema = body["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["cites"]["items"]["enum"][0] == "A1"
    assert made.meta.calls == 4 and made.meta.merge.requests == 1
    assert made.meta.merge.status == "ok" and made.verified
    assert [s.id for s in made.sources] == ["A", "B", "C"]
    assert [s.path for s in made.sources] == ["a.txt", "b.txt", "c.txt"]
    assert made.title == "Night shipping approved"
    for r in made.reports():
        assert PLANTED[r.source][r.start : r.end] == r.quote
    assert {r.source for r in made.reports()} == {"A", "B", "C"}


def test_an_invented_citation_is_dropped_with_a_note():
    server = Server({**MERGE, "cites": ["A2", "A99"]})
    made = Digester(settings(), client=server.script.client()).digest(sources())
    assert [(r.source, r.sentence) for r in made.summary_evidence] == [("A", 2)]
    assert "summary.cites: dropped [A99]: source A has no sentence 99" in made.meta.warnings
    assert not made.verified and "Removed 1 citation" in (made.banner or "")
    with pytest.raises(UnverifiedError) as failed:
        require_verified(made)
    assert failed.value.briefing is made


def test_the_cache_makes_a_digest_of_briefed_sources_cost_no_request(tmp_path: Path):
    first = Server()
    Digester(settings(), client=first.script.client(), cache_dir=tmp_path).digest(sources())
    again = Server()
    made = Digester(settings(), client=again.script.client(), cache_dir=tmp_path).digest(sources())
    assert again.requests == 0
    assert made.meta.briefs_reused == 3 and made.meta.calls == 0
    assert made.meta.merge.reused and made.meta.merge.status == "ok"


def test_a_digest_stands_on_codes_merge_when_the_merge_request_fails(no_sleep: list[float]):
    server = Server(httpx.Response(503, json={"error": {"message": "overloaded"}}))
    made = Digester(settings(), client=server.script.client()).digest(sources())
    assert made.meta.merge.status == "failed" and "kept failing (503)" in (
        made.meta.merge.error or ""
    )
    assert len(server.merges) == 6  # the first ask and five transport retries, never re-asked
    assert made.banner is not None and "the merge request failed" in made.banner
    assert made.timeline and made.differences


def test_a_refused_merge_is_named():
    refusal = completion(None, refusal="I can't help with that.")
    server = Server(httpx.Response(200, json=refusal))
    made = Digester(settings(), client=server.script.client()).digest(sources())
    assert made.meta.merge.status == "refused" and not made.verified


def test_a_source_that_cannot_be_briefed_is_still_matched():
    server = Server(broken="Eastside residents plan to sue")  # B's draft never parses
    made = Digester(settings(), client=server.script.client()).digest(sources())
    b = made.source("B")
    assert b.brief.status == "failed" and b.brief.attempts >= 1
    assert any("Source B could not be briefed" in n.text for n in made.meta.notes)
    approval = [e for e in made.timeline if "A" in e.sources and "B" in e.sources]
    assert approval and approval[0].reports[1].via == "code"


@pytest.mark.parametrize(
    ("given", "needle"),
    [
        (["a.txt"], "2 to 8 sources, got 1"),
        ([f"{i}.txt" for i in range(9)], "2 to 8 sources, got 9"),
        (["-", "-"], "standard input (-) can be only one"),
    ],
)
def test_two_to_eight_sources_and_stdin_once(given, needle):
    with pytest.raises(ConfigError, match=needle.replace("(", r"\(").replace(")", r"\)")):
        Digester(settings(), client=Server().script.client()).digest(given)


def test_files_are_loaded_and_outlets_named(tmp_path: Path):
    paths = []
    for sid, text in PLANTED.items():
        path = tmp_path / f"{sid}.txt"
        path.write_text(text, encoding="utf-8")
        paths.append(str(path))
    server = Server()
    made = Digester(settings(), client=server.script.client()).digest(
        paths, outlets=["Fox News", None, "HuffPost"]
    )
    assert [s.label for s in made.sources] == ["Fox News", "B.txt", "HuffPost"]
    user = server.merges[0]["messages"][1]["content"]
    assert "- A: \u201cPort approves night shipping\u201d (Fox News)\n" in user
    assert "- B: \u201cNight shifts come to the harbor\u201d\n" in user
    assert made.sources[0].sha256 == __import__("hashlib").sha256(PLANTED["A"].encode()).hexdigest()


def comparable(made: Digest) -> dict[str, Any]:
    data = made.model_dump(mode="json")
    for key in ("created", "seconds"):
        data["meta"].pop(key)
    data["meta"]["merge"].pop("seconds")
    for s in data["sources"]:
        s["brief"].pop("seconds")
    return data


async def test_async_digester_makes_the_same_digest():
    sync = Digester(settings(), client=Server().script.client()).digest(sources())
    made = await AsyncDigester(settings(), client=Server().script.async_client()).digest(sources())
    assert comparable(made) == comparable(sync)


def test_a_urls_host_names_its_outlet():
    from briefgen.digest.core import outlet_of

    page = Source("text", "https://www.nytimes.com/2010/02/21/us/politics/21cpac.html")
    assert outlet_of(page, None) == "nytimes.com"
    assert outlet_of(page, "The Times") == "The Times"
    assert outlet_of(Source("text", "nyt.txt"), None) is None
