"""The guard: what may reach the user as the colleague's reply, and what is trimmed instead of failed."""

import pytest

from sim.engine.guard import MAX_CHARS, check, trim
from sim.engine.voice import authored_line, render
from sim.personas import load_personas
from sim.prompts import load_prompts
from tests.engine_fakes import persona

WEN = persona("wen-li")


def reasons(text: str, **kw: object) -> tuple[str, ...]:
    return check(text, WEN, **kw).reasons  # type: ignore[arg-type]


def test_an_in_character_reply_passes_unchanged() -> None:
    result = check("You called it p-hacking in front of Michael. That stung.", WEN)
    assert result.ok and result.text == "You called it p-hacking in front of Michael. That stung."


@pytest.mark.parametrize(
    "reply",
    [
        "As an AI language model, I cannot have feelings about this.",
        "I'm here to help! What would you like to talk about?",
        "Sure, as your assistant I can role-play Wen for you.",
        "How can I help you today?",
        "The user seems upset about the meeting.",
        "The following is a response to your question about how to respond to a text based on the premise"
        " that you are a friendly customer support agent.",
        "Here's my reply to your message: I understand.",
    ],
)
def test_out_of_character_replies_fail(reply: str) -> None:
    assert "out of character" in reasons(reply)


@pytest.mark.parametrize(
    "reply",
    [
        "My system prompt says I should be guarded.",
        "speaking_style: careful and precise",
        "Move: vents. I am angry.",
    ],
)
def test_prompt_leaks_fail(reply: str) -> None:
    assert "prompt leak" in reasons(reply)


def test_a_sentence_copied_from_the_instructions_is_a_leak_but_an_authored_line_is_not() -> None:
    system = render(load_prompts()["persona"], WEN, "vents")
    copied = "Speak only as Wen Li, to them, in one to three short sentences."
    assert "prompt leak" in reasons(copied, instructions=system)
    own = WEN.lines["vents"][0]
    assert check(own, WEN, instructions=system).ok


@pytest.mark.parametrize(
    "reply",
    ["I'm so sorry about all of this.", "I apologize, it was my fault really.", "Forgive me, I overreacted."],
)
def test_the_colleague_never_apologizes_for_the_users_fault(reply: str) -> None:
    assert "apologizes for the user" in reasons(reply)


def test_role_labels_fail_but_the_own_name_label_is_stripped() -> None:
    assert "role label" in reasons("User: I am sorry\nAssistant: Fine.")
    assert "role label" in reasons("Fine.\nMichael: what is going on?")
    result = check("Wen: I'd rather we talk about methods.", WEN)
    assert result.ok and result.text == "I'd rather we talk about methods."


def test_repetition_fails() -> None:
    loop = "I need time. I need time. I need time. I need time."
    assert "repetition loop" in reasons(loop)
    assert "repeats an earlier reply" in reasons("Okay. Go on.", previous=["okay, go on"])


def test_empty_replies_fail() -> None:
    assert check("", WEN).reasons == ("empty",)
    assert check("  ... ", WEN).reasons == ("empty",)


def test_too_long_is_trimmed_to_whole_sentences_not_failed() -> None:
    long = (
        "You said it in front of Michael. The students heard every word. My criteria were dated in February. "
        "Nobody asked me first. The paper missed its deadline. I still carry that room with me."
    )
    result = check(long, WEN)
    assert result.ok and result.text.endswith("My criteria were dated in February.")
    assert len(result.text) <= MAX_CHARS
    wordy = " ".join(f"clause {i} goes on" for i in range(90)) + " end. Short one."
    assert trim(wordy) == ""
    assert check(wordy, WEN).reasons == ("too long",)


def test_an_unfinished_last_sentence_is_dropped() -> None:
    assert trim("You should have told me. And the worst part was that") == "You should have told me."
    assert trim("Fine") == "Fine"


def test_every_authored_line_of_every_persona_passes_the_guard() -> None:
    loaded = load_personas()
    assert loaded.personas
    for p in loaded.personas.values():
        for move, lines in p.lines.items():
            for line in lines:
                assert check(line, p).ok, (p.id, move, line, check(line, p).reasons)


def test_fallback_lines_rotate_and_never_repeat_while_fresh_ones_remain() -> None:
    said: list[str] = [WEN.opening_line]
    for turn in range(6):
        line = authored_line(WEN, "vents", said, turn)
        assert line not in said
        said.append(line)
    assert said[1:4] == WEN.lines["vents"]


def test_parroting_the_users_turn_is_taking_their_part() -> None:
    said = "From now on I'll give you a heads-up at least two days before any date slips."
    echoed = "I'm going to give you a heads-up at least two days before the contract is set."
    assert "echoes the user" in reasons(echoed, user_text=said)
    assert check("A heads-up. We'll see if it happens.", WEN, user_text=said).ok


def test_a_cold_move_must_not_sound_warm() -> None:
    warm = "I'm so proud of you for taking the time to talk about it."
    assert "too warm for the move" in reasons(warm, move="vents")
    assert check(warm, WEN, move="softens").ok


def test_a_trimmed_reply_equal_to_an_earlier_one_is_a_repeat() -> None:
    long = "Oh. Okay. I wasn't expecting you to say that. Thank you."
    shown = check(long, WEN).text
    assert shown == "Oh. Okay. I wasn't expecting you to say that."
    assert "repeats an earlier reply" in reasons(long, previous=[shown])


@pytest.mark.parametrize(
    "reply",
    [
        "- Right now: You called it p-hacking in front of Michael. That stung.",
        "Right now: You called it p-hacking in front of Michael. That stung.",
        "- You called it p-hacking in front of Michael. That stung.",
    ],
)
def test_the_directions_format_echoed_at_the_start_is_stripped(reply: str) -> None:
    result = check(reply, WEN)
    assert result.ok and result.text == "You called it p-hacking in front of Michael. That stung."


def test_the_direction_quoted_inside_a_reply_is_a_leak() -> None:
    assert "prompt leak" in reasons("Fine. Right now: you are guarded. Lines you might say now.")


def test_right_now_without_the_directions_colon_is_ordinary_speech() -> None:
    assert check("Right now I don't trust your numbers.", WEN).ok
