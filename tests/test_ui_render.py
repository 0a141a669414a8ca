"""The HTML renderers: escaping, evidence highlighting, phases, meters, the trust curve."""

import re

from sim.engine import export
from sim.engine.state import Mood
from sim.scoring.types import AntiPatternHit, PrincipleScore, Span, TurnScore, empty_principles
from sim.ui import render
from sim.ui.review import report_markdown, review_html
from tests.ui_fake import FakeRehearsal


def scored(text: str, good: list[tuple[int, int]], bad: list[tuple[int, int]]) -> TurnScore:
    principles = empty_principles()
    for i, (start, end) in enumerate(good):
        principles[i] = PrincipleScore(
            id=principles[i].id, score=2, span=Span(start=start, end=end, text=text[start:end])
        )
    anti = [
        AntiPatternHit(id="blame", span=Span(start=start, end=end, text=text[start:end]))
        for start, end in bad
    ]
    return TurnScore(text=text, principles=principles, anti_patterns=anti)


def test_plain_escapes_everything_and_keeps_line_breaks() -> None:
    assert render.plain('<img src=x onerror="a">\n&') == "&lt;img src=x onerror=&quot;a&quot;&gt;<br>&amp;"


def test_highlight_marks_evidence_in_the_users_own_escaped_words() -> None:
    text = "I <b>missed</b> it, but it was your call"
    blame = text.index("was your call")
    html = render.highlight(scored(text, [(0, len("I <b>missed</b>"))], [(blame, len(text))]))
    assert html.startswith(
        '<mark class="rh-good" title="Acknowledge the issue">I &lt;b&gt;missed&lt;/b&gt;</mark>'
    )
    assert '<mark class="rh-bad" title="Blame">was your call</mark>' in html
    assert re.sub(r"<[^>]+>", "", html).replace("&lt;", "<").replace("&gt;", ">") == text


def test_highlight_skips_overlapping_and_out_of_range_spans() -> None:
    text = "sorry, truly sorry"
    html = render.highlight(scored(text, [(0, 12), (6, 18)], [(50, 60)]))
    assert html.count("<mark") == 1
    assert re.sub(r"<[^>]+>", "", html) == text


def test_chips_name_detected_principles_and_anti_patterns() -> None:
    html = render.chips(scored("abc", [(0, 1)], [(1, 2)]))
    assert "✓ Acknowledge the issue" in html and "✗ Blame" in html
    assert "No principle detected" in render.chips(scored("abc", [], []))


def test_phase_track_marks_done_current_skipped_and_to_come() -> None:
    html = render.phase_track("apologize", ["acknowledge", "listen"], ["empathize"])
    states = re.findall(r'class="rh-phase rh-(\w+)"', html)
    assert states == ["done", "done", "skipped", "current", "todo"]
    assert html.count('aria-current="step"') == 1
    ended = render.phase_track("propose", ["acknowledge"], [], ended=True)
    assert "aria-current" not in ended


def test_meters_are_clamped_and_labelled() -> None:
    html = render.meters(Mood(trust=42, openness=10, tension=100))
    assert 'aria-label="Trust"' in html and 'aria-valuenow="42"' in html and "width:100%" in html
    assert render.meter("x", 140, "trust").count('aria-valuenow="100"') == 1


def test_sparkline_plots_one_point_per_value_with_higher_trust_higher_up() -> None:
    svg = render.sparkline([10, 50, 90], width=100, height=60)
    ys = [float(y) for y in re.findall(r'cy="([\d.]+)"', svg)]
    assert len(ys) == 3 and ys[0] > ys[1] > ys[2]
    assert "Trust over the turns: 10, 50, 90" in svg
    assert svg.count("<circle") == 3
    assert render.sparkline([40]).count("<circle") == 1


def test_live_panel_and_review_escape_persona_and_model_text() -> None:
    fake = FakeRehearsal()
    view = fake.start("wen-li", owner="o")
    view = fake.send(view.id, "sorry, it was your fault <i>really</i>", owner="o")
    panel = render.live_panel(view)
    assert "<i>" not in panel and "&lt;i&gt;really&lt;/i&gt;" in panel
    assert "A stronger way to say it" in panel and "I missed the deadline." in panel
    page = review_html(view)
    assert "Wen &lt;Li&gt;" in page and "Wen <Li>" not in page
    assert "&lt;b&gt;markup&lt;/b&gt;" in page and "<b>markup" not in page
    assert "Acknowledge → Listen" in page and "trust 30→40 (+10)" in page
    assert "✗ Blame" in page and "Turn 1 · score 70/100" in page


def test_clip_cuts_long_better_replies_at_a_sentence_end() -> None:
    text = "First sentence here. Second one is longer than the limit allows for sure."
    assert render.clip(text, 40) == "First sentence here."
    assert render.clip("no sentence end in this long text at all", 20) == "no sentence end in t…"
    assert render.clip(text, None) == text and render.clip("short", 40) == "short"


def test_review_report_is_the_exports_summary() -> None:
    fake = FakeRehearsal()
    view = fake.start("wen-li", owner="o")
    view = fake.send(view.id, "I am sorry <b>truly</b>", owner="o")
    report = report_markdown(view)
    assert report.startswith("## Report\n") and "### Strengths" in report and "### Action plan" in report
    assert report.split("## Report\n", 1)[1] in export.to_markdown(view)
    assert "<b>" not in report
