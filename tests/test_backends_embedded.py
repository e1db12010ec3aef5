"""Assembling the embedded model from its byte-split parts (with small fake parts)."""

from __future__ import annotations

import hashlib
import importlib.metadata
from pathlib import Path

import pytest

from briefgen.backends import embedded
from briefgen.errors import ConfigError


@pytest.fixture
def parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    chunks = [bytes([i]) * (1000 + i) for i in range(3)]
    paths = []
    for i, chunk in enumerate(chunks):
        path = tmp_path / f"part{i:02d}.bin"
        path.write_bytes(chunk)
        paths.append(path)
    whole = b"".join(chunks)
    monkeypatch.setattr(embedded, "part_paths", lambda: paths)
    monkeypatch.setattr(embedded, "MODEL_SHA256", hashlib.sha256(whole).hexdigest())
    monkeypatch.setattr(embedded, "MODEL_SIZE", len(whole))
    monkeypatch.setenv("BRIEFGEN_CACHE_DIR", str(tmp_path / "cache"))
    return paths


def test_joins_verifies_and_reuses(parts: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    path = embedded.default_model_path()
    assert path.read_bytes() == b"".join(p.read_bytes() for p in parts)
    # Second call trusts the stamp and does not touch the parts again.
    monkeypatch.setattr(embedded, "part_paths", lambda: pytest.fail("re-joined"))
    assert embedded.default_model_path() == path


def test_checksum_mismatch_is_refused_loudly(parts: list[Path], tmp_path: Path) -> None:
    parts[1].write_bytes(b"tampered")
    with pytest.raises(ConfigError, match="fails its checksum"):
        embedded.default_model_path()
    cache = tmp_path / "cache"
    assert list(cache.iterdir()) == []  # no half-joined or bad model left behind


def test_missing_parts_name_the_three_ways_out(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> None:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", missing)
    with pytest.raises(ConfigError) as err:
        embedded.part_paths()
    message = str(err.value)
    assert "briefgen[local]" in message and "OPENAI_API_KEY" in message
    assert "--base-url" in message


def test_missing_model_file_is_a_config_error(tmp_path: Path) -> None:
    pytest.importorskip("xllamacpp")
    server = embedded.EmbeddedServer(embedded.ServerOptions(tmp_path / "nope.gguf"))
    with pytest.raises(ConfigError, match="does not exist"):
        server.start()
