"""The UI handlers as plain functions over a fake Rehearsal: sessions, streaming, errors, retry, review."""

import json
from pathlib import Path

import pytest

from sim.engine import export
from sim.ui import handlers as h
from tests.ui_fake import FakeRehearsal

NAMES = {"wen-li": "Wen Li"}


@pytest.fixture
def fake() -> FakeRehearsal:
    return FakeRehearsal()


def started(fake: FakeRehearsal, owner: str = "browser-a") -> tuple[h.Store, h.Screen]:
    return h.start(fake, h.Store(owner=owner), "wen-li", "hard")


def run_send(fake: FakeRehearsal, store: h.Store, text: str) -> list[h.Screen]:
    return list(h.send(fake, store, text))


def test_load_store_makes_an_owner_and_keeps_a_valid_one() -> None:
    fresh = h.load_store(None)
    assert len(fresh.owner) >= 20 and fresh.current is None
    assert h.load_store(None).owner != fresh.owner
    assert h.load_store({"owner": "abc", "current": "s1"}) == h.Store(owner="abc", current="s1")
    assert h.load_store({"owner": 3, "junk": True}).owner != "3"


def test_login_name_is_the_owner_and_drops_another_users_session() -> None:
    assert h.load_store({"owner": "alice", "current": "s1"}, username="bob") == h.Store(owner="bob")
    assert h.load_store({"owner": "bob", "current": "s2"}, username="bob").current == "s2"


def test_start_remembers_the_session_and_shows_the_opening_line_first(fake: FakeRehearsal) -> None:
    store, scr = started(fake)
    assert store.current == scr.session_id
    assert scr.messages == [{"role": "assistant", "content": "You wanted to talk?"}]
    assert fake.sessions[scr.session_id or ""].difficulty == "hard"
    assert "Wen &lt;Li&gt;" not in scr.title and "Wen <Li>" in scr.title
    assert 'aria-current="step">Acknowledge' in scr.panel


def test_default_difficulty_leaves_the_choice_to_the_persona(fake: FakeRehearsal) -> None:
    _, scr = h.start(fake, h.Store(owner="o"), "wen-li", "default")
    assert scr.session_id is not None
    assert fake.sessions[scr.session_id].difficulty == "normal"


def test_send_shows_the_turn_at_once_then_the_reply_then_the_feedback(fake: FakeRehearsal) -> None:
    store, _ = started(fake)
    frames = run_send(fake, store, "I'm sorry <script>x</script>")
    first, last = frames[0], frames[-1]
    assert first.messages[-2] == {"role": "user", "content": "I&#x27;m sorry &lt;script&gt;x&lt;/script&gt;"}
    assert first.messages[-1] == {"role": "assistant", "content": h.TYPING}
    replied = frames[-2]
    assert replied.messages[-1] == last.messages[-1] and replied.panel == first.panel
    assert last.messages[-1]["content"] == "Reply number 1, with &lt;b&gt;markup&lt;/b&gt; the model made up."
    assert last.draft == "" and last.error is None
    assert "✓ Apologize sincerely" in last.panel and '<mark class="rh-good"' in last.panel
    assert last.turn_choices == [("Turn 1: I'm sorry <script>x</script>", 0)]


def test_input_error_keeps_the_text_and_says_why(fake: FakeRehearsal) -> None:
    store, _ = started(fake)
    frames = run_send(fake, store, "x" * 150)
    assert frames[-1].draft == "x" * 150
    assert frames[-1].error is not None and "too long" in frames[-1].error
    assert not frames[-1].retry_send and fake.sessions[store.current or ""].turns == []


def test_model_error_keeps_the_text_and_retry_sends_it(fake: FakeRehearsal) -> None:
    store, _ = started(fake)
    failed = run_send(fake, store, "FAIL but sorry")[-1]
    assert failed.draft == "FAIL but sorry" and failed.retry_send
    assert failed.error is not None and "took too long" in failed.error
    assert len(failed.messages) == 1
    reopened = h.open_current(fake, store)
    assert reopened.draft == "FAIL but sorry"
    ok = run_send(fake, store, reopened.draft)[-1]
    assert ok.error is None and len(ok.messages) == 3 and fake.sent == ["FAIL but sorry"] * 2


