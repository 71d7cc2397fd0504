"""Every command's JSON output against the JSON Schemas the package publishes.

Each output is made as a user makes it (``tcpcheck.model.cli.main`` in this
process) on a small case, then validated with jsonschema against
``model/schemas/KIND.schema.json`` (draft 2020-12) *strictly*: every field the
output carries must be described by its schema (the test adds
``unevaluatedProperties: false`` wherever a schema lists properties and says
nothing of others; readers of the published schemas are told to ignore fields
they do not know, so the files themselves stay open).  Every schema then gets
deliberately broken documents (no ``schema_version``, a segment given as a
string, a wrong verdict, a field a platform does not accept) that must fail
at the place broken.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import re
from pathlib import Path
from importlib.resources import files

import jsonschema
import pytest

from tcpcheck.model.cli import main
from tcpcheck.model.interface import KINDS, SCHEMA_BASE, SCHEMA_VERSION, schema, tool_version, validator
from tcpcheck.proofs import cli as prove_cli
from tcpcheck.proofs.invariants import INVARIANTS
from tcpcheck.proofs.obligations import classification, invariant

from conftest import REFERENCE_TEXT
from schemacheck import errors

# --- the schemas themselves -------------------------------------------------------------


def test_every_kind_has_one_schema_file_and_every_file_a_kind():
    names = sorted(p.name for p in files("tcpcheck.model").joinpath("schemas").iterdir()
                   if p.name.endswith(".schema.json"))
    assert names == sorted(f"{k}.schema.json" for k in ("common", *KINDS))
    for kind in ("common", *KINDS):
        s = schema(kind)
        jsonschema.Draft202012Validator.check_schema(s)
        assert s["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert s["$id"] == f"{SCHEMA_BASE}{kind}.schema.json"
    with pytest.raises(ValueError, match="no schema for 'chek'; the kinds are: check, bench"):
        schema("chek")


# --- the outputs, made by the commands --------------------------------------------------

#: A row of the reference table that the seed exchange takes, and the edit that breaks it.
ROW = "FIN_WAIT_2   | rcv FIN                 | snd ACK                    | TIME_WAIT   | F16, 3.10.7.4 eighth"
BROKEN = "FIN_WAIT_2   | rcv FIN                 | snd ACK                    | same        | mine"

ASSIGNMENT = """\
title = "Lab: the schemas"
kind = "table"
reference = "builtin:rfc9293"
submission = "tcp.rules"
feedback = "run"

[[configurations]]
name = "seed"
preset = "seed"

[[tests]]
kind = "rows"
points = 50

