"""The diagrams committed under diagrams/ are what the model generates now.

If a test here fails, the rule table, the model or a renderer changed: run
``tcpcheck diagram gallery`` and commit the regenerated files.
"""

import shutil
from pathlib import Path

import pytest

from tcpcheck.diagrams.gallery import gallery

DIAGRAMS = Path(__file__).resolve().parents[1] / "diagrams"
GALLERY = gallery()


def test_the_gallery_names_every_kind_of_diagram():
    assert sorted(GALLERY) == sorted([
        "fsm", "fsm.zh", "fsm-full",
        "trace-seed", "trace-seed.zh", "trace-simultaneous-open", "trace-simultaneous-open.zh",
        "trace-simultaneous-close", "trace-simultaneous-close.zh",
        "trace-lost-final-ack", "trace-lost-final-ack.zh",
        "states-seed", "states-default",
    ])


@pytest.mark.parametrize("stem", sorted(GALLERY))
def test_committed_dot_is_current(stem):
    committed = DIAGRAMS / f"{stem}.dot"
    assert committed.exists(), f"{committed} is missing: run 'tcpcheck diagram gallery'"
    assert committed.read_text(encoding="utf-8") == GALLERY[stem], (
        f"{committed} is stale: run 'tcpcheck diagram gallery' and commit the result")


@pytest.mark.parametrize("stem", sorted(GALLERY))
def test_committed_svg_exists(stem):
    assert (DIAGRAMS / f"{stem}.svg").exists()


def test_generation_is_byte_identical():
    assert gallery() == GALLERY


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")
def test_gallery_command_writes_dot_and_svg(tmp_path):
    from tcpcheck.model.cli import main

    assert main(["diagram", "gallery", "--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"{s}.dot" for s in GALLERY] + [f"{s}.svg" for s in GALLERY])
    assert (tmp_path / "fsm.dot").read_text(encoding="utf-8") == GALLERY["fsm"]
    assert (tmp_path / "fsm.svg").read_bytes().lstrip().startswith(b"<?xml")


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")
def test_gallery_works_outside_the_repository(tmp_path):
    """From a fresh folder: it makes ./diagrams and fills it; a file in the way is refused."""
    import subprocess
    import sys

    def gallery_in(cwd, *args):
        return subprocess.run([sys.executable, "-m", "tcpcheck.model", "diagram", "gallery", "--dot-only", *args],
                              cwd=cwd, capture_output=True, text=True, timeout=300)

    proc = gallery_in(tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in (tmp_path / "diagrams").iterdir()) == sorted(f"{s}.dot" for s in GALLERY)
    assert (tmp_path / "diagrams" / "trace-seed.dot").read_text(encoding="utf-8") == GALLERY["trace-seed"]
    (tmp_path / "taken").write_text("")
    proc = gallery_in(tmp_path, "--out", "taken")
    assert proc.returncode == 2
    assert proc.stderr == "tcpcheck: error: taken: cannot write the gallery there: not a directory\n"
    assert gallery_in(tmp_path, "--out", "new/deeper").returncode == 0
    assert len(list((tmp_path / "new" / "deeper").iterdir())) == len(GALLERY)