def test_empty_and_ended_sessions_do_not_send(fake: FakeRehearsal) -> None:
    store, _ = started(fake)
    assert run_send(fake, store, "   ")[-1].error == "Write what you would say first."
    for n in range(5):
        run_send(fake, store, f"sorry {n}")
    ended = run_send(fake, store, "one more")
    assert len(ended) == 1 and ended[0].finished and ended[0].error == h.ENDED_ERROR
    assert fake.sent == [f"sorry {n}" for n in range(5)]
    assert run_send(fake, h.Store(owner="x"), "hello") == [h.EMPTY]


def test_retry_from_branches_and_keeps_the_original(fake: FakeRehearsal) -> None:
    store, scr = started(fake)
    original = scr.session_id or ""
    for text in ("first", "second sorry", "third"):
        run_send(fake, store, text)
    store, branch = h.retry_from(fake, store, 1)
    assert branch.session_id != original and store.current == branch.session_id
    assert branch.draft == "second sorry" and len(branch.messages) == 3
    assert "retried from turn 2" in branch.title
    assert len(fake.sessions[original].turns) == 3
    _, bad = h.retry_from(fake, store, 7)
    assert bad.error == "Pick one of your turns to retry from."


def test_other_owners_never_see_a_session(fake: FakeRehearsal) -> None:
    store, scr = started(fake, owner="alice")
    intruder = h.Store(owner="mallory", current=scr.session_id)
    assert h.open_current(fake, intruder) == h.EMPTY
    assert h.past_sessions(fake, intruder, NAMES) == []
    assert h.open_session(fake, intruder, scr.session_id)[1] == h.EMPTY
    assert h.retry_from(fake, intruder, 0)[1] == h.EMPTY
    assert h.review(fake, intruder, Path("/nonexistent")).markdown_path is None
    assert run_send(fake, intruder, "hello") == [h.EMPTY] and fake.sent == []
    assert len(h.past_sessions(fake, store, NAMES)) == 1


def test_past_sessions_list_newest_first_with_outcome_and_score(fake: FakeRehearsal) -> None:
    store, first = started(fake)
    run_send(fake, store, "sorry")
    store, second = h.start(fake, store, "wen-li", "easy")
    past = h.past_sessions(fake, store, NAMES)
    assert [p.session_id for p in past] == [second.session_id, first.session_id]
    assert past[1].label == "Wen Li · 2026-05-04 10:02 · in progress · 1 turn · score 70"
    assert past[0].label.endswith("0 turns · not scored yet")
    assert h.past_sessions(fake, store, {})[0].label.startswith("wen-li · ")
    store, reopened = h.open_session(fake, store, first.session_id)
    assert store.current == first.session_id and len(reopened.messages) == 3


def test_review_writes_both_exports_and_loads_the_json_back(fake: FakeRehearsal, tmp_path: Path) -> None:
    store, _ = started(fake)
    run_send(fake, store, "I'm sorry, that was <b>my</b> fault")
    page = h.review(fake, store, tmp_path)
    assert page.error is None and page.markdown_path and page.json_path
    markdown = Path(page.markdown_path).read_text(encoding="utf-8")
    assert markdown == export.to_markdown(fake.sessions[store.current or ""])
    assert "&lt;b&gt;my&lt;/b&gt;" in page.turns and "<b>my</b>" not in page.turns
    assert "Wen &lt;Li&gt;" in page.html and "### Strengths" in page.report
    loaded = h.load_export(page.json_path, tmp_path)
    assert loaded.error is None and (loaded.html, loaded.report, loaded.turns) == (
        page.html,
        page.report,
        page.turns,
    )


def test_load_export_names_the_file_on_bad_input(tmp_path: Path) -> None:
    bad = tmp_path / "notes.json"
    bad.write_text(json.dumps({"hello": "world"}), encoding="utf-8")
    page = h.load_export(str(bad), tmp_path)
    assert page.error is not None and page.error.startswith("notes.json is not a Rehearse JSON export")
    garbage = tmp_path / "garbage.json"
    garbage.write_bytes(b"\xff\xfe not json")
    assert h.load_export(str(garbage), tmp_path).error is not None
    assert h.load_export(None, tmp_path).markdown_path is None
