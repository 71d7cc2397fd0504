"""Write the course lab notebook time_wait.ipynb beside this file, executed, with its outputs.

Run from the repository's top after changing the lab or what it shows:

    python model/api/notebooks/build.py

It executes the notebook as tests/test_notebook.py does (a kernel of this
interpreter); cell ids are fixed so that the file changes only when the lab does.
"""
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell as code, new_markdown_cell as md, new_notebook

cells = [
md("""# Lab: why TIME_WAIT waits 2MSL

RFC 9293 keeps the endpoint that closes first in **TIME_WAIT** for twice the maximum
segment lifetime (2MSL) before it deletes its TCB (section 3.10.7.4, the FIN check, and
the timeout of section 3.10.8). The seed note's claim **C17** gives the reason: the final
ACK may be lost, the peer in LAST_ACK then retransmits its FIN, and TIME_WAIT is there to
acknowledge it again. RFC 9293 adds a second one: old duplicate segments of the connection
must leave the network before the same connection can be opened again (section 3.4.2,
*Knowing When to Keep Quiet*).

In this lab the checker explores **every** run of two endpoints and a lossy network, and
we compare the reference model with two broken variants (*mutants*):

* `no-time-wait`: the active closer goes straight to CLOSED on the peer's FIN;
* `short-time-wait`: 2MSL may expire while segments of the connection are still in flight.

Each mutant comes with the configuration in which it shows its bug; we check the reference
model in the same configuration, so the only difference is the mutant's."""),
code("import tcpcheck\n\ntcpcheck.check(preset=\"seed\")"),
md("""The seed note's exchange (segments 1-7, no faults) is fine: every property that counts
holds (CLOSING is not meant to be reached there: neither side closes at the same time). The
picture is the graph of all 14 reachable states: the active closer passes through TIME_WAIT
and leaves it by `timeout 2MSL`.

## 1. Without TIME_WAIT: the lost final ACK"""),
code("m = tcpcheck.mutant(\"no-time-wait\")\nprint(m.description)\nprint(m.config)"),
code("reference = tcpcheck.check(tcpcheck.config(text=m.config, name=\"reference\"))\n"
     "no_time_wait = tcpcheck.check(mutant=\"no-time-wait\")\n"
     "print(reference.headline())\nprint(no_time_wait.headline())"),
code("tcpcheck.compare({\"reference\": reference, \"no-time-wait\": no_time_wait}, differing=True)"),
md("""Only two verdicts differ. `TIME_WAIT is reachable` is violated because the mutant has
no TIME_WAIT at all. The interesting one is **the passive closer is never reset**: here is
the shortest run that breaks it."""),
code("no_time_wait.run(\"the passive closer is never reset\")"),
md("""Read the chart from the top: the client's final ACK (7) is lost; the server, still in
LAST_ACK, retransmits its FIN (8); the client has already deleted its TCB, so to it the FIN
belongs to no connection and it answers with a reset (9). The server's close ends in an
error instead of an orderly release. In the reference model the client would still be in
TIME_WAIT and would acknowledge the FIN again.

## 2. A 2MSL that is too short: old duplicates"""),
code("s = tcpcheck.mutant(\"short-time-wait\")\nprint(s.description)\n"
     "reference2 = tcpcheck.check(tcpcheck.config(text=s.config, name=\"reference\"))\n"
     "short_time_wait = tcpcheck.check(mutant=\"short-time-wait\")\n"
     "tcpcheck.compare({\"reference\": reference2, \"short-time-wait\": short_time_wait}, differing=True)"),
md("""In this configuration the server retransmits its data once, the network may reorder,
and both sides open the connection a second time with the same ISS for the server (its ISN
clock has not moved, as after a reboot). The reference model already violates some
properties there (this configuration's 2MSL need not outlast the peer's retransmissions, and
the server reuses its ISS), so only the difference counts: **RCV.NXT within the peer's
sent range** breaks only when 2MSL may expire with segments still in flight."""),
code("short_time_wait.run(\"RCV.NXT within the peer's sent range\")"),
md("""The server's ACK was lost (step 10), so it retransmits its data (step 11), which the
client had already received at step 8. That duplicate is still in the network when the
client's 2MSL expires (step 14); the connection is opened again, and the old segment arrives
in the new incarnation (step 20), where the client accepts it as new data: its RCV.NXT moves
past anything the new server has sent. A 2MSL that waits until the network is empty of the
connection's segments would have kept the client in TIME_WAIT until the duplicate was gone.

## Summary"""),
code("tcpcheck.compare({\"reference (no-time-wait's configuration)\": reference, \"no-time-wait\": no_time_wait,\n"
     "                  \"reference (short-time-wait's configuration)\": reference2,\n"
     "                  \"short-time-wait\": short_time_wait}, differing=True)"),
md("""**Exercises.**

1. Change `loss_budget` in the no-time-wait configuration to 0 (`m.config` is TOML text:
   edit it and pass it to `tcpcheck.config(text=...)`). Does the mutant still fail? Why?
2. Which of the two reasons of claim C17 does `tcpcheck.check(mutant="time-wait-forever")`
   illustrate, if any? Look at `.violated` and the chart of its counterexample.
3. Export the state graph of the no-time-wait mutant (`no_time_wait.graph()`, or
   `tcpcheck export --mutant no-time-wait -o g.graphml`) and find the states where the client
   is CLOSED while the server is in LAST_ACK."""),
]
nb = new_notebook(cells=cells, metadata={
    "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
    "language_info": {"name": "python"}})
for n, cell in enumerate(nb.cells):
    cell.id = f"cell-{n:02d}"
here = Path(__file__).resolve().parent
out = here / "time_wait.ipynb"
sys.path.insert(0, str(here.parents[2] / "tests"))
from test_notebook import execute  # noqa: E402
execute(nb)
nbformat.write(nb, out)
print("wrote", out)
