"""Questions assignments (model/grading/questions.py): expected answers computed
from the reference table, the step language, answer files and partial scores.

Every expected answer below is pinned by hand from the seed note and the RFC
(segments 1-7 of the seed exchange, the states they lead to), or is the
result of a search that is pinned exactly; each test can fail.
"""

import tomllib

import pytest

from tcpcheck.model.config import preset
from tcpcheck.model.errors import InputError
from tcpcheck.model.grading.questions import (
    FEEDBACKS, AnswerError, QuestionError, ReplayError, answer_key, grade_answers, load_answers,
    parse_answers, parse_questions, replay, state_name)
from tcpcheck.model.mutants import apply_mutant, mutant_config
from tcpcheck.model.properties import PROPERTIES
from tcpcheck.model.system import Model
from tcpcheck.model.table import load_table

REFERENCE = load_table()
CONFIGURATIONS = {name: preset(name) for name in ("seed", "default", "reliable")}

# The `tcpcheck grade --init questions` template (the assignment's own keys,
# title, kind, reference and [[configurations]], are read by assignment.py).
TEMPLATE = '''\
# A "questions" assignment: the student answers in a small TOML file. Every
# expected answer is computed from the reference rule table; none is typed here.
title = "Lab 2: reading TCP"
kind = "questions"
reference = "rfc9293.rules"
feedback = "run"              # pass-fail | test | run | expected (a question may override it)

[[configurations]]
name = "seed"
preset = "seed"

[[configurations]]
name = "default"
preset = "default"

[[configurations]]
name = "reliable"
preset = "reliable"

# 1. The state of each endpoint after a prefix of a named scenario.
[[questions]]
id = "q1"                     # the answer file's [q1]
points = 2                    # half per endpoint
ask = "state-after"
text = "After segment 4 of the seed exchange, which state is each endpoint in?"
scenario = "seed"             # seed, simultaneous-open, simultaneous-close or lost-final-ack
configuration = "seed"        # optional with a scenario (default: the scenario's own)
upto_segment = 4              # optional: stop after the step that sends segment 4

# 2. The numbers of one segment (segments are numbered 1, 2, ... as they are sent).
[[questions]]
id = "q2"
points = 3                    # split over SEQ, ACK and CTL
ask = "segment"
text = "Give the SEQ, ACK and control bits of segment 6 of the seed exchange."
scenario = "seed"
segment = 6
ask_flags = true              # also ask CTL

# 3. What an endpoint can still reach when its peer is unplugged.
[[questions]]
id = "q3"
points = 4                    # x (states right out of 11); 0 for an empty answer
ask = "reachable"
text = "The client closes and is unplugged in FIN_WAIT_1. Which states can the server still reach?"
configuration = "default"     # a lossy network, so what is sent to the client can leave it
steps = [                     # the step language: as `tcpcheck check` prints steps
    "A: active OPEN",
    "B: passive OPEN",
    "B receives SYN",
    "A receives SYN,ACK",
    "B receives ACK",
    "A: CLOSE",
]
endpoint = "B"
unplugged = "A"

# 4. A claim, with a run that shows it.
[[questions]]
id = "q4"
points = 4                    # half for holds, half for a run that shows the violation
ask = "claim"
text = "Over a lossy network, can the endpoints get stuck? If so, give a run that shows it."
configuration = "default"
property = "deadlock freedom" # a name of `tcpcheck check`'s property list
with_run = true

# 5. A claim without a run, shown only after the due date, pass/fail feedback.
[[questions]]
id = "q5"
points = 1
ask = "claim"
text = "Over a reliable network, is the exchange deadlock-free?"
configuration = "reliable"
property = "deadlock freedom"
visibility = "after_due_date"
feedback = "pass-fail"
'''

# A correct answer file for TEMPLATE, written as a student would.
ANSWERS = '''\
# My answers to "Lab 2: reading TCP": one table per question, named by its id.
[q1]
A = "FIN-WAIT-1"              # the RFC's spellings are accepted
B = "SYN-RECEIVED"

[q2]
SEQ = 301
ACK = 0                       # ACK = "none" when the segment carries no ACK
CTL = "FIN,ACK"

[q3]
states = ["ESTABLISHED", "CLOSE_WAIT", "LAST_ACK", "FIN_WAIT_1", "CLOSING", "CLOSED"]

[q4]
holds = false
run = [                       # a run that ends stuck: steps as `tcpcheck check` prints them
    "A: active OPEN",
    "B: passive OPEN",
    "B receives SYN",
    "A receives SYN,ACK",
    "B receives ACK",
    "B: CLOSE",
    "A receives FIN",
    "B receives ACK",
    "A: SEND",
    "network loses DATA",
    "A: retransmission timeout",
    "network loses DATA",
    "A: user timeout",
]

[q5]
holds = true
'''


def _questions(text: str, configurations=None, reference=REFERENCE):
    return parse_questions(tomllib.loads(text)["questions"], text, "lab.toml",
                           configurations or CONFIGURATIONS, reference)


@pytest.fixture(scope="module")
def template():
    return _questions(TEMPLATE)


