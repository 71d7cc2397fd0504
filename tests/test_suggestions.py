"""'Did you mean': a mistyped name in a configuration file, a scenario, an
experiment, a property or a trace file is answered with the name most likely
meant, and a name like no known one with the list alone (issue 11)."""

from __future__ import annotations

import pytest

from tcpcheck.model.config import ConfigError, parse_config

NETWORK = "expected capacity, loss, duplication, reordering or loss_budget"
TOP = "expected one of A, B, iss_step, network, preset, rcv_wnd, rules, timers"
ENDPOINT = ("expected one of abort, close_in, data, foreign_socket, iss, iss_step, open, opened, opens, "
            "reaches, retransmissions")


@pytest.mark.parametrize("text, message", [
    ("[network]\ncapasity = 2\n", f"2: unknown key 'capasity' in [network]; did you mean 'capacity'? {NETWORK}"),
    ("\npresett = 'seed'\n", f"2: unknown key 'presett'; did you mean 'preset'? {TOP}"),
    ("netwrk.capacity = 2\n", f"1: unknown key 'netwrk'; did you mean 'network'? {TOP}"),
    ("[A]\niss = 1\n\nisss = 1\n", f"4: unknown key 'isss' in [A]; did you mean 'iss'? {ENDPOINT}"),
    ("[timers]\ntime_wait_outlast_rto = true\n",
     "2: unknown key 'time_wait_outlast_rto' in [timers]; did you mean 'time_wait_outlasts_rto'? "
     "expected time_wait_outlasts_rto or time_wait_waits_for_network"),
    ("[B]\nopen = 'pasive'\n", "2: open must be one of active, passive, none, not 'pasive'; did you mean 'passive'?"),
    # nothing like a known name: the list alone
    ("[network]\nxyz = 1\n", f"2: unknown key 'xyz' in [network]; {NETWORK}"),
    ("[A]\nopen = 'sideways'\n", "2: open must be one of active, passive, none, not 'sideways'"),
    ("[A]\nopen = 3\n", "2: open must be one of active, passive, none, not 3"),
    # a TOML error's own line (tomllines.error_line)
    ("[A]\niss = 1\niss = = 2\n", "3: not valid TOML: Invalid value (at line 3, column 7)"),
])
def test_config_did_you_mean(text, message):
    with pytest.raises(ConfigError) as e:
        parse_config(text, "c.toml")
    assert str(e.value) == f"c.toml:{message}"
