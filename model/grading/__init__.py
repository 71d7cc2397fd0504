"""Course assignment checks: a student's rule table or answers against a reference.

``tcpcheck grade`` lives here.  A submission goes through the same loader as
every rule table; it is then compared with the assignment's reference in
layers the assignment weights: cell by cell (:mod:`.cells`), by behaviour in
each configuration, the two systems explored together (:mod:`.behaviour`),
and by the verdicts of the properties.  The assignment file says what is
graded and how (:mod:`.assignment`); :mod:`.grade` runs it and produces
:mod:`.results`, which the output formats write.

Grading never executes anything from a submission: a submission is data.
"""