def _one(entry: str, configurations=None, reference=REFERENCE):
    (q,) = _questions("[[questions]]\n" + entry, configurations, reference)
    return q


def _grade(questions, answers: str, feedback="test"):
    return grade_answers(questions, parse_answers(answers, "ans.toml", questions), feedback)


# --- expected answers ---------------------------------------------------------------

SEED_STATES_AFTER = {  # segment N of the seed note -> (client, server) after the step that sends it
    1: ("SYN_SENT", "LISTEN"),
    2: ("SYN_SENT", "SYN_RCVD"),
    3: ("ESTABLISHED", "SYN_RCVD"),
    4: ("FIN_WAIT_1", "SYN_RCVD"),
    5: ("FIN_WAIT_1", "CLOSE_WAIT"),
    6: ("FIN_WAIT_1", "LAST_ACK"),
    7: ("TIME_WAIT", "LAST_ACK"),
}


@pytest.mark.parametrize("n", sorted(SEED_STATES_AFTER))
def test_states_after_each_segment_of_the_seed_exchange(n):
    q = _one(f'id = "s"\nask = "state-after"\npoints = 2\nscenario = "seed"\nupto_segment = {n}\n')
    assert q.expected == dict(zip("AB", SEED_STATES_AFTER[n]))


def test_state_after_the_whole_seed_scenario_and_a_step_list():
    q = _one('id = "s"\nask = "state-after"\npoints = 2\nscenario = "seed"\n')
    assert q.expected == {"A": "CLOSED", "B": "CLOSED"}
    assert q.configuration == "seed" and len(q.run.texts) == 11
    q = _one('id = "s"\nask = "state-after"\npoints = 2\nconfiguration = "seed"\n'
             'steps = ["A: active OPEN", "B receives SYN", "A receives SYN,ACK"]\n')
    assert q.expected == {"A": "ESTABLISHED", "B": "SYN_RCVD"}


SEED_SEGMENTS = [  # the seed note's segments 1-7: (SEQ, ACK, CTL); the client's ISS is 2**32-2
    (4294967294, "none", "SYN"),
    (300, 4294967295, "SYN,ACK"),
    (4294967295, 301, "ACK"),
    (4294967295, 301, "FIN,ACK"),
    (301, 0, "ACK"),  # the ACK of the client's FIN wraps to 0
    (301, 0, "FIN,ACK"),
    (0, 302, "ACK"),
]


@pytest.mark.parametrize("n", range(1, 8))
def test_seq_and_ack_of_segments_1_to_7_of_the_seed_run(n):
    q = _one(f'id = "g"\nask = "segment"\npoints = 3\nscenario = "seed"\nsegment = {n}\nask_flags = true\n')
    seq, ack, ctl = SEED_SEGMENTS[n - 1]
    assert q.expected == {"SEQ": seq, "ACK": ack, "CTL": ctl}


def test_there_is_no_segment_8_in_the_seed_run():
    with pytest.raises(QuestionError, match=r"^lab\.toml:6: segment = 8: the run sends 7 segment\(s\)$"):
        _questions('[[questions]]\nid = "g"\nask = "segment"\npoints = 3\nscenario = "seed"\nsegment = 8\n')


def test_server_reachable_once_the_client_is_unplugged_in_fin_wait_1(template):
    q = template[2]
    assert q.run.path[-1][1].A.state == "FIN_WAIT_1" and q.run.path[-1][1].B.state == "ESTABLISHED"
    # it never gets the ACK of its own FIN, so neither FIN_WAIT_2 nor TIME_WAIT
    assert q.expected == {"states": ["CLOSED", "ESTABLISHED", "FIN_WAIT_1", "CLOSING", "CLOSE_WAIT", "LAST_ACK"]}


def test_unplugging_removes_exactly_the_unplugged_endpoints_steps():
    # the same run, but the server still in SYN_RCVD (the client's ACK is in flight too)
    q = _one('id = "r"\nask = "reachable"\npoints = 1\nconfiguration = "default"\nunplugged = "A"\n'
             'steps = ["A: active OPEN", "B: passive OPEN", "B receives SYN", "A receives SYN,ACK", "A: CLOSE"]\n')
    assert q.endpoint == "B"
    assert q.expected["states"] == ["CLOSED", "SYN_RCVD", "ESTABLISHED", "FIN_WAIT_1", "CLOSING",
                                    "CLOSE_WAIT", "LAST_ACK"]
    # the client, with the server unplugged, from the same state: it may time out, nothing else
    q = _one('id = "r"\nask = "reachable"\npoints = 1\nconfiguration = "default"\nendpoint = "A"\n'
             'steps = ["A: active OPEN", "B: passive OPEN", "B receives SYN", "A receives SYN,ACK", "A: CLOSE"]\n')
    assert q.unplugged == "B" and q.expected["states"] == ["CLOSED", "FIN_WAIT_1"]


