"""The components of each tab, and the updates that show a handler's result in them."""

from collections.abc import Mapping
from dataclasses import dataclass
from html import escape
from typing import Any

import gradio as gr

from sim.personas import Persona
from sim.ui import handlers as h
from sim.ui import render

PLACEHOLDER = "What do you say? Enter sends, Shift+Enter starts a new line."
ENDED = "This conversation has ended: open the review, or retry from one of your turns."
NO_SESSION = '<p class="rh-muted">Choose a colleague first, or reopen one of your sessions.</p>'


@dataclass(frozen=True)
class Chooser:
    difficulty: gr.Radio
    buttons: dict[str, gr.Button]


@dataclass(frozen=True)
class RehearsePage:
    heading: gr.HTML
    chat: gr.Chatbot
    error: gr.HTML
    retry_send: gr.Button
    msg: gr.Textbox
    turn_pick: gr.Dropdown
    retry: gr.Button
    show_feedback: gr.Checkbox
    end: gr.Button
    panel_col: gr.Column
    panel: gr.HTML


@dataclass(frozen=True)
class ReviewPage:
    message: gr.HTML
    markdown: gr.DownloadButton
    json: gr.DownloadButton
    upload: gr.UploadButton
    head: gr.HTML
    report: gr.Markdown
    turns: gr.HTML


@dataclass(frozen=True)
class SessionsPage:
    choices: gr.Radio
    open: gr.Button


def chooser(personas: Mapping[str, Persona]) -> Chooser:
    difficulty = gr.Radio(
        [("Their usual", "default"), ("Easy", "easy"), ("Normal", "normal"), ("Hard", "hard")],
        value="default",
        label="Difficulty",
        info="Harder colleagues trust more slowly and take bad moves harder.",
    )
    buttons = {}
    with gr.Row(equal_height=True, elem_classes="rh-cards"):
        for p in personas.values():
            with gr.Column(min_width=260, elem_classes="rh-card-col"):
                gr.HTML(render.persona_card(p.name, p.role, p.relation, p.summary, p.difficulty))
                # Enabled by the page's load event: a click before it would start a session that the
                # load, answering later, replaces with the browser's stored (empty) screen.
                buttons[p.id] = gr.Button(
                    f"Rehearse with {p.name}", variant="primary", elem_id=f"start-{p.id}", interactive=False
                )
    return Chooser(difficulty, buttons)


def rehearse_page() -> RehearsePage:
    heading = gr.HTML(NO_SESSION)
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=300):
            chat = gr.Chatbot(
                label="Conversation",
                show_label=False,
                height=440,
                render_markdown=False,
                sanitize_html=True,
                allow_tags=False,
                latex_delimiters=[],
                feedback_options=None,
                buttons=["copy_all"],
                layout="bubble",
                elem_id="chat",
            )
            error = gr.HTML(visible=False, elem_id="error")
            retry_send = gr.Button("Try again", visible=False, variant="primary", elem_id="try-again")
            msg = gr.Textbox(
                show_label=False,
                label="Your reply",
                placeholder=PLACEHOLDER,
                lines=1,
                max_lines=6,
                submit_btn="Send",
                elem_id="msg",
            )
            with gr.Row(equal_height=False, elem_classes="rh-bottom"):
                turn_pick = gr.Dropdown(
                    label="Retry from one of your turns",
                    choices=[],
                    value=None,
                    scale=3,
                    min_width=200,
                    elem_id="turn-pick",
                )
                retry = gr.Button("Retry from here", scale=1, min_width=140, elem_id="retry")
            with gr.Row(equal_height=False, elem_classes="rh-bottom"):
                show_feedback = gr.Checkbox(
                    value=True, label="Show feedback (turn off for a realistic run)", elem_id="show-feedback"
                )
                end = gr.Button("End and review", elem_id="end")
        with gr.Column(scale=2, min_width=280) as panel_col:
            panel = gr.HTML(elem_id="panel")
    return RehearsePage(
        heading, chat, error, retry_send, msg, turn_pick, retry, show_feedback, end, panel_col, panel
    )


def review_page() -> ReviewPage:
    message = gr.HTML(visible=False)
    with gr.Row(equal_height=True):
        markdown = gr.DownloadButton("Download Markdown", visible=False, elem_id="download-md")
        json = gr.DownloadButton("Download JSON", visible=False, elem_id="download-json")
        upload = gr.UploadButton(
            "Load a JSON export", file_types=[".json"], type="filepath", elem_id="upload-json"
        )
    with gr.Column(elem_id="review"):
        head = gr.HTML('<p class="rh-muted">Open a session to review it.</p>')
        report = gr.Markdown(elem_id="report", sanitize_html=True, elem_classes="rh-report")
        turns = gr.HTML()
    return ReviewPage(message, markdown, json, upload, head, report, turns)


def sessions_page() -> SessionsPage:
    choices = gr.Radio(label="Your sessions, latest first", choices=[], value=None, elem_id="sessions")
    open_button = gr.Button("Open this session", variant="primary", elem_id="open-session")
    return SessionsPage(choices, open_button)


def screen_updates(scr: h.Screen) -> tuple[Any, ...]:
    """Updates for: heading, chat, panel, msg, error, retry_send, turn_pick (the `screen_out` order)."""
    heading = f'<p class="rh-title">{escape(scr.title)}</p>' if scr.session_id else NO_SESSION
    error = f'<p class="rh-error" role="alert">{escape(scr.error)}</p>' if scr.error else ""
    return (
        heading,
        scr.messages,
        scr.panel,
        gr.Textbox(
            value=scr.draft,
            interactive=bool(scr.session_id) and not scr.finished,
            placeholder=ENDED if scr.finished else PLACEHOLDER,
        ),
        gr.HTML(error, visible=bool(scr.error)),
        gr.Button(visible=scr.retry_send),
        gr.Dropdown(choices=scr.turn_choices, value=None),
    )


def review_updates(page: h.ReviewResult) -> tuple[Any, ...]:
    """Updates for: head, report, turns, markdown download, json download, message."""
    message = f'<p class="rh-error" role="alert">{escape(page.error)}</p>' if page.error else ""
    return (
        page.html,
        page.report,
        page.turns,
        gr.DownloadButton(value=page.markdown_path, visible=page.markdown_path is not None),
        gr.DownloadButton(value=page.json_path, visible=page.json_path is not None),
        gr.HTML(message, visible=bool(page.error)),
    )


def session_choices(rehearsal: h.RehearsalLike, store: h.Store, names: Mapping[str, str]) -> Any:
    past = h.past_sessions(rehearsal, store, names)
    return gr.Radio(
        choices=[(p.label, p.session_id) for p in past],
        value=None,
        info=None if past else "No sessions yet.",
    )