[[tests]]
kind = "behaviour"
configuration = "seed"
points = 50
"""


def _run(*argv: str) -> tuple[int, object]:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(list(argv))
    return code, json.loads(buf.getvalue())


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """name -> (schema kind, exit code, the JSON printed)."""
    tmp = tmp_path_factory.mktemp("json")
    out = {}

    def run(name, kind, *argv):
        code, doc = _run(*argv)
        out[name] = (kind, code, doc)

    run("check seed", "check", "check", "--preset", "seed", "--json")
    run("check fin-no-seq", "check", "check", "--mutant", "fin-no-seq", "--json")
    run("bench", "bench", "bench", "--preset", "seed", "--capacities", "1", "--json")
    run("bench check", "bench-check", "bench", "--check", "--preset", "seed", "--json")
    run("bench vs spin", "bench-spin", "bench", "--vs", "spin", "--configs", "seed", "--json")
    run("check spin", "check-spin", "check", "--engine", "spin", "--mutant", "fin-no-seq", "--json")
    run("prove unknown", "prove", "prove", "--json", "--jobs", "2", "--timeout", "0.001")
    run("prove bench", "prove-bench", "prove", "--bench", "--json", "--jobs", "2", "--timeout", "0.001")
    # the whole prove takes minutes on a mutant: its refutations here are the real command's
    # output with one obligation each (the one the mutant breaks)
    fin = next(i for i in INVARIANTS if i.name == "the ACK of a FIN is its sequence number plus one")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(prove_cli, "_obligations", lambda: [classification])
        run("prove classification", "prove", "prove", "--json", "--jobs", "1", "--mutant", "ack-check-forgets-snd-nxt")
        mp.setattr(prove_cli, "_obligations", lambda: [lambda c: invariant(fin, c)])
        run("prove invariant", "prove", "prove", "--json", "--jobs", "1", "--mutant", "fin-no-seq")
    run("experiment", "experiment", "experiment", "fin-sequence", "--json")
    run("experiment mutant", "experiment", "experiment", "fin-sequence", "--mutant", "fin-no-seq", "--json")
    run("experiments", "experiments", "experiments", "--out", str(tmp / "experiments"), "--json")
    assignment = tmp / "lab.toml"
    assignment.write_text(ASSIGNMENT, encoding="utf-8")
    assert REFERENCE_TEXT.count(ROW) == 1
    student = tmp / "alice.rules"
    student.write_text(REFERENCE_TEXT.replace(ROW, BROKEN), encoding="utf-8")
    garbage = tmp / "bob.rules"
    garbage.write_text("this is | not a table\n", encoding="utf-8")
    for fmt in ("json", "gradescope", "prairielearn"):
        kind = "grade" if fmt == "json" else fmt
        run(f"grade {fmt}", kind, "grade", "--assignment", str(assignment), str(student), "--format", fmt)
        run(f"grade {fmt} not gradable", kind, "grade", "--assignment", str(assignment), str(garbage),
            "--format", fmt)
    # a questions assignment, answered by its own answer key
    questions = files("tcpcheck.model.grading").joinpath("examples", "questions.toml")
    key = tmp / "key.toml"
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["grade", "--assignment", str(questions), "--answer-key", "-o", str(key)]) == 0
    run("grade questions", "grade", "grade", "--assignment", str(questions), str(key), "--format", "json")
    captures = Path(__file__).with_name("captures")
    run("conform deviates", "conform", "conform", str(captures / "abort-linger0.pcap"), "--json")
    run("conform conforms", "conform", "conform", str(captures / "lost-final-ack.pcap"), "--json")
    scripts = Path(__file__).with_name("packetdrill")
    run("packetdrill fails", "packetdrill", "conform", str(scripts / "wrong-state.pkt"), "--json")
    run("packetdrill directory", "packetdrill", "conform", str(scripts), "--json")
    # export writes bytes: to a file, as a user would for a graph tool
    for name, argv in (("export node-link", ["--preset", "seed", "--format", "json"]),
                       ("export counterexamples", ["--mutant", "last-ack-silent", "--counterexamples"])):
        f = tmp / (name.replace(" ", "-") + ".json")
        with contextlib.redirect_stderr(io.StringIO()):
            code = main(["export", *argv, "-o", str(f)])
        out[name] = ("export", code, json.loads(f.read_text(encoding="utf-8")))
    return out


CASES = ["check seed", "check fin-no-seq", "bench", "bench check", "prove unknown", "prove bench", "prove classification",
         "prove invariant", "experiment", "experiment mutant", "experiments", "grade json",
         "grade json not gradable", "grade questions", "grade gradescope", "grade gradescope not gradable", "grade prairielearn",
         "grade prairielearn not gradable", "export node-link", "export counterexamples", "conform deviates",
         "conform conforms", "packetdrill fails", "packetdrill directory", "bench vs spin", "check spin"]

#: the kinds tests/test_explore.py validates (the answers of explore's JSON API)
EXPLORE_KINDS = {"explore-session", "explore-texts", "explore-run", "explore-reach", "explore-check"}


def test_every_kind_is_tried(outputs):
    assert {k for k in KINDS} == {"check", "bench", "bench-check", "prove", "prove-bench", "experiment", "experiments", "grade",
                                  "gradescope", "prairielearn", "export", "conform", "packetdrill", "bench-scale",
                                  "bench-spin", "check-spin"} | EXPLORE_KINDS
    # bench --scale runs for minutes: tests/test_packed.py validates its rows against the schema
    assert {kind for kind, _, _ in outputs.values()} == set(KINDS) - EXPLORE_KINDS - {"bench-scale"}


@pytest.mark.parametrize("name", CASES)
def test_each_output_follows_its_schema_and_says_nothing_it_does_not_describe(outputs, name):
    kind, _, doc = outputs[name]
    assert errors(kind, doc) == []
    assert errors(kind, doc, strict=False) == []


@pytest.mark.parametrize("name", [c for c in CASES if not c.startswith(("grade gradescope", "grade prairielearn"))])
def test_each_json_output_carries_the_envelope(outputs, name):
    kind, _, doc = outputs[name]
    assert list(doc)[:3] == ["schema_version", "tool", "kind"]
    assert doc["schema_version"] == SCHEMA_VERSION == 1
    assert doc["tool"] == {"name": "tcpcheck", "version": tool_version()}
    assert doc["kind"] == kind


def test_the_exit_codes_are_the_commands_own(outputs):
    codes = {name: code for name, (_, code, _) in outputs.items()}
    assert {n: codes[n] for n in ("bench", "prove unknown", "prove bench", "prove classification", "prove invariant",
                                  "experiment", "experiment mutant", "experiments", "grade json",
                                  "grade json not gradable", "grade questions")} == {
        "bench": 0, "prove unknown": 4, "prove bench": 0, "prove classification": 1, "prove invariant": 1,
        "experiment": 0, "experiment mutant": 1, "experiments": 0, "grade json": 1, "grade json not gradable": 1,
        "grade questions": 0}
    for name in ("check seed", "check fin-no-seq"):
        assert outputs[name][2]["exit_code"] == codes[name]
    assert (codes["export node-link"], codes["export counterexamples"]) == (0, 0)
    assert codes["check fin-no-seq"] == 1


def test_the_platforms_get_only_their_own_keys_and_the_envelope_where_they_allow_it(outputs):
    _, code, gs = outputs["grade gradescope"]
    assert code == 1 and "schema_version" not in gs
    assert {k: gs["extra_data"][k] for k in ("schema_version", "tool", "kind", "gradable")} == {
        "schema_version": 1, "tool": {"name": "tcpcheck", "version": tool_version()}, "kind": "gradescope",
        "gradable": True}
    _, _, pl = outputs["grade prairielearn"]
    assert set(pl) == {"gradable", "score", "message", "output", "tests", "images"}
    _, _, pl = outputs["grade prairielearn not gradable"]
    assert set(pl) == {"gradable", "format_errors", "output", "message"} and pl["gradable"] is False


def _paths(doc, pred, where=()):
    """The paths of the nodes of ``doc`` for which ``pred`` holds, in document order."""
    if pred(doc):
        yield list(where)
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else ()
    for k, v in items:
        yield from _paths(v, pred, (*where, k))


def _at(doc, path):
    for k in path:
        doc = doc[k]
    return doc


def _is_segment(x) -> bool:
    return isinstance(x, dict) and set(x) == {"text", "SEQ", "ACK", "CTL", "LEN"}


def _is_tcb(x) -> bool:
    return isinstance(x, dict) and "SND.UNA" in x


def test_segments_and_tcbs_have_one_shape_in_every_command(outputs):
    """Wherever a command prints a segment or a TCB, it is interface.segment_json's or tcb_json's shape."""
    seen = {}
    for name, (_, _, doc) in outputs.items():
        segs = [_at(doc, p) for p in _paths(doc, _is_segment)]
        tcbs = [_at(doc, p) for p in _paths(doc, _is_tcb)]
        assert all(set(t) == {"state", "ISS", "IRS", "SND.UNA", "SND.NXT", "RCV.NXT", "passive",
                              "retransmissions_left"} for t in tcbs), name
        # nothing else looks like a segment: no bare "<SEQ=...>" strings where a segment belongs
        loose = list(_paths(doc, lambda x: isinstance(x, dict) and {"SEG.SEQ", "control"} & set(x)))
        assert loose == [], name
        seen[name] = (len(segs), len(tcbs))
    for name in ("check fin-no-seq", "prove classification", "prove invariant", "experiment", "grade json",
                 "export counterexamples"):
        assert seen[name][0] > 0 and seen[name][1] > 0, name
    # a graph for GraphML has plain attributes: segments as their text, a TCB's variables flat
    assert seen["export node-link"] == (0, 0)
    node = outputs["export node-link"][2]["nodes"][0]
    assert {k: node[k] for k in ("A.state", "A.SND.NXT", "B.state", "in_flight.A->B")} == {
        "A.state": "CLOSED", "A.SND.NXT": 0, "B.state": "LISTEN", "in_flight.A->B": ""}
    cx = outputs["prove classification"][2]["obligations"][0]["counterexample"]
    assert cx["segment"]["text"] in cx["text"][1] and cx["tcb"]["state"] == cx["state"] == "ESTABLISHED"
    assert set(cx) == {"text", "state", "stage", "tcb", "segment", "RCV.WND", "events that apply"}
    cx = outputs["prove invariant"][2]["obligations"][0]["counterexample"]
    assert cx["sent"][0]["CTL"] == ["FIN", "ACK"] and cx["sent"][0]["SEQ"] == cx["after"]["X"]["SND.NXT"]
    assert cx["text"][0] == f"rule: {cx['rule']}"


# --- deliberately broken documents --------------------------------------------------------

def _no_version(doc):
    target = doc["extra_data"] if "extra_data" in doc else doc
    del target["schema_version"]
    return ["extra_data"] if target is not doc else [], "required"


def _first(doc, pred):
    return next(iter(_paths(doc, pred)))


def _segment_as_string(doc):
    path = _first(doc, _is_segment)
    parent = _at(doc, path[:-1])
    parent[path[-1]] = parent[path[-1]]["text"]
    return path, None


#: kind -> the field holding a verdict, and a value its schema does not allow ("error" is
#: a status of tcpcheck's own, not one of Gradescope's)
WRONG_VERDICTS = {"check": ("verdict", "passes"), "prove": ("verdict", "maybe"), "prove-bench": ("verdict", "maybe"),
                  "experiment": ("verdict", "true"), "experiments": ("verdict", "confirmed!"),
                  "grade": ("status", "ok"), "gradescope": ("status", "error"),
                  "export": ("verdict", "holds"), "conform": ("verdict", "passes"),
                  "packetdrill": ("verdict", "conforms"), "check-spin": ("verdict", "unknown")}  # export lists the violated properties only


def _wrong_verdict(doc, kind):
    key, bad = WRONG_VERDICTS[kind]
    path = _first(doc, lambda x: isinstance(x, dict) and isinstance(x.get(key), str))
    _at(doc, path)[key] = bad
    return [*path, key], "const" if kind == "export" else "enum"


BREAKS = [(c, "no schema_version") for c in CASES if not c.startswith("grade prairielearn")]
BREAKS += [(c, "a segment as a string") for c in ("check fin-no-seq", "prove classification", "prove invariant",
                                                   "experiment", "grade json", "export counterexamples",
                                                   "conform deviates", "packetdrill directory", "check spin")]
BREAKS += [(c, "a wrong verdict") for c in ("check seed", "prove unknown", "prove bench", "experiment",
                                            "experiments", "grade json", "grade gradescope",
                                            "export counterexamples", "conform deviates", "packetdrill fails",
                                            "check spin")]


@pytest.mark.parametrize("name, how", BREAKS)
def test_a_broken_document_fails_where_it_is_broken(outputs, name, how):
    kind, _, doc = outputs[name]
    doc = copy.deepcopy(doc)
    if how == "no schema_version":
        path, check = _no_version(doc)
    elif how == "a segment as a string":
        path, check = _segment_as_string(doc)
    else:
        path, check = _wrong_verdict(doc, kind)
    for strict in (True, False):
        found = errors(kind, doc, strict)
        assert found, (name, how)
        assert any(p == path and (check is None or c == check) for p, c in found), found


@pytest.mark.parametrize("name, change, expected", [
    ("export node-link", lambda d: d["nodes"][3].pop("A.state"), [(["nodes", 3], "required")]),
    ("export node-link", lambda d: d["nodes"][3].update({"B.state": "TIME-WAIT"}), [(["nodes", 3, "B.state"], "enum")]),
    ("export node-link", lambda d: d["edges"][0].update({"rule": "line 20"}), [(["edges", 0, "rule"], "pattern")]),
    ("export node-link", lambda d: d["edges"][0].update({"sent": "SYN"}), [(["edges", 0, "sent"], "pattern")]),
    ("export node-link", lambda d: d.pop("edges"), [([], "required")]),
    # a format it does not know: neither shape's fields are right for it either
    ("export node-link", lambda d: d.update({"format": "graphml"}), [([], "not"), ([], "required"), (["format"], "enum")]),
    # one shape, not a mix of both: a graph that also carries the counterexamples' rule table
    ("export node-link", lambda d: d.update({"rules": "rfc9293.rules"}), [([], "not")]),
    ("export counterexamples", lambda d: d.pop("config"), [([], "required")]),
    ("export counterexamples", lambda d: d["properties"][0].pop("counterexample"), [(["properties", 0], "required")]),
    ("export counterexamples", lambda d: d.update({"directed": True}), [([], "not")]),
])
def test_a_broken_export_fails_where_it_is_broken(outputs, name, change, expected):
    doc = copy.deepcopy(outputs[name][2])
    change(doc)
    assert errors("export", doc) == expected
    assert errors("export", doc, strict=False) == expected


def test_a_segment_string_is_reported_as_not_a_segment(outputs):
    doc = copy.deepcopy(outputs["check fin-no-seq"][2])
    path, _ = _segment_as_string(doc)
    (e,) = [e for e in validator("check").iter_errors(doc) if list(e.absolute_path) == path]
    assert e.validator in ("type", "anyOf") and path[:2] == ["properties", 0]


@pytest.mark.parametrize("name", ["grade gradescope", "grade prairielearn"])
def test_a_key_the_platform_does_not_document_fails(outputs, name):
    kind, _, doc = outputs[name]
    doc = copy.deepcopy(doc)
    doc["schema_version"] = 1
    assert errors(kind, doc, strict=False) == [([], "additionalProperties")]
    doc = copy.deepcopy(outputs[name][2])
    doc["tests"][0]["id"] = "T1"
    assert errors(kind, doc, strict=False) == [(["tests", 0], "additionalProperties")]


def test_prairielearn_score_is_a_fraction(outputs):
    doc = copy.deepcopy(outputs["grade prairielearn"][2])
    doc["score"] = 1.5
    assert errors("prairielearn", doc) == [(["score"], "maximum")]
    del doc["score"]
    assert errors("prairielearn", doc) == [([], "required")]


def test_an_undescribed_field_fails_the_strict_check_only(outputs):
    """The published schemas let readers ignore a new field (adding one keeps
    schema_version); this suite's strict check makes sure each is described."""
    doc = copy.deepcopy(outputs["bench"][2])
    doc["rows"][0]["surprise"] = 1
    assert errors("bench", doc) == [(["rows", 0], "unevaluatedProperties")]
    assert errors("bench", doc, strict=False) == []


