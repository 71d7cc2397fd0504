"""The claims C1-C17 and the cited parts of RFC 9293, shipped and readable
(model/claims.py, model/claims/, ``tcpcheck cite``)."""

import re
from importlib.resources import files
from pathlib import Path

import pytest

from tcpcheck.model import claims as cl
from tcpcheck.model.cli import main

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
#: where the code and the rule table cite RFC 9293
CITING = sorted(p for top in ("model", "proofs", "diagrams") for p in (REPO / top).rglob("*")
                if p.suffix in (".py", ".rules", ".toml") and "claims" not in p.parts and p.is_file())


def cited_in(paths) -> dict[str, str]:
    """Every RFC 9293 passage the files cite -> the first file:line citing it.  A
    line naming Python (a version such as 3.13) cites nothing."""
    found: dict[str, str] = {}
    for path in paths:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"python|\bpy3|PL_PYTHON", line, re.I):
                continue
            for cid in cl.citations(line):
                found.setdefault(cid, f"{path.name}:{n}")
    return found


def missing(paths) -> list[str]:
    """The citations of ``paths`` that the shipped data cannot show."""
    out = []
    for cid, where in cited_in(paths).items():
        try:
            cl.lookup(cid)
        except cl.CiteError:
            out.append(f"{where}: {cid}")
    return out


def test_every_claim_c1_to_c17_ships():
    assert list(cl.claims()) == [f"C{n}" for n in range(1, 18)]
    assert cl.claims()["C9"] == cl.Claim(
        "C9", "The eleven states",
        "SYN_RCVD: a SYN was received. It is a short, intermediate state of the server during the "
        "handshake, hard to observe, unless the client deliberately never sends the final ACK "
        "(segment 3); on that ACK the server goes to ESTABLISHED.")
    assert cl.claims()["C1"].part == "Opening: the three-way handshake"


@pytest.mark.skipif(not (SHARED / "seed").is_dir(), reason="no shared/ beside the repository")
def test_the_claims_and_their_source_ship_as_the_user_wrote_them():
    assert cl.CLAIMS_FILE.read_bytes() == (SHARED / "seed" / "CLAIMS.md").read_bytes()
    assert cl.SEED_NOTE.read_bytes() == (SHARED / "seed" / cl.SEED_NOTE.name).read_bytes()


def test_the_data_is_in_the_package():
    data = files("tcpcheck.model").joinpath("claims")
    for name in ("CLAIMS.md", "rfc9293.toml", "000_4fe751ad814872b1.txt"):
        assert data.joinpath(name).is_file(), name
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'"tcpcheck.model" = \[[^\]]*"claims/\*"', pyproject)


def test_every_passage_cited_in_the_code_and_the_rule_table_ships():
    found = cited_in(CITING)
    assert len(CITING) > 40 and {"3.10.7.4 fifth", "3.10.8", "Figure 5", "Figure 5 note 3"} <= set(found)
    assert missing(CITING) == []


def test_a_citation_the_data_lacks_is_found(tmp_path):
    """The check above on a deliberately broken input: a rule citing a section, a
    step and a note that tcpcheck does not ship."""
    rules = tmp_path / "broken.rules"
    rules.write_text("# requires Python 3.11\n"
                     "CLOSED | passive OPEN | create TCB | LISTEN | 3.10.9, 3.10.8 second, note 4\n"
                     "LISTEN | CLOSE | delete TCB | CLOSED | F3, 3.10.4\n", encoding="utf-8")
    assert missing([rules]) == ["broken.rules:2: 3.10.9", "broken.rules:2: 3.10.8 second",
                                "broken.rules:2: Figure 5 note 4"]


def test_citations_reads_the_forms_the_code_writes():
    assert cl.citations("F16, 3.10.7.4 eighth") == ["3.10.7.4 eighth"]
    assert cl.citations("RFC 9293 3.10.1-3.10.5 (section 3.4.)") == ["3.10.1", "3.10.5", "3.4"]
    assert cl.citations("(Figure 5, note 2) and F11, note 1, 3.10.7.4 second") == [
        "Figure 5 note 2", "Figure 5 note 1", "3.10.7.4 second"]
    assert cl.citations("Figure 5's Timeout=2MSL; RFC 9293 Figure 7") == ["Figure 5", "Figure 7"]
    assert cl.citations("version 13.10.1 or v3.10 or 3.10.7.4x") == []


def test_every_passage_has_its_title_url_summary_and_known_claims():
    passages = cl.passages()
    assert len(passages) == 32
    assert passages["3.10.7.4"].url == "https://www.rfc-editor.org/rfc/rfc9293#section-3.10.7.4"
    assert passages["Figure 5"].url == "https://www.rfc-editor.org/rfc/rfc9293#figure-5"
    assert tuple(passages["3.10.7.4"].parts) == cl.STEPS
    assert list(passages["Figure 5"].parts) == ["note 1", "note 2", "note 3"]
    for p in passages.values():
        assert p.title and 40 < len(p.summary) < 600, p.id
        assert set(p.claims) <= set(cl.claims()), p.id
    # every claim is tied to some passage of the RFC
    assert {c for p in passages.values() for c in p.claims} == set(cl.claims())