def test_deadlock_freedom_is_violated_in_default_and_holds_in_reliable(template):
    q4, q5 = template[3], template[4]
    assert q4.expected["holds"] is False and q4.run_asked
    assert q5.expected == {"holds": True} and not q5.run_asked
    # the reference's own counterexample is a right answer: it replays and ends stuck
    run = replay(q4.model, q4.expected["run"])
    end = run.path[-1][1]
    assert (end.A.state, end.B.state) == ("CLOSED", "FIN_WAIT_2") and q4.model.successors(run.ids[-1]) == []
    assert len(q4.expected["run"]) == 12


def test_answer_key_is_a_correct_answer_file(template):
    key = answer_key(template)
    results = _grade(template, key, "run")
    assert [(r.score, r.status) for r in results] == [(2, "passed"), (3, "passed"), (4, "passed"),
                                                      (4, "passed"), (1, "passed")]


# --- grading --------------------------------------------------------------------------

def test_a_correct_answer_file_scores_full_marks(template):
    answers = parse_answers(ANSWERS, "ans.toml", template)
    assert answers.warnings == []
    results = grade_answers(template, answers, "run", first_number=3)
    assert [r.number for r in results] == ["3", "4", "5", "6", "7"]
    assert [r.score for r in results] == [2, 3, 4, 4, 1]
    assert all(r.status == "passed" and r.max_score == r.score for r in results)
    assert results[0].name == "q1: After segment 4 of the seed exchange, which state is each endpoint in?"
    assert [r.visibility for r in results] == ["visible"] * 4 + ["after_due_date"]
    assert [r.configuration for r in results] == ["seed", "seed", "default", "default", "reliable"]
    assert results[3].output.splitlines()[-1] == "your run replays (13 steps) and shows the violation"
    assert results[3].run[-1]["A"]["state"] == "CLOSED" and results[3].run[-1]["B"]["state"] == "FIN_WAIT_2"
    assert results[4].output == "correct"  # its own feedback level: pass-fail
    assert all(r.kind == "question" and r.expected == "" for r in results)


