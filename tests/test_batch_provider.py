"""--via batch-api against a mocked OpenAI Batch API: JSONL upload, poll, collect, re-ask rounds."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx2
import openai
import pytest
from fake_server import answer, source_of

from briefgen.batch import BatchOptions, run_batch
from briefgen.renderers import Format
from briefgen.sentences import split
from briefgen.settings import Settings

#: No sentence is dated: review adds no events of its own to a draft's.
TEXTS = {
    "a.txt": "Harbor votes on night shipping\n\nThe Harbor Port Authority voted to "
    "allow night traffic. Maria Lopez, the chair, said the plan keeps the port competitive. "
    "Residents said they will appeal the decision in court.",
    "b.txt": "Schools delay start times\n\nThe Riverside school board agreed to start classes "
    "an hour later. Parents asked how buses will adapt to the change. "
    "Board member Ana Silva said the district will publish a plan in the spring.",
}


class FakeBatchApi:
    """Just enough of /v1/files and /v1/batches; answers come from the fake server's drafts."""

    def __init__(self, *, ungrounded_first: bool = False, invalid_first: bool = False) -> None:
        self.uploads: list[list[dict]] = []
        self.outputs: dict[str, str] = {}
        self.polls = 0
        self.ungrounded_first = ungrounded_first
        self.invalid_first = invalid_first

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        path = request.url.path
        if request.method == "POST" and path.endswith("/files"):
            lines = [
                json.loads(line)
                for line in request.content.decode("utf-8").splitlines()
                if line.startswith('{"custom_id"')
            ]
            self.uploads.append(lines)
            n = len(self.uploads)
            out = []
            for item in lines:
                assert item["url"] == "/v1/chat/completions" and item["method"] == "POST"
                body = item["body"]
                assert body["response_format"]["type"] == "json_schema"
                grounded = not (self.ungrounded_first and n == 1)
                valid = not (self.invalid_first and n == 1)
                reply = answer(body, grounded=grounded, valid=valid)
                response = {"status_code": 200, "body": reply}
                out.append({"custom_id": item["custom_id"], "response": response, "error": None})
            self.outputs[f"batch_{n}"] = "\n".join(json.dumps(o) for o in out)
            return httpx2.Response(200, json=_file(f"file-in-{n}"))
        if request.method == "POST" and path.endswith("/batches"):
            payload = json.loads(request.content)
            assert payload["completion_window"] == "24h"
            return httpx2.Response(200, json=_batch(f"batch_{len(self.uploads)}", "validating"))
        if request.method == "GET" and "/batches/" in path:
            self.polls += 1
            batch_id = path.rsplit("/", 1)[1]
            status = "in_progress" if self.polls % 2 else "completed"
            return httpx2.Response(200, json=_batch(batch_id, status))
        if request.method == "GET" and path.endswith("/content"):
            batch_id = path.split("/")[-2].replace("file-out-", "")
            return httpx2.Response(200, text=self.outputs[batch_id])
        return httpx2.Response(404, json={"error": {"message": f"no route {path}"}})


def _file(file_id: str) -> dict:
    return {
        "id": file_id,
        "object": "file",
        "bytes": 1,
        "created_at": 0,
        "filename": "briefgen.jsonl",
        "purpose": "batch",
        "status": "processed",
    }


def _batch(batch_id: str, status: str) -> dict:
    done = status == "completed"
    return {
        "id": batch_id,
        "object": "batch",
        "endpoint": "/v1/chat/completions",
        "input_file_id": "file-in",
        "completion_window": "24h",
        "status": status,
        "created_at": 0,
        "output_file_id": f"file-out-{batch_id}" if done else None,
        "error_file_id": None,
    }


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "in"
    root.mkdir()
    for name, text in TEXTS.items():
        (root / name).write_text(text, "utf-8")
    return root


def _run(
    folder: Path,
    out: Path,
    api: FakeBatchApi,
    cache: Path,
    settings: Settings | None = None,
    formats: tuple[Format, ...] = ("md",),
    force: bool = False,
):
    client = openai.AsyncOpenAI(
        base_url="https://api.openai.com/v1",
        api_key="sk-test",
        http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(api)),
    )
    options = BatchOptions(
        via="batch-api", poll_interval=0, cache_dir=cache, formats=formats, force=force
    )
    settings = settings or Settings(model="gpt-4o-mini")
    return run_batch([folder], out, settings, options, client=client)


def test_one_batch_briefs_everything_at_half_price(folder, tmp_path):
    api = FakeBatchApi()
    report = _run(folder, tmp_path / "out", api, tmp_path / "cache")
    assert report.ok and report.count("ok") == 2 and report.via == "batch-api"
    assert len(api.uploads) == 1 and len(api.uploads[0]) == 2
    assert (tmp_path / "out" / "a.md").read_text("utf-8").startswith("# ")
    result = report.results[0]
    assert result.requests == 1 and result.usage.total_tokens > 0
    usage = result.usage
    live = (0.15 * usage.prompt_tokens + 0.6 * usage.completion_tokens) / 1e6  # gpt-4o-mini $/MTok
    assert result.cost_usd == pytest.approx(live / 2)
    assert not (tmp_path / "out" / ".briefgen" / "batch-api.json").exists()


def test_reasks_go_into_a_second_round(folder, tmp_path):
    api = FakeBatchApi(invalid_first=True)
    report = _run(folder, tmp_path / "out", api, tmp_path / "cache")
    assert report.ok and len(api.uploads) == 2
    second = api.uploads[1][0]["body"]
    # An answer cut off mid-JSON is asked for again, whole, with its problem.
    assert second["response_format"]["json_schema"]["name"] == "Draft"
    messages = second["messages"]
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert "not valid JSON" in messages[-1]["content"]
    assert all(r.attempts == 2 and r.requests == 2 for r in report.results)


