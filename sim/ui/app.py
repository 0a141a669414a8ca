"""The browser app: choose a colleague, rehearse with live feedback, review and export. `rehearse ui`.

Gradio and the engine are imported inside the functions: `rehearse --help` and the other
subcommands load this module for its arguments and should not pay for them.
"""

import argparse
import signal
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.config import Settings, get_settings

if TYPE_CHECKING:
    import gradio as gr

    from sim.personas import Persona
    from sim.ui import handlers as h

CONCURRENCY = 2
"""Turns processed at once. The embedded llama.cpp server answers one request at a time on 2 cores:
two turns in flight let one be scored while the other is voiced; more would only wait inside the
server and run into the model timeout."""
QUEUE_SIZE = 32
"""Events waiting at most. A turn takes 1-3 s, so 32 waiting is under a minute; past that a visitor is
told the app is busy instead of waiting past the model timeout."""
MAX_UPLOAD = "2mb"
"""Largest upload accepted (the review tab loads JSON exports; a long session's export is well under this)."""
STORAGE_KEY = "rehearse"
HEADER = (
    '<header class="rh-header"><h1>Rehearse</h1><p>Practise repairing a working relationship before the '
    "real conversation. Pick a colleague, talk it through, and see after each turn how it stands against "
    "ten repair principles.</p></header>"
)
LOADING = (
    '<p class="rh-banner" role="status">Loading the model and the scorer (the first launch takes a little '
    "while). You can choose a colleague meanwhile; your first turn waits until it is ready.</p>"
)


def parse_users(raw: str) -> list[tuple[str, str]]:
    """`alice:pw1,bob:pw2` as Gradio auth pairs; a malformed entry raises naming REHEARSE_USERS."""
    pairs = []
    for entry in filter(None, (e.strip() for e in raw.split(","))):
        name, sep, password = entry.partition(":")
        if not sep or not name or not password:
            raise ValueError(f"REHEARSE_USERS: entry {name or entry!r} must look like name:password")
        pairs.append((name, password))
    if not pairs:
        raise ValueError("REHEARSE_USERS is set but names no user (expected 'alice:pw1,bob:pw2')")
    return pairs


def build_app(
    rehearsal: "h.RehearsalLike",
    personas: Mapping[str, "Persona"],
    settings: Settings,
    browser_secret: str | None = None,
) -> "gr.Blocks":
    """The whole app, wired to `rehearsal` (the real one, a Warmup of it, or a fake in tests)."""
    import gradio as gr

    from sim.ui import handlers as h
    from sim.ui import pages
    from sim.ui.warmup import Warmup

    auth_on = settings.users is not None
    exports = Path(tempfile.mkdtemp(prefix="rehearse-exports-"))
    names = {pid: p.name for pid, p in personas.items()}

    def store_of(raw: Any, request: gr.Request | None) -> h.Store:
        username = request.username if (auth_on and request is not None) else None
        return h.load_store(raw, username)

    with gr.Blocks(title="Rehearse: repair a working relationship", analytics_enabled=False) as app:
        store = gr.BrowserState(None, storage_key=STORAGE_KEY, secret=browser_secret)
        gr.HTML(HEADER)
        loading = isinstance(rehearsal, Warmup) and rehearsal.state != "ready"
        banner = gr.HTML(LOADING, visible=loading)
        timer = gr.Timer(1.0, active=loading)
        with gr.Tabs(selected="choose") as tabs:
            with gr.Tab("Choose", id="choose"):
                chooser = pages.chooser(personas)
            with gr.Tab("Rehearse", id="rehearse"):
                rh = pages.rehearse_page()
            with gr.Tab("Review", id="review") as review_tab:
                rv = pages.review_page()
            with gr.Tab("Sessions", id="sessions") as sessions_tab:
                ss = pages.sessions_page()

        screen_out = [rh.heading, rh.chat, rh.panel, rh.msg, rh.error, rh.retry_send, rh.turn_pick]
        review_out = [rv.head, rv.report, rv.turns, rv.markdown, rv.json, rv.message]

        def status() -> tuple[Any, Any]:
            if not isinstance(rehearsal, Warmup) or rehearsal.state == "ready":
                return gr.HTML(visible=False), gr.Timer(active=False)
            if rehearsal.state == "failed":
                text = f"The model could not be started: {rehearsal.error}"
                return gr.HTML(f'<p class="rh-banner rh-failed" role="alert">{escape(text)}</p>'), gr.Timer(
                    active=False
                )
            return gr.HTML(LOADING, visible=True), gr.Timer(active=True)

        timer.tick(
            status,
            None,
            [banner, timer],
            show_progress="hidden",
            concurrency_limit=None,
            api_visibility="private",
        )

        start_buttons = list(chooser.buttons.values())

        def on_load(raw: Any, request: gr.Request) -> tuple[Any, ...]:
            st = store_of(raw, request)
            scr = h.open_current(rehearsal, st)
            tab = gr.Tabs(selected="rehearse" if scr.session_id else "choose")
            return (
                st.model_dump(),
                tab,
                *pages.screen_updates(scr),
                pages.session_choices(rehearsal, st, names),
                *[gr.Button(interactive=True) for _ in start_buttons],
            )

        app.load(
            on_load,
            [store],
            [store, tabs, *screen_out, ss.choices, *start_buttons],
            concurrency_limit=None,
            api_name="load",
        )

        def starter(persona_id: str) -> Callable[..., tuple[Any, ...]]:
            def on_start(raw: Any, difficulty: str, request: gr.Request) -> tuple[Any, ...]:
                st, scr = h.start(rehearsal, store_of(raw, request), persona_id, difficulty)
                return (st.model_dump(), gr.Tabs(selected="rehearse"), *pages.screen_updates(scr))

            return on_start

        for persona_id, button in chooser.buttons.items():
            button.click(
                starter(persona_id),
                [store, chooser.difficulty],
                [store, tabs, *screen_out],
                api_name="start_" + persona_id.replace("-", "_"),
            )

        def on_send(raw: Any, text: str, request: gr.Request) -> Iterator[tuple[Any, ...]]:
            for scr in h.send(rehearsal, store_of(raw, request), text):
                yield pages.screen_updates(scr)

        rh.msg.submit(on_send, [store, rh.msg], screen_out, show_progress="hidden", api_name="send")
        rh.retry_send.click(
            on_send, [store, rh.msg], screen_out, show_progress="hidden", api_visibility="private"
        )

        def on_retry(raw: Any, turn: int | None, request: gr.Request) -> tuple[Any, ...]:
            st, scr = h.retry_from(rehearsal, store_of(raw, request), turn)
            return (st.model_dump(), *pages.screen_updates(scr))

        rh.retry.click(on_retry, [store, rh.turn_pick], [store, *screen_out], api_name="retry_from")
        rh.show_feedback.change(
            lambda on: gr.Column(visible=on), rh.show_feedback, rh.panel_col, api_visibility="private"
        )

        def on_review(raw: Any, request: gr.Request) -> tuple[Any, ...]:
            return pages.review_updates(h.review(rehearsal, store_of(raw, request), exports))

        review_tab.select(on_review, [store], review_out, concurrency_limit=None, api_name="review")
        rh.end.click(lambda: gr.Tabs(selected="review"), None, tabs, api_visibility="private").then(
            on_review, [store], review_out, concurrency_limit=None, api_visibility="private"
        )

        def on_upload(path: str | None) -> tuple[Any, ...]:
            return pages.review_updates(h.load_export(path, exports))

        rv.upload.upload(on_upload, rv.upload, review_out, api_name="load_export")

        def on_sessions(raw: Any, request: gr.Request) -> Any:
            return pages.session_choices(rehearsal, store_of(raw, request), names)

        sessions_tab.select(on_sessions, [store], ss.choices, concurrency_limit=None, api_name="sessions")

        def on_open(raw: Any, session_id: str | None, request: gr.Request) -> tuple[Any, ...]:
            st, scr = h.open_session(rehearsal, store_of(raw, request), session_id)
            tab = gr.Tabs(selected="rehearse" if scr.session_id else "sessions")
            return (st.model_dump(), tab, *pages.screen_updates(scr))

        ss.open.click(
            on_open,
            [store, ss.choices],
            [store, tabs, *screen_out],
            concurrency_limit=None,
            api_name="open_session",
        )
    return app