def test_a_wrong_tcb_state_and_sequence_number_fail(outputs):
    doc = copy.deepcopy(outputs["experiment"][2])
    doc["trace"][1]["A"]["state"] = "SYN-SENT"
    doc["trace"][1]["B"]["SND.NXT"] = 2 ** 32
    # the trace may be null: that alternative fails too
    assert errors("experiment", doc) == [(["trace"], "type"), (["trace", 1, "A", "state"], "enum"),
                                         (["trace", 1, "B", "SND.NXT"], "maximum")]


# --- stable short ids, beside the sentences ---------------------------------------------------

def test_the_ids_are_in_every_json_output_that_lists_properties_obligations_or_experiments(outputs):
    from tcpcheck.model.experiments import EXPERIMENTS
    from tcpcheck.model.properties import PROPERTIES

    assert [p["id"] for p in outputs["check seed"][2]["properties"]] == [p.id for p in PROPERTIES]
    ids = ["SEG1", "IND1", "IND2", "IND3", "IND4", "IND5", "IND6", "END1"]
    assert [o["id"] for o in outputs["prove unknown"][2]["obligations"]] == ids
    assert [o["id"] for o in outputs["prove bench"][2]["obligations"]] == ids
    assert [e["id"] for e in outputs["experiments"][2]["experiments"]] == [f"EXP{i}" for i in range(1, 14)]
    assert [e.id for e in EXPERIMENTS.values()] == [f"EXP{i}" for i in range(1, 14)]
    assert outputs["experiment"][2]["id"] == EXPERIMENTS["fin-sequence"].id == "EXP4"


