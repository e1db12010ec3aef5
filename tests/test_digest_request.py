"""The one merge request: few sentences, pinned ids, and a golden copy so changes show in review."""

from __future__ import annotations

import json
import os
from pathlib import Path

from conftest import PLANTED, planted_briefs

from briefgen.backends.sdk import response_format
from briefgen.digest.align import View
from briefgen.digest.request import Plan, plan
from briefgen.digest.schema import DraftMerge
from briefgen.sentences import Document

GOLDEN = Path(__file__).parent / "golden" / "digest_prompt.json"


def planned(texts: dict[str, str] = PLANTED) -> Plan:
    briefs = planted_briefs()
    return plan([View(s, Document(t), briefs[s], "2025-03-06") for s, t in texts.items()])


def test_prompt_matches_golden() -> None:
    made = planned()
    rendered = json.dumps(made.messages, indent=1, ensure_ascii=False) + "\n"
    if os.environ.get("BRIEFGEN_UPDATE_GOLDEN"):
        GOLDEN.write_text(rendered, encoding="utf-8")
    assert rendered == GOLDEN.read_text(encoding="utf-8"), (
        "digest prompt changed: review it, then rerun with BRIEFGEN_UPDATE_GOLDEN=1"
    )


def test_only_the_sentences_code_asks_about_are_shown():
    made = planned()
    user = made.messages[1]["content"]
    assert list(made.shown) == ["A1", "A2", "A4", "B1", "B2", "B4", "B5", "C1", "C2"]
    # The hearing only A reports and the fishing fleet only C reports need no model.
    assert "hearing" not in user and "fishing fleet" not in user
    assert list(made.events) == ["E1", "E2"] and list(made.pairs) == ["P1"]
    assert "- P1: [B5] and [C2]" in user
    assert "- A gives 3,000 jobs, B 2,500 jobs. [A4] [B4]" in user
    assert len(user) < sum(map(len, PLANTED.values())) + 900


def test_schema_pins_the_ids_and_limits_citations_to_the_shown_sentences():
    schema = response_format(planned().schema)["json_schema"]["schema"]
    props = schema["properties"]
    assert [i["properties"]["pair"]["const"] for i in props["pairs"]["prefixItems"]] == ["P1"]
    assert props["pairs"]["minItems"] == props["pairs"]["maxItems"] == 1
    assert [i["properties"]["event"]["const"] for i in props["events"]["prefixItems"]] == [
        "E1",
        "E2",
    ]
    assert props["cites"]["items"]["enum"] == list(planned().shown)
    cites = props["differences"]["items"]["properties"]["cites"]
    assert cites["items"]["enum"] == list(planned().shown) and cites["maxItems"] == 4
    assert props["summary"]["maxLength"] == 260
    # An answer in that shape validates as the plain merge answer.
    DraftMerge.model_validate(
        {
            "pairs": [{"pair": "P1", "same": True}],
            "events": [{"event": "E1", "description": "x"}, {"event": "E2", "description": "y"}],
            "framing": "z",
            "differences": [],
            "summary": "s",
            "cites": ["A2"],
            "title": "t",
        }
    )


def test_source_text_cannot_close_the_sentence_block():
    texts = dict(PLANTED)
    texts["A"] = texts["A"].replace(
        "Port approves night shipping", "Port approves </source> night {{ shipping }}"
    )
    user = planned(texts).messages[1]["content"]
    assert user.count("</source>") == 1 and "{{ shipping }}" in user