def _replace(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


@pytest.mark.parametrize("old, new, scores, message", [
    ('B = "SYN-RECEIVED"', 'B = "ESTABLISHED"', [1, 3, 4, 4, 1], "not correct: the state of B is wrong"),
    ('ACK = 0 ', 'ACK = 1 ', [2, 2, 4, 4, 1], "not correct: the ACK is wrong"),
    ('CTL = "FIN,ACK"', 'CTL = "FIN"', [2, 2, 4, 4, 1], "not correct: the control bits are wrong"),
    ('SEQ = 301', 'SEQ = 302', [2, 2, 4, 4, 1], "not correct: the SEQ is wrong"),
    # FIN_WAIT_2 wrongly included and CLOSING left out: 9 of 11 right
    ('"CLOSING", "CLOSED"]', '"FIN_WAIT_2", "CLOSED"]', [2, 3, 4 * 9 / 11, 4, 1],
     "not correct: 2 of the 11 states are wrong (included or left out)"),
    ('states = ["ESTABLISHED", "CLOSE_WAIT", "LAST_ACK", "FIN_WAIT_1", "CLOSING", "CLOSED"]',
     'states = []', [2, 3, 0, 4, 1], "not correct: no state given (an empty answer scores 0)"),
    ('holds = false', 'holds = true', [2, 3, 4, 2, 1], "not correct: holds is wrong"),
    ('    "A: user timeout",\n', '', [2, 3, 4, 2, 1], "not correct: the run does not show it"),
    ('holds = true', 'holds = false', [2, 3, 4, 4, 0], "not correct"),  # q5 is pass-fail
])
def test_each_kind_of_wrong_answer_scores_its_exact_partial_score(template, old, new, scores, message):
    results = _grade(template, _replace(ANSWERS, old, new))
    assert [r.score for r in results] == pytest.approx(scores)
    wrong = [r for r in results if r.status == "failed"]
    assert len(wrong) == 1 and wrong[0].output.splitlines()[0] == message


def test_a_missing_answer_is_no_answer_given(template):
    text = ANSWERS.split("[q3]")[0] + "[q5]\nholds = true\n"
    results = _grade(template, text, "expected")
    assert [r.score for r in results] == [2, 3, 0, 0, 1]
    assert results[2].output == results[3].output == "no answer given"
    assert results[2].status == "failed"
    # a missing part of an answer
    results = _grade(template, '[q1]\nA = "FIN_WAIT_1"\n')
    assert results[0].score == 1 and results[0].output == "not correct: the state of B: no answer given"


def test_rfc_spellings_of_states_are_accepted(template):
    for a, b in (("FIN-WAIT-1", "SYN-RECEIVED"), ("fin_wait_1", "syn_rcvd"), ("Fin Wait 1", "SYN_RCVD")):
        (r, *_) = _grade(template, f'[q1]\nA = "{a}"\nB = "{b}"\n')
        assert r.score == 2, (a, b)
    assert state_name("TIME-WAIT") == "TIME_WAIT" and state_name("ESTAB") == "ESTABLISHED"
    assert state_name(3) is None and state_name("FIN_WAIT") is None


def test_a_number_where_a_state_is_expected_is_a_wrong_part_at_name_line(template):
    text = '[q1]\nA = "FIN_WAIT_1"\nB = 3\n\n[q2]\nSEQ = "three hundred and one"\nACK = 0\nCTL = 7\n'
    answers = parse_answers(text, "ans.toml", template)
    assert answers.warnings == [
        'ans.toml:3: q1.B: expected a state name in quotes such as "FIN_WAIT_2", not the number 3',
        'ans.toml:6: q2.SEQ: expected a sequence number such as 4294967295, not "three hundred and one"',
        'ans.toml:8: q2.CTL: expected control bits such as "FIN,ACK", not the number 7',
    ]
    results = grade_answers(template, answers, "test")
    assert results[0].score == 1 and results[1].score == 1
    assert results[0].output.splitlines() == [
        "not correct: the state of B is wrong",
        'ans.toml:3: q1.B: expected a state name in quotes such as "FIN_WAIT_2", not the number 3']
    # pass-fail says nothing more than that
    assert grade_answers(template, answers, "pass-fail")[0].output == "not correct"


def test_feedback_levels_cut_the_output(template):
    text = _replace(ANSWERS, 'B = "SYN-RECEIVED"', 'B = "ESTABLISHED"')
    outputs = {level: _grade(template, text, level)[0] for level in FEEDBACKS}
    assert outputs["pass-fail"].output == "not correct" and outputs["pass-fail"].details == {"answered": True}
    assert outputs["test"].output == "not correct: the state of B is wrong"
    assert outputs["test"].details["parts"] == {"A": 1.0, "B": 0.0}
    assert outputs["run"].output.splitlines() == [
        "not correct: the state of B is wrong", "your answer:", '  A = "FIN-WAIT-1"', '  B = "ESTABLISHED"']
    assert outputs["expected"].output == outputs["run"].output  # never in the output
    assert outputs["expected"].expected == 'A = "FIN_WAIT_1"\nB = "SYN_RCVD"'
    assert all(outputs[level].expected == "" for level in ("pass-fail", "test", "run"))
    assert "SYN_RCVD" not in outputs["expected"].to_json()["output"]
    assert "expected" not in outputs["expected"].to_json() and \
        outputs["expected"].to_json(after_due_date=True)["expected"] == 'A = "FIN_WAIT_1"\nB = "SYN_RCVD"'
    with pytest.raises(ValueError, match="unknown feedback level"):
        grade_answers(template, {}, "loud")


def test_grading_is_deterministic(template):
    a = [r.to_json(True) for r in _grade(template, ANSWERS, "expected")]
    b = [r.to_json(True) for r in _grade(template, ANSWERS, "expected")]
    assert a == b


# --- a student's run for a claim --------------------------------------------------------

def test_a_run_that_replays_but_is_not_a_counterexample(template):
    text = _replace(ANSWERS, '    "A: user timeout",\n', '')
    r = _grade(template, text, "run")[3]
    assert r.score == 2 and r.status == "failed"
    assert r.output.splitlines()[-1] == (
        "your run replays (12 steps) but the run does not end in a stuck state: steps are still "
        "possible (it ends with A in CLOSE_WAIT, B in FIN_WAIT_2)")
    assert r.run is not None and len(r.run) == 13


def test_a_run_that_does_not_replay_says_where(template):
    text = _replace(ANSWERS, '    "A receives FIN",\n', '    "A receives FIN",\n    "A receives FIN",\n')
    r = _grade(template, text, "run")[3]
    assert r.score == 2 and r.run is None
    line = next(n for n, x in enumerate(text.splitlines(), 1) if x == '    "A receives FIN",') + 1
    assert line == 24
    assert r.output.splitlines()[-1].startswith(
        "ans.toml:24: your run does not replay: step 8 'A receives FIN': nothing is in flight to A; "
        "possible steps here: A: SEND; A: CLOSE; B receives <SEQ=4294967295><ACK=302><CTL=ACK>; ")
    # at level test only that the run is wrong
    assert _grade(template, text, "test")[3].output == "not correct: the run does not show it"


def test_a_run_pasted_from_a_trace_replays(template):
    trace = '''
   1. A: active OPEN                                                        A CLOSED -> SYN_SENT | B CLOSED
          A --> B  <SEQ=4294967294><CTL=SYN>
   2. B: passive OPEN                                                       A SYN_SENT | B CLOSED -> LISTEN
   3. B receives <SEQ=4294967294><CTL=SYN>: rcv SYN                         A SYN_SENT | B LISTEN -> SYN_RCVD
          B --> A  <SEQ=300><ACK=4294967295><CTL=SYN,ACK>
   4. B: CLOSE                                                              A SYN_SENT | B SYN_RCVD -> FIN_WAIT_1
   5. A receives <SEQ=300><ACK=4294967295><CTL=SYN,ACK>: rcv SYN,ACK        A SYN_SENT -> ESTABLISHED | B FIN_WAIT_1
   6. A receives <SEQ=301><ACK=4294967295><CTL=FIN,ACK>: rcv ACK; rcv FIN   A ESTABLISHED -> CLOSE_WAIT | B FIN_WAIT_1
   7. A: SEND                                                               A CLOSE_WAIT | B FIN_WAIT_1
   8. B receives <SEQ=4294967295><ACK=301><CTL=ACK>: rcv ACK                A CLOSE_WAIT | B FIN_WAIT_1
   9. B receives <SEQ=4294967295><ACK=302><CTL=ACK>: rcv ACK of FIN         A CLOSE_WAIT | B FIN_WAIT_1 -> FIN_WAIT_2
  10. A: retransmission timeout                                             A CLOSE_WAIT | B FIN_WAIT_2
  11. network loses <SEQ=4294967295><ACK=302><CTL=ACK><DATA=1> (A->B)       A CLOSE_WAIT | B FIN_WAIT_2
  12. A: user timeout                                                       A CLOSE_WAIT -> CLOSED | B FIN_WAIT_2
'''
    r = _grade(template, f'[q4]\nholds = false\nrun = """{trace}"""\n', "run")[3]
    assert r.score == 4 and r.output.splitlines()[-1] == "your run replays (12 steps) and shows the violation"


def test_runs_for_step_invariant_reachability_and_liveness_properties():
    # a step property: the reference's counterexample, and a run that stops short of the reset
    q = _one('id = "c"\nask = "claim"\npoints = 2\nconfiguration = "default"\n'
             'property = "the passive closer is never reset"\nwith_run = true\n')
    assert q.expected["holds"] is False and q.expected["run"][-1] == "A receives <SEQ=302><CTL=RST>"
    assert _grade([q], answer_key([q]))[0].score == 2
    short = answer_key([q]).replace('    "A receives <SEQ=302><CTL=RST>",\n', "")
    assert _grade([q], short, "run")[0].output.splitlines()[-1] == (
        "your run replays (13 steps) but no step of the run breaks 'the passive closer is never reset'")
    # reachability: a witness is asked when it holds
    q = _one('id = "c"\nask = "claim"\npoints = 2\nconfiguration = "reliable"\n'
             'property = "CLOSING is reachable"\nwith_run = true\n')
    assert q.expected["holds"] is True and q.run_asked
    assert _grade([q], '[c]\nholds = true\nrun = ["A: active OPEN", "B: passive OPEN", "B receives SYN", '
                       '"B: CLOSE", "A receives SYN,ACK", "A: CLOSE", "A receives FIN"]\n')[0].score == 2
    assert _grade([q], '[c]\nholds = true\nrun = ["A: active OPEN"]\n')[0].score == 1
    # liveness: a run that ends stuck after a close
    q = _one('id = "c"\nask = "claim"\npoints = 2\nconfiguration = "default"\n'
             'property = "every close completes"\nwith_run = true\n')
    assert q.expected["holds"] is False
    assert _grade([q], ANSWERS.replace("[q4]", "[c]"))[0].score == 2
    # an invariant, on a broken variant whose FIN takes no sequence number
    cfg, table = apply_mutant("fin-no-seq", mutant_config("fin-no-seq"))
    q = _one('id = "c"\nask = "claim"\npoints = 2\nconfiguration = "m"\n'
             'property = "no acknowledgment of unsent data"\nwith_run = true\n', {"m": cfg}, table)
    assert q.expected["run"][-1] == "B receives <SEQ=4294967295><ACK=301><CTL=FIN,ACK>"
    assert _grade([q], answer_key([q]))[0].score == 2
    assert _grade([q], '[c]\nholds = false\nrun = ["A: active OPEN"]\n')[0].score == 1


def test_with_run_is_refused_for_a_liveness_violation_that_only_cycles():
    cfg, table = apply_mutant("time-wait-forever", mutant_config("time-wait-forever"))
    text = ('[[questions]]\nid = "c"\nask = "claim"\npoints = 2\nconfiguration = "m"\n'
            'property = "every close completes"\nwith_run = true\n')
    with pytest.raises(QuestionError) as e:
        _questions(text, {"m": cfg}, table)
    assert str(e.value) == (
        "lab.toml:7: with_run: 'every close completes' is violated in configuration 'm' only by "
        "runs that go round a cycle for ever, which a list of steps cannot show; drop with_run")
    (q,) = _questions(text.replace("with_run = true\n", ""), {"m": cfg}, table)
    assert q.expected == {"holds": False}


# --- the assignment's questions are checked when it is loaded ------------------------------

BAD = '''\
title = "broken"

[[questions]]
id = "q1"
ask = "state-after"
points = 2
configuration = "seed"
steps = [
    "A: active OPEN",
    "B receives SYN",
    "B receives FIN",
]
pionts = 3

[[questions]]
id = "q2"
ask = "claim"
points = 1
configuration = "defualt"
property = "deadlock freedon"

[[questions]]
id = "q1"
ask = "segmnt"
'''


def test_every_problem_of_the_file_at_its_line():
    with pytest.raises(QuestionError) as e:
        _questions(BAD)
    assert isinstance(e.value, InputError)
    assert e.value.errors == [
        "lab.toml:11: step 3 'B receives FIN': nothing is in flight to B; possible steps here: "
        "A receives <SEQ=300><ACK=4294967295><CTL=SYN,ACK> (configuration 'seed')",
        "lab.toml:13: unknown key 'pionts' (did you mean 'points'?); the keys of ask = \"state-after\" "
        "questions are id, ask, points, visibility, text, feedback, configuration, scenario, steps, upto_segment",
        "lab.toml:19: unknown configuration 'defualt' (did you mean 'default'?); the assignment's "
        "configurations are: default, reliable, seed",
        "lab.toml:20: unknown property \"deadlock freedon\" (did you mean 'deadlock freedom'?); the properties "
        "are: " + "; ".join(p.name for p in PROPERTIES),
        "lab.toml:24: unknown ask \"segmnt\"; expected one of state-after, segment, reachable, claim "
        "(did you mean 'segment'?)",
    ]


@pytest.mark.parametrize("entry, message", [
    ('id = "x"\nask = "state-after"\npoints = 1\nconfiguration = "reliable"\n'
     'steps = ["A: active OPEN", "B: passive OPEN", "B receives FIN"]\n',
     "lab.toml:7: step 3 'B receives FIN': nothing with FIN is in flight to B (in flight to B: "
     "<SEQ=4294967294><CTL=SYN>); possible steps here: A: CLOSE; B: CLOSE; B receives <SEQ=4294967294><CTL=SYN> "
     "(configuration 'reliable')"),
    ('id = "x"\nask = "state-after"\npoints = 1\nscenario = "seed"\nsteps = ["A: CLOSE"]\n',
     'lab.toml:7: give either scenario = "NAME" or steps = [...], not both'),
    ('id = "x"\nask = "state-after"\npoints = 1\nscenario = "sede"\n',
     "lab.toml:6: unknown scenario \"sede\" (did you mean 'seed'?); the scenarios are: seed, "
     "simultaneous-open, simultaneous-close, lost-final-ack"),
    ('id = "x"\nask = "segment"\npoints = 1\nscenario = "seed"\nsegment = 2\nupto_segment = 1\n',
     'lab.toml:8: \'upto_segment\' is not used by ask = "segment" questions; their keys are id, ask, points, '
     'visibility, text, feedback, configuration, scenario, steps, segment, ask_flags'),
    ('id = "x"\nask = "claim"\npoints = 1\nproperty = "deadlock freedom"\n',
     'lab.toml:2: question 1 names no configuration: add configuration = "NAME" (the assignment\'s '
     'configurations are: default, reliable, seed)'),
    ('id = "x"\nask = "reachable"\npoints = 1\nscenario = "seed"\nendpoint = "A"\nunplugged = "A"\n',
     "lab.toml:8: the endpoint whose states are asked (A) cannot be the one unplugged"),
    ('id = "x y"\nask = "claim"\npoints = -1\nconfiguration = "seed"\nproperty = "deadlock freedom"\n',
     "lab.toml:3: id must be a short name of letters, digits, '_' and '-' (the answer file's [table] for it), "
     "not \"x y\"\nlab.toml:5: points must be a number >= 0, not the number -1"),
    ('id = "x"\nask = "state-after"\npoints = 1\nscenario = "seed"\nupto_segment = 9\n',
     "lab.toml:7: upto_segment = 9: the run sends 7 segment(s), not 9"),
    ('id = "x"\nask = "state-after"\npoints = 1\nconfiguration = "default"\nscenario = "seed"\n',
     "lab.toml:7: scenario 'seed' is the empty run in configuration 'default' (its goal holds in the "
     "initial state)"),
    ('id = "x"\nask = "state-after"\npoints = 1\nconfiguration = "seed"\nsteps = ["A: active OPEN", "B: fly"]\n',
     "lab.toml:7: step 2 'B: fly': 'fly' is not something B can do; the calls are active OPEN, passive OPEN, "
     "SEND, CLOSE, ABORT and the timers retransmission timeout, user timeout, timeout 2MSL (configuration 'seed')"),
])
def test_a_bad_question_is_an_error_at_its_line(entry, message):
    with pytest.raises(QuestionError) as e:
        _questions("\n[[questions]]\n" + entry)
    assert str(e.value) == message


# --- the step language ------------------------------------------------------------------

def _replay(conf, steps):
    return replay(Model(preset(conf), REFERENCE), steps)


def test_step_forms():
    run = _replay("seed", ["a: open", "b receives syn", "1. A receives SYN-ACK", "A close()", "B receives segment 3",
                           "B receives <SEQ=4294967295><ACK=301><CTL=FIN,ACK>: rcv ACK; rcv FIN",
                           "B --> A  <SEQ=301><ACK=0><CTL=ACK>", "B: CLOSE", "A receives ACK", "A receives",
                           "B rcv <ACK=302>", "A: 2MSL timeout"])
    assert run.texts == [
        "A: active OPEN", "B receives <SEQ=4294967294><CTL=SYN>",
        "A receives <SEQ=300><ACK=4294967295><CTL=SYN,ACK>", "A: CLOSE",
        "B receives <SEQ=4294967295><ACK=301><CTL=ACK>", "B receives <SEQ=4294967295><ACK=301><CTL=FIN,ACK>",
        "B: CLOSE", "A receives <SEQ=301><ACK=0><CTL=ACK>", "A receives <SEQ=301><ACK=0><CTL=FIN,ACK>",
        "B receives <SEQ=0><ACK=302><CTL=ACK>", "A: timeout 2MSL"]
    end = run.path[-1][1]
    assert (end.A.state, end.B.state) == ("CLOSED", "CLOSED")
    assert [(n, who, seg.ack) for n, who, seg in run.segments()][4:] == [(6, "B", 0), (7, "B", 0), (9, "A", 302)]


def test_network_steps_and_bare_flags_prefer_an_exact_match():
    base = ["A: active OPEN", "B: passive OPEN", "B receives SYN", "A receives SYN,ACK", "A: CLOSE"]
    run = _replay("default", base + ["network loses A->B ACK", "B receives FIN"])
    assert run.texts[-2:] == ["network loses <SEQ=4294967295><ACK=301><CTL=ACK> (A->B)",
                              "B receives <SEQ=4294967295><ACK=301><CTL=FIN,ACK>"]
    with pytest.raises(ReplayError) as e:
        _replay("default", base + ["B receives"])
    assert str(e.value) == ("step 6 'B receives': it could be any of: B receives <SEQ=4294967295><ACK=301><CTL=ACK>; "
                            "B receives <SEQ=4294967295><ACK=301><CTL=FIN,ACK>; write the step exactly")
    with pytest.raises(ReplayError, match="^step 6 'network duplicates A->B FIN': the network duplicates nothing "):
        _replay("default", base + ["network duplicates A->B FIN"])
    run = _replay("duplicating", ["A: active OPEN", "B: passive OPEN", "network duplicates SYN",
                                  "B receives SYN", "B receives SYN"])
    assert run.texts[2] == "network duplicates <SEQ=4294967294><CTL=SYN> (A->B)"


@pytest.mark.parametrize("conf, steps, message", [
    ("reliable", ["A: active OPEN", "B: passive OPEN", "B receives SYN", "A receives SYN,ACK", "A: CLOSE",
                  "B receives FIN"],
     "step 6 'B receives FIN': <SEQ=4294967295><ACK=301><CTL=FIN,ACK> is in flight to B, but the network "
     "delivers in order and <SEQ=4294967295><ACK=301><CTL=ACK> comes first; possible steps here: B: CLOSE; "
     "B receives <SEQ=4294967295><ACK=301><CTL=ACK>"),
    ("reliable", ["A: active OPEN", "network loses SYN"],
     "step 2 'network loses SYN': the network loses nothing in this configuration; possible steps here: "
     "A: CLOSE; B: passive OPEN; B receives <SEQ=4294967294><CTL=SYN>"),
    ("default", ["A: active OPEN", "B: active OPEN"],
     "step 2 'B: active OPEN': B's application opens passively, not actively; possible steps here: A: CLOSE; "
     "B: passive OPEN; B receives <SEQ=4294967294><CTL=SYN>; network loses <SEQ=4294967294><CTL=SYN> (A->B)"),
    ("default", ["A: active OPEN", "B: passive OPEN", "B receives SYN", "network loses SYN,ACK",
                 "B: retransmission timeout", "network loses SYN,ACK", "B: retransmission timeout"],
     "step 7 'B: retransmission timeout': B has no retransmissions left: its timer's expiry is the user "
     "timeout; possible steps here: A: CLOSE; A: retransmission timeout; B: CLOSE; B: user timeout"),
    ("seed", ["A: active OPEN", "B receives <SEQ=1>"],
     "step 2 'B receives <SEQ=1>': <SEQ=1> is not in flight to B (in flight to B: <SEQ=4294967294><CTL=SYN>); "
     "possible steps here: B receives <SEQ=4294967294><CTL=SYN>"),
    ("seed", ["A: active OPEN", "B receives segment 2"],
     "step 2 'B receives segment 2': only 1 segment(s) have been sent so far, not 2; possible steps here: "
     "B receives <SEQ=4294967294><CTL=SYN>"),
    ("seed", ["A: active OPEN", "B receives <SEQ=x>"], "step 2 'B receives <SEQ=x>': <SEQ=x> is not a number"),
    ("seed", ["jump"], "step 1 'jump': not a step; write e.g. 'A: active OPEN', 'B: CLOSE', 'A: timeout 2MSL', "
                       "'B receives SYN', 'B receives <SEQ=300><ACK=4294967295><CTL=SYN,ACK>' or "
                       "'network loses A->B FIN,ACK'"),
])
def test_impossible_steps_say_why_and_what_is_possible(conf, steps, message):
    with pytest.raises(ReplayError) as e:
        _replay(conf, steps)
    assert str(e.value) == message


# --- answer files ------------------------------------------------------------------------

def test_unknown_question_ids_and_keys_are_warnings_with_did_you_mean(template):
    answers = parse_answers('[q1]\nA = "FIN_WAIT_1"\nb = "SYN_RCVD"\nC = "CLOSED"\n\n[Q2]\nSEQ = 301\n',
                            "ans.toml", template)
    assert answers.warnings == [
        "ans.toml:4: question 'q1' has no 'C'; it expects A, B; 'C' is ignored",
        "ans.toml:6: there is no question 'Q2' (did you mean 'q2'?); its answers are ignored",
    ]
    assert grade_answers(template, answers, "test")[0].score == 2  # keys are case-insensitive


@pytest.mark.parametrize("text, message", [
    ('[q1]\nA = "FIN_WAIT_1\n', r"^ans\.toml:2: not valid TOML: "),
    ('A = "FIN_WAIT_1"\n', r"^ans\.toml:1: 'A' is not a question's table: write each question's answers "
                           r"under its id, e\.g\. \[q1\] then A = \"FIN_WAIT_2\"$"),
    ("# " + "x" * (64 * 1024) + "\n", r"^ans\.toml:1: the answer file is larger than 64 KiB$"),
    # found by the fuzz campaign: an inline table nested past tomllib's depth (a RecursionError)
    ("[q5]\nholds = " + "{a=" * 1000 + "1" + "}" * 1000 + "\n", r"^ans\.toml:1: not valid TOML: nested too deeply$"),
])
def test_an_answer_file_that_cannot_be_read(text, message):
    with pytest.raises(AnswerError, match=message):
        parse_answers(text, "ans.toml")


def test_load_answers_reads_utf8_only(tmp_path, template):
    p = tmp_path / "ans.toml"
    p.write_bytes(b'[q1]\nA = "FIN_WAIT_1"\nB = "\xff"\n')
    with pytest.raises(AnswerError, match=r"ans\.toml:3: the answer file is not UTF-8 text \(byte 0xFF at offset 27\); "
                                          r"save it as UTF-8$"):
        load_answers(p)
    p.write_text("\ufeff" + ANSWERS, encoding="utf-8")
    answers = load_answers(p, template)
    assert answers.name == str(p) and answers.warnings == [] and answers.line("q4", "run") == 16
    assert [r.score for r in grade_answers(template, answers, "test")] == [2, 3, 4, 4, 1]
    with pytest.raises(AnswerError, match="cannot read the answer file"):
        load_answers(tmp_path / "missing.toml")


def test_a_duplicate_question_id_is_an_error_at_the_second():
    text = ('[[questions]]\nid = "q1"\nask = "state-after"\npoints = 1\nscenario = "seed"\n\n'
            '[[questions]]\nid = "q1"\nask = "claim"\npoints = 1\nconfiguration = "seed"\n'
            'property = "deadlock freedom"\n')
    with pytest.raises(QuestionError) as e:
        _questions(text)
    assert str(e.value) == "lab.toml:8: duplicate question id 'q1' (the first is at line 2)"


def test_an_inline_table_answer_file_and_a_string_of_states(template):
    with pytest.raises(AnswerError, match=r"^ans\.toml:4: 'q3' is not a question's table"):
        parse_answers('# answers\n\n\nq3 = 1\n[q1]\nA = "x"\n', "ans.toml")
    answers = parse_answers('q1 = { A = "FIN_WAIT_1", B = 7 }\n[q3]\nstates = "ESTABLISHED, CLOSE_WAIT, '
                            'LAST_ACK, FIN_WAIT_1, CLOSING, CLOSED"\n', "ans.toml", template)
    assert answers.warnings == [
        'ans.toml:1: q1.B: expected a state name in quotes such as "FIN_WAIT_2", not the number 7']
    results = grade_answers(template, answers, "test")
    assert [r.score for r in results[:3]] == [1, 0, 4]
    assert results[0].output.splitlines()[1].startswith("ans.toml:1: q1.B: ")


def test_a_run_that_ends_well_is_no_deadlock(template):
    run = ["A: active OPEN", "B: passive OPEN", "B receives SYN", "A receives SYN,ACK", "B receives ACK",
           "A: CLOSE", "B receives FIN", "B: CLOSE", "A receives ACK", "A receives FIN", "B receives ACK",
           "A: timeout 2MSL"]
    r = _grade(template, f"[q4]\nholds = false\nrun = {run!r}\n".replace("'", '"'), "run")[3]
    assert r.score == 2
    assert r.output.splitlines()[-1] == ("your run replays (12 steps) but the run ends in an acceptable end, "
                                         "not a deadlock (it ends with A in CLOSED, B in CLOSED)")
    q = _one('id = "c"\nask = "claim"\npoints = 2\nconfiguration = "default"\n'
             'property = "every close completes"\nwith_run = true\n')
    r = _grade([q], f"[c]\nholds = false\nrun = {run!r}\n".replace("'", '"'), "run")[0]
    assert r.score == 1 and r.output.splitlines()[-1] == (
        "your run replays (12 steps) but the run gets to what 'every close completes' promises (or never "
        "needs it), so it is no counterexample (it ends with A in CLOSED, B in CLOSED)")