@pytest.mark.skipif(not (SHARED / "rfc" / "rfc9293.txt").is_file(), reason="no shared/ beside the repository")
def test_the_titles_are_the_rfcs_and_no_summary_copies_its_text():
    rfc = (SHARED / "rfc" / "rfc9293.txt").read_text(encoding="utf-8")
    for p in cl.passages().values():
        if p.id.startswith("Figure"):
            assert re.search(rf"{p.id}: {re.escape(p.title)}", rfc), p.id
        else:
            assert re.search(rf"^{re.escape(p.id)}\.\s+{re.escape(p.title)}", rfc, re.M), p.id

    states = re.compile(r"\b(?:SYN-RECEIVED|SYN-SENT|ESTABLISHED|FIN-WAIT-[12]|CLOSE-WAIT|CLOSING|LAST-ACK|"
                        r"TIME-WAIT|LISTEN|CLOSED)(?:\s+STATES?)?\b(?:,?\s+(?:and\s+)?)?")

    def words(text):
        """The words of ``text``, a list of states and a segment (<SEQ=..><CTL=..>) each
        standing as one word: naming the same states or segment is not copying."""
        text = re.sub(r"(?:<[^<>]*>)+", " segment ", states.sub(" state ", text))
        return re.findall(r"[a-z0-9]+", text.lower())

    rfc_words = words(rfc)
    grams = {tuple(rfc_words[i:i + 8]) for i in range(len(rfc_words) - 7)}

    def copied(text):
        w = words(text)
        return [" ".join(w[i:i + 8]) for i in range(len(w) - 7) if tuple(w[i:i + 8]) in grams]

    # the check on a deliberately copied sentence (3.4), and on our summaries
    assert copied("All arithmetic dealing with sequence numbers must be performed modulo 2^32.") == [
        "all arithmetic dealing with sequence numbers must be", "arithmetic dealing with sequence numbers must be "
        "performed", "dealing with sequence numbers must be performed modulo", "with sequence numbers must be "
        "performed modulo 2", "sequence numbers must be performed modulo 2 32"]
    for p in cl.passages().values():
        for text in (p.summary, *p.parts.values()):
            assert copied(text) == [], p.id


def test_lookup_accepts_the_ways_ids_are_written():
    assert cl.lookup("c9") == ("C9", None)
    assert cl.lookup(" RFC 9293 3.10.7.4 fifth ") == ("3.10.7.4", "fifth")
    assert cl.lookup("§3.10.8") == ("3.10.8", None)
    assert cl.lookup("fig. 5") == ("Figure 5", None)
    assert cl.lookup("Figure 5, note 2") == ("Figure 5", "note 2")
    assert cl.lookup("note 3") == ("Figure 5", "note 3")


@pytest.fixture(autouse=True)
def columns(monkeypatch):
    """Output wraps to the terminal: 80 columns here, whatever runs the tests."""
    monkeypatch.setenv("COLUMNS", "80")


def test_cite_c9(capsys):
    assert main(["cite", "C9"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:3] == ["C9 (the seed note, The eleven states)",
                       "  SYN_RCVD: a SYN was received. It is a short, intermediate state of the server",
                       "    during the handshake, hard to observe, unless the client deliberately never"]
    assert "  shown by:" in out and "  in RFC 9293:" in out
    assert "    experiment EXP6 syn-rcvd-held: If the handshake's final ACK is lost, does" in out
    assert "    3.10.7.2: LISTEN STATE (tcpcheck cite 3.10.7.2)" in out
    assert all(len(line) <= 79 for line in out)


def test_cite_a_step_lists_the_rules_citing_it(capsys):
    assert main(["cite", "3.10.7.4 fifth"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("RFC 9293 section 3.10.7.4: Other States\n"
                          "  https://www.rfc-editor.org/rfc/rfc9293#section-3.10.7.4\n")
    assert "  fifth: check the ACK field" in out and "  first: " not in out
    rules = re.findall(r"rule rfc9293\.rules:(\d+):", out)
    assert rules == ["61", "74", "75", "76", "77", "78", "79", "80", "81"]
    assert "    mutant no-time-wait edits a row citing it:" in out


def test_cite_without_an_id_lists_every_claim_and_passage(capsys):
    assert main(["cite"]) == 0
    out = capsys.readouterr().out
    assert len(re.findall(r"^  C\d+ ", out, re.M)) == 17
    assert len(re.findall(r"^  (?:3\.[\d.]+|Figure \d+) +\S", out, re.M)) == 32


@pytest.mark.parametrize("word, message", [
    ("C18", "unknown id 'C18'; did you mean 'C8'?"),
    ("3.10.7.5", "unknown id '3.10.7.5'; did you mean '3.10.7.4'?"),
    ("Figure 9", "unknown id 'Figure 9'; did you mean 'Figure 8'?"),
    ("3.10.7.4 fith", "'3.10.7.4 fith': 3.10.7.4 has no part 'fith'; did you mean '3.10.7.4 fifth'? "
                      "Its parts: first, second, third, fourth, fifth, sixth, seventh, eighth"),
    ("note 4", "'note 4': Figure 5 has no part 'note 4'; did you mean 'Figure 5 note 3'? "
               "Its parts: note 1, note 2, note 3"),
    ("3.10.8 fifth", "'3.10.8 fifth': 3.10.8 has no parts"),
])
def test_an_unknown_id_exits_2_with_did_you_mean(capsys, word, message):
    assert main(["cite", "C1", word]) == 2
    out, err = capsys.readouterr()
    assert out == ""  # nothing printed before the bad id was found
    assert err.splitlines()[0].startswith(f"tcpcheck: error: {message}")
