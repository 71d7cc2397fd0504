"""The example course notebook (model/api/notebooks/time_wait.ipynb) runs and says what it should.

It is executed with nbclient in a kernel of this very interpreter (a kernelspec
written to a temporary folder, so a fresh venv needs no 'python3' kernelspec
of its own), and the test reads the executed outputs: the headlines, the rows
of the verdict tables, the charts.  The committed notebook carries its outputs;
its text and HTML outputs must be what executing it gives now.
"""

import json
import os
import re
import sys
import tempfile
from importlib.resources import files

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOK = files("tcpcheck").joinpath("notebooks", "time_wait.ipynb")
KERNEL = "tcpcheck-test-python"


def execute(nb, timeout: int = 300):
    """Execute ``nb`` in place in a kernel of ``sys.executable``."""
    with tempfile.TemporaryDirectory() as home:
        spec = os.path.join(home, "kernels", KERNEL)
        os.makedirs(spec)
        with open(os.path.join(spec, "kernel.json"), "w") as f:
            json.dump({"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                       "display_name": "tcpcheck's Python", "language": "python"}, f)
        old = os.environ.get("JUPYTER_PATH")
        os.environ["JUPYTER_PATH"] = home + (os.pathsep + old if old else "")
        try:
            nbclient.NotebookClient(nb, timeout=timeout, kernel_name=KERNEL, record_timing=False,
                                    resources={"metadata": {"path": home}}).execute()
        finally:
            if old is None:
                del os.environ["JUPYTER_PATH"]
            else:
                os.environ["JUPYTER_PATH"] = old
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


@pytest.fixture(scope="module")
def executed():
    nb = nbformat.reads(NOTEBOOK.read_text(encoding="utf-8"), as_version=4)
    return execute(nb)


def _outputs(nb):
    return [c.get("outputs", []) for c in nb.cells if c.cell_type == "code"]


def _data(output, mime):
    d = output.get("data", {}).get(mime) if output.get("output_type") in ("execute_result", "display_data") else None
    return "".join(d) if isinstance(d, list) else d


def _text(outputs) -> str:
    return "".join("".join(o["text"]) for o in outputs if o.get("output_type") == "stream")


def _rows(html: str) -> list[list[str]]:
    return [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr[^>]*>(.*?)</tr>", html)][1:]


def test_no_cell_fails_and_every_cell_has_output(executed):
    outs = _outputs(executed)
    assert len(outs) == 8
    assert all(outs), "a code cell without output"
    assert not [o for out in outs for o in out if o.get("output_type") == "error"]


def test_the_seed_check_shows_its_verdicts_and_its_state_graph(executed):
    (out,) = _outputs(executed)[0]
    html = _data(out, "text/html")
    assert html.startswith('<div class="tcpcheck-check"><p><b>seed: 14 states, 15 transitions; '
                           'all 18 properties hold</b></p>')
    rows = _rows(html.split("</table>")[0])
    assert len(rows) == 19
    assert rows[0][:4] == ["INV1", "no acknowledgment of unsent data", "invariant", "holds"]
    assert rows[12][:4] == ["REACH-CLOSING", "CLOSING is reachable", "reachability", "info"]
    assert rows[13] == ["REACH-TIME_WAIT", "TIME_WAIT is reachable", "reachability", "holds", "9 steps"]
    assert "Result: all 18 properties hold; CLOSING is not reached" in html
    assert "<svg" in html and "seed: 14 reachable states" in html
    assert _data(out, "text/plain") == "seed: 14 states, 15 transitions; all 18 properties hold"


def test_no_time_wait_differs_in_two_verdicts_and_its_chart_shows_the_reset(executed):
    outs = _outputs(executed)
    assert _text(outs[1]).startswith("the active closer goes to CLOSED instead of TIME_WAIT on the peer's FIN\n"
                                     'preset = "seed"\n')
    assert _text(outs[2]) == (
        "reference: 173 states, 255 transitions; all 19 properties hold\n"
        "the no-time-wait demonstration (from preset seed), mutant no-time-wait: 165 states, 243 transitions; "
        "2 of 19 properties violated: the passive closer is never reset, TIME_WAIT is reachable\n")
    assert _rows(_data(outs[3][0], "text/html")) == [
        ["STEP1", "the passive closer is never reset", "holds", "violated"],
        ["REACH-TIME_WAIT", "TIME_WAIT is reachable", "holds", "violated"]]
    (chart,) = outs[4]
    svg = _data(chart, "image/svg+xml")
    assert "counterexample to &#39;the passive closer is never reset&#39;" in svg or \
        "counterexample to 'the passive closer is never reset'" in svg
    assert "lost" in svg and "RST" in svg
    text = _data(chart, "text/plain")
    assert text.splitlines()[0] == "counterexample of 'the passive closer is never reset' (13 steps)"
    assert text.splitlines()[-1].split() == ["13.", "B", "receives", "<SEQ=0><CTL=RST>:", "rcv", "RST", "A",
                                             "CLOSED", "|", "B", "LAST_ACK", "->", "CLOSED"]


def test_short_time_wait_differs_only_in_rcv_nxt(executed):
    outs = _outputs(executed)
    assert _text(outs[5]) == "TIME_WAIT's 2MSL may expire while segments of the connection are still in flight\n"
    assert _rows(_data(outs[5][-1], "text/html")) == [
        ["INV2", "RCV.NXT within the peer&#x27;s sent range", "holds", "violated"]]
    (chart,) = outs[6]
    assert "timeout 2MSL" in _data(chart, "text/plain")
    assert "<svg" in _data(chart, "image/svg+xml")


def test_the_summary_table(executed):
    html = _data(_outputs(executed)[7][0], "text/html")
    assert re.findall(r"<th>(.*?)</th>", html) == [
        "id", "property", "reference (no-time-wait&#x27;s configuration)", "no-time-wait",
        "reference (short-time-wait&#x27;s configuration)", "short-time-wait"]
    assert _rows(html) == [
        ["INV1", "no acknowledgment of unsent data", "holds", "holds", "violated", "violated"],
        ["INV2", "RCV.NXT within the peer&#x27;s sent range", "holds", "holds", "holds", "violated"],
        ["STEP1", "the passive closer is never reset", "holds", "violated", "violated", "violated"],
        ["REACH-CLOSING", "CLOSING is reachable", "holds", "holds", "violated", "violated"],
        ["REACH-TIME_WAIT", "TIME_WAIT is reachable", "holds", "violated", "holds", "holds"],
        ["DEAD1", "deadlock freedom", "holds", "holds", "violated", "violated"],
        ["LIVE1", "every close completes", "holds", "holds", "violated", "violated"]]


def test_the_committed_outputs_are_the_executed_ones(executed):
    committed = nbformat.reads(NOTEBOOK.read_text(encoding="utf-8"), as_version=4)

    def shown(nb):
        return [[(o.get("output_type"), o.get("text"), _data(o, "text/plain"), _data(o, "text/html"))
                 for o in out] for out in _outputs(nb)]
    assert shown(committed) == shown(executed)
    assert all(_outputs(committed))