def launch(app: "gr.Blocks", settings: Settings, *, block: bool = True, quiet: bool = False) -> str:
    """Queue and launch `app` on settings.host/port; returns the local URL.

    `_frontend=False` skips only Gradio's second reachability check (one HEAD request with a 3 s
    timeout, which fails on a busy machine and then demands a share link); `launch` has already
    fetched its own /startup-events over localhost before that check, so the server is known to answer.
    """
    from sim.ui.theme import CSS, THEME

    app.queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE_SIZE)
    auth = parse_users(settings.users.get_secret_value()) if settings.users is not None else None
    app.launch(
        server_name=settings.host,
        server_port=settings.port or None,
        share=settings.share,
        auth=auth,
        auth_message="Sign in to rehearse. Your sessions are kept under your name." if auth else None,
        prevent_thread_lock=True,
        quiet=True,
        theme=THEME,
        css=CSS,
        footer_links=[],
        max_file_size=MAX_UPLOAD,
        _frontend=False,
    )
    url = str(app.local_url)
    if not quiet:
        print(f"Rehearse is running at {url}  (Ctrl+C to stop)", flush=True)
    if block:
        app.block_thread()
    return url


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1, this machine only)")
    parser.add_argument("--port", type=int, help="port (default 7860)")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(args: argparse.Namespace) -> int:
    from sim.ui.warmup import Warmup
    from sim.ui.wiring import browser_secret, load_all, open_rehearsal

    overrides = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    settings = get_settings().model_copy(update=overrides)
    personas = load_all(settings.personas_dir)
    print("Rehearse: loading the model and the scorer (the first launch takes a little while)...", flush=True)
    signal.signal(signal.SIGTERM, _interrupt)
    with ExitStack() as stack:
        warm = Warmup(lambda: open_rehearsal(stack, settings, personas))
        app = build_app(warm, personas, settings, browser_secret(settings))
        launch(app, settings, block=False)
        state = warm.wait()
        if state == "ready":
            print(f"Model ready in {warm.seconds:.0f} s.", flush=True)
        else:
            print(f"The model could not be started: {warm.error}", flush=True)
        app.block_thread()
        app.close()
    return 0
