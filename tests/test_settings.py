"""Settings precedence: explicit > environment > config file > default."""

from __future__ import annotations

from pathlib import Path

import pytest

from briefgen.errors import ConfigError
from briefgen.settings import Settings


def test_precedence(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('model = "from-file"\nmax-attempts = 5\nbase_url = "http://file/v1"\n')
    env = {"BRIEFGEN_MODEL": "from-env", "OPENAI_BASE_URL": "http://env/v1"}
    s = Settings.load(env=env, config_file=config, base_url="http://flag/v1")
    assert s.base_url == "http://flag/v1"
    assert s.model == "from-env"
    assert s.max_attempts == 5
    assert s.n_ctx == Settings().n_ctx


def test_backend_choice() -> None:
    none: dict[str, str] = {}
    assert Settings.load(env=none, config_file=None).backend == "embedded"
    assert Settings.load(env={"OPENAI_API_KEY": "sk-x"}).backend == "openai"
    assert Settings.load(env={"OPENAI_BASE_URL": "http://h/v1"}).backend == "openai-compatible"
    assert Settings.load(env={"OPENAI_API_KEY": "sk"}, model_path="m.gguf").backend == "embedded"


def test_api_key_is_not_in_repr() -> None:
    assert "sk-secret" not in repr(Settings(api_key="sk-secret"))


def test_bad_values_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="must be a number"):
        Settings.load(env={"BRIEFGEN_MAX_ATTEMPTS": "many"})
    with pytest.raises(ConfigError, match="unknown mode"):
        Settings(mode="yaml")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="does not exist"):
        Settings.load(env={}, config_file=tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("colour = 'red'\n")
    with pytest.raises(ConfigError, match="unknown setting"):
        Settings.load(env={}, config_file=bad)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("BRIEFGEN_MAX_ATTEMPTS", "0"),
        ("BRIEFGEN_MAX_TOTAL_TOKENS", "0"),
        ("BRIEFGEN_MAX_OUTPUT_TOKENS", "-5"),
        ("BRIEFGEN_TEMPERATURE", "nan"),
        ("BRIEFGEN_REQUEST_TIMEOUT", "0"),
        ("BRIEFGEN_DEADLINE", "-1"),
        ("BRIEFGEN_DEADLINE", "inf"),
        ("BRIEFGEN_N_CTX", "0"),
        ("BRIEFGEN_THREADS", "-2"),
        ("BRIEFGEN_MAX_PARTS", "0"),
    ],
)
def test_numbers_out_of_range_are_refused_when_settings_are_made(
    tmp_path: Path, variable: str, value: str
) -> None:
    empty = tmp_path / "config.toml"
    empty.write_text("")
    with pytest.raises(
        ConfigError, match=rf"got {value}: fix it where it is set \({variable},"
    ) as info:
        Settings.load(env={variable: value}, config_file=empty)
    assert "\n" not in str(info.value)
