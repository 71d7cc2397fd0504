"""diagram and experiment(s) speak the locale's language when --lang is
absent (model/i18n.language: LC_ALL, LC_MESSAGES, LANG), and --lang wins
over the locale (issue 11)."""

from __future__ import annotations

import re

import pytest

from tcpcheck.model.cli import main

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def locale(monkeypatch):
    def set_to(value):
        for name in ("LC_ALL", "LC_MESSAGES"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("LANG", value)
    return set_to


def out(capsys, *argv) -> str:
    assert main(list(argv)) in (0, 1)
    return capsys.readouterr().out


@pytest.mark.parametrize("argv", [
    ("diagram", "fsm", "--format", "dot"),
    ("diagram", "states", "--preset", "seed", "--format", "dot"),
    ("diagram", "trace", "seed", "--format", "dot"),
    ("experiment", "handshake"),
])
def test_the_locale_picks_the_language_when_lang_is_absent(capsys, locale, argv):
    locale("C.UTF-8")
    english = out(capsys, *argv)
    assert english == out(capsys, *argv, "--lang", "en") and not CJK.search(english)
    locale("zh_CN.UTF-8")
    chinese = out(capsys, *argv)
    assert chinese == out(capsys, *argv, "--lang", "zh") and CJK.search(chinese)
    assert out(capsys, *argv, "--lang", "en") == english  # --lang wins over the locale


def test_experiments_report_follows_the_locale(tmp_path, capsys, locale):
    locale("zh_TW.UTF-8")
    assert main(["experiments", "--out", str(tmp_path), "--json"]) == 0
    assert '"lang": "zh"' in capsys.readouterr().out
    assert (tmp_path / "experiments.zh.md").is_file() and not (tmp_path / "experiments.md").exists()


def test_lang_refuses_an_unknown_language(capsys):
    with pytest.raises(SystemExit) as e:
        main(["diagram", "fsm", "--lang", "fr"])
    assert e.value.code == 2
    assert "error: argument --lang: invalid choice: 'fr' (choose from 'en', 'zh')\n" in capsys.readouterr().err
