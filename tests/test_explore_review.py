"""tcpcheck explore --file: what a user who writes a trace by hand, or mistypes a name, is told.

Found by driving the command: ``--file F --property NAME`` with an unknown
name blamed ``--counterexample``, an option the user had not given; and a
trace whose initial step gave no endpoint states was refused with "starts
with A in CLOSED", though every later step is matched on the fields it gives.
"""

from __future__ import annotations

import json

import pytest

from tcpcheck.model.config import preset
from tcpcheck.model.errors import InputError
from tcpcheck.model.explore.session import Session


@pytest.fixture()
def check_json(tmp_path):
    f = tmp_path / "r.json"
    f.write_text(json.dumps({"properties": [{"name": "deadlock freedom", "verdict": "holds"}]}), encoding="utf-8")
    return f


@pytest.mark.parametrize("name, error", [
    ("deadlok freedom", "--property: unknown property 'deadlok freedom'; did you mean 'deadlock freedom'?"),
    ("nope", "--property: unknown property 'nope'; the properties are: INV1, INV2, INV3, INV4, STEP1, "
             "REACH-CLOSED, REACH-LISTEN, REACH-SYN_SENT, REACH-SYN_RCVD, REACH-ESTABLISHED, REACH-FIN_WAIT_1, "
             "REACH-FIN_WAIT_2, REACH-CLOSING, REACH-TIME_WAIT, REACH-CLOSE_WAIT, REACH-LAST_ACK, DEAD1, LIVE1, LIVE2"),
])
def test_an_unknown_property_names_the_option_it_was_given_with(check_json, name, error):
    with pytest.raises(InputError) as e:
        Session(preset("seed")).open_file(str(check_json), name)
    assert str(e.value) == error
    with pytest.raises(InputError) as e:
        Session(preset("seed")).open_counterexample(name)
    assert str(e.value) == error.replace("--property", "--counterexample")


def test_an_initial_step_without_endpoint_states_is_matched_on_what_it_gives(tmp_path):
    f = tmp_path / "mine.json"
    f.write_text(json.dumps([{"what": "initial state"}, {"actor": "A", "kind": "call", "event": "active OPEN"},
                             {"actor": "B", "kind": "rcv", "segment": "<SEQ=4294967294><CTL=SYN>"}]),
                 encoding="utf-8")
    s = Session(preset("seed"))
    s.open_file(str(f))
    assert s.start == [0, 0]
    v = s.view(s.start)
    assert (v["state"]["A"]["state"], v["state"]["B"]["state"]) == ("SYN_SENT", "SYN_RCVD")


def test_an_initial_step_that_gives_another_state_is_still_refused(tmp_path):
    f = tmp_path / "mine.json"
    f.write_text(json.dumps([{"A": "CLOSED", "B": "CLOSED"}]), encoding="utf-8")
    with pytest.raises(InputError) as e:
        Session(preset("seed")).open_file(str(f))
    assert str(e.value) == (f"{f}: step 0: configuration 'seed' starts with B in LISTEN: give the --preset, "
                            f"--config, --rules or --mutant the file was checked with")