def test_a_failed_answer_is_asked_again_by_the_next_run(folder, tmp_path):
    # One attempt each, and the first batch's answers are cut off: both sources fail. Neither
    # the response cache nor the run's store keeps those answers, so a rerun uploads again.
    api = FakeBatchApi(invalid_first=True)
    out, cache = tmp_path / "out", tmp_path / "cache"
    settings = Settings(model="gpt-4o-mini", max_attempts=1)
    first = _run(folder, out, api, cache, settings)
    assert first.count("failed") == 2 and len(api.uploads) == 1
    assert not (out / ".briefgen" / "batch-answers").exists()
    again = _run(folder, out, api, cache, settings)
    assert again.ok and again.count("ok") == 2 and len(api.uploads) == 2
    # The answers the briefs were made of are cached: a third run (forced) uploads nothing.
    third = _run(folder, out, api, cache, settings, force=True)
    assert third.ok and len(api.uploads) == 2


def test_an_ungrounded_answer_needs_no_second_round(folder, tmp_path):
    # The event citing a sentence the source lacks is dropped in code, with a warning.
    api = FakeBatchApi(ungrounded_first=True)
    out = tmp_path / "out"
    report = _run(folder, out, api, tmp_path / "cache", formats=("json",))
    assert report.ok and len(api.uploads) == 1
    assert all(r.attempts == 1 and r.requests == 1 for r in report.results)
    for name in TEXTS:
        brief = json.loads((out / name).with_suffix(".json").read_text("utf-8"))
        assert brief["key_events"] == []
        assert any("key_events[1] dropped: no sentence" in w for w in brief["meta"]["warnings"])


def test_a_saved_batch_id_is_collected_not_paid_for_twice(folder, tmp_path):
    api = FakeBatchApi()
    _run(folder, tmp_path / "out1", api, tmp_path / "cache1")
    # a run killed after submitting batch_1: only its id survives, in the new OUTDIR
    state = tmp_path / "out2" / ".briefgen" / "batch-api.json"
    state.parent.mkdir(parents=True)
    state.write_text(json.dumps({"batch_id": "batch_1"}), "utf-8")
    report = _run(folder, tmp_path / "out2", api, tmp_path / "cache2")
    assert report.ok and len(api.uploads) == 1  # nothing uploaded again
    assert not state.exists()


def test_transient_faults_on_upload_and_poll_are_retried(folder, tmp_path, no_sleep):
    api = FakeBatchApi()
    faults = {"POST /files": 1, "GET /batches": 1}

    def flaky(request: httpx2.Request) -> httpx2.Response:
        key = f"{request.method} /{request.url.path.split('/')[2]}"
        if faults.get(key):
            faults[key] -= 1
            return httpx2.Response(503, json={"error": {"message": "busy"}})
        return api(request)

    report = _run(folder, tmp_path / "out", flaky, tmp_path / "cache")  # type: ignore[arg-type]
    assert report.ok and len(api.uploads) == 1
    assert faults == {"POST /files": 0, "GET /batches": 0} and len(no_sleep) == 2


_NUMBERED = re.compile(r"^\[(\d+)\] ", re.MULTILINE)


def test_a_long_source_goes_up_in_parts_under_one_numbering(tmp_path):
    root = tmp_path / "in"
    root.mkdir()
    text = "\n\n".join(f"Speaker Echo said item {i} matters a great deal. " * 6 for i in range(4))
    (root / "long.txt").write_text(text, "utf-8")
    api = FakeBatchApi()
    settings = Settings(model="gpt-4o-mini", input_budget_tokens=100)
    out = tmp_path / "out"
    report = _run(root, out, api, tmp_path / "cache", settings, formats=("json",))
    assert report.ok and len(api.uploads) == 1
    (upload,) = api.uploads
    assert len(upload) > 1  # every part of the source in the one batch
    # The parts' prompts show the whole source's sentences in turn, numbered once.
    shown = [int(n) for line in upload for n in _NUMBERED.findall(source_of(line["body"]))]
    assert shown == [s.number for s in split(text)]
    brief = json.loads((out / "long.json").read_text("utf-8"))
    assert brief["meta"]["chunks"] == len(upload)
    evidence = [
        item["evidence"]
        for name in ("key_events", "positions", "open_questions")
        for item in brief[name]
    ]
    assert evidence and all(ev["match"] == "exact" for ev in evidence)
    assert all(text[ev["start"] : ev["end"]] == ev["quote"] for ev in evidence)
    assert any(ev["start"] > len(text) // 2 for ev in evidence)  # offsets past the first part


def test_a_source_over_the_part_limit_is_refused_before_any_upload(tmp_path):
    # The replay briefs through the same briefer as a live run: its part limit holds here too.
    root = tmp_path / "in"
    root.mkdir()
    text = "\n\n".join(f"Speaker Echo said item {i} matters a great deal. " * 6 for i in range(4))
    (root / "long.txt").write_text(text, "utf-8")
    (root / "short.txt").write_text("Talks resume. Ana Silva said the talks resume.", "utf-8")
    api = FakeBatchApi()
    settings = Settings(model="gpt-4o-mini", input_budget_tokens=100, max_parts=2)
    report = _run(root, tmp_path / "out", api, tmp_path / "cache", settings)
    results = {r.source: r for r in report.results}
    assert results["long.txt"].status == "failed"
    assert "too long to brief" in (results["long.txt"].error or "")
    assert "--max-parts" in (results["long.txt"].error or "")
    assert results["short.txt"].status == "ok"
    # Only the short source's one request went up: none of the long source's parts.
    assert len(api.uploads) == 1 and len(api.uploads[0]) == 1
    assert not (tmp_path / "out" / "long.md").exists()