def test_prove_prints_each_id_beside_its_sentence(monkeypatch, capsys):
    """The text of a refuted classification: the id before the sentence, and the
    counterexample, which names a state and a stage but no rule."""
    monkeypatch.setattr(prove_cli, "_obligations", lambda: [classification])
    assert main(["prove", "--jobs", "1", "--mutant", "ack-check-forgets-snd-nxt"]) == 1
    out = capsys.readouterr().out.splitlines()
    (i,) = [i for i, line in enumerate(out) if "SEG1" in line]
    assert re.fullmatch(r"  refuted +\d+\.\d\d s  SEG1 segment classification is total and unambiguous  "
                        r"\(5 queries\)", out[i]), out[i]
    assert out[i + 1].strip().startswith("in every state and processing stage, exactly one arrival event")
    assert out[i + 2].strip().startswith("in ESTABLISHED, control stage, RCV.WND=")
    assert out[i + 3].strip().endswith("is all of: rcv unacceptable ACK, rcv ACK")
    assert out[-1].startswith("Result: 0 of 1 obligations proved in ")


def test_an_experiment_is_named_by_its_id_too(capsys):
    assert main(["experiment", "exp4", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["name"] == "fin-sequence"
    assert main(["experiment", "--list"]) == 0
    assert capsys.readouterr().out.splitlines()[3].split()[:3] == ["EXP4", "fin-sequence", "C6,"]
