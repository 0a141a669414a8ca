"""The app's look: a Gradio theme and the CSS for the HTML the renderers produce (contrast >= 4.5:1)."""

import gradio as gr

SYSTEM_FONTS = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"]
MONO_FONTS = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]

THEME = gr.themes.Soft(
    primary_hue="teal", secondary_hue="slate", neutral_hue="slate", font=SYSTEM_FONTS, font_mono=MONO_FONTS
).set(
    body_text_color_subdued="*neutral_600",
    body_text_color_subdued_dark="*neutral_300",
    button_primary_background_fill="*primary_700",
    button_primary_background_fill_hover="*primary_800",
    button_primary_text_color="white",
    button_primary_background_fill_dark="*primary_600",
    button_primary_background_fill_hover_dark="*primary_700",
)
"""System fonts only: the app runs offline, so no web font is fetched."""

CSS = """
/* Gradio keeps top-level rules as written but scopes rules inside @media to the app's content, so
   rules for its outer frame (.main, the tab bar) are top-level and scale with clamp(). */
.gradio-container { max-width: 1180px !important; margin: 0 auto; }
.gradio-container .main { padding-left: clamp(8px, 2.5vw, 32px) !important;
  padding-right: clamp(8px, 2.5vw, 32px) !important; }
.gradio-container button[role="tab"] { padding-left: clamp(8px, 2.5vw, 16px) !important;
  padding-right: clamp(8px, 2.5vw, 16px) !important; }
.rh-sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);
  white-space: nowrap; }
.rh-header h1 { font-size: 1.6rem; margin: 0.2rem 0 0; }
.rh-header p { margin: 0.2rem 0 0.4rem; color: var(--body-text-color-subdued); }
.rh-banner { padding: 0.6rem 0.9rem; border-radius: 8px; background: #fff4d6; color: #4a3500;
  border: 1px solid #e0b84a; }
.rh-banner.rh-failed { background: #fde2e1; color: #6b0d0a; border-color: #d9534f; }
.rh-error { padding: 0.6rem 0.9rem; border-radius: 8px; background: #fde2e1; color: #6b0d0a;
  border: 1px solid #d9534f; }
.rh-cards { display: grid !important; grid-template-columns: repeat(auto-fill, minmax(270px, 1fr));
  gap: 12px; }
.rh-card-col { border: 1px solid var(--border-color-primary); border-radius: 10px; padding: 0.8rem 0.9rem;
  background: var(--background-fill-primary); justify-content: space-between; gap: 0.6rem !important; }
#chat button[aria-label="Clear"] { display: none; }
.rh-bottom { align-items: flex-end !important; }
.rh-spark-box { margin: 0; }
.rh-spark-box figcaption { font-size: 0.85rem; color: var(--body-text-color-subdued); }
.rh-card h3 { margin: 0; font-size: 1.15rem; }
.rh-card-head { display: flex; justify-content: space-between; align-items: center; gap: 0.5rem; }
.rh-role { margin: 0.2rem 0; color: var(--body-text-color-subdued); font-size: 0.92rem; }
.rh-summary { margin: 0.4rem 0 0; }
.rh-badge { font-size: 0.8rem; font-weight: 600; padding: 0.1rem 0.55rem; border-radius: 999px;
  text-transform: capitalize; }
.rh-easy { background: #d8f3e3; color: #0b4d2a; }
.rh-normal { background: #fff0c2; color: #5a4100; }
.rh-hard { background: #fde2e1; color: #7a1410; }
.rh-title { font-weight: 600; font-size: 1.05rem; margin: 0.2rem 0; }
.rh-panel { display: flex; flex-direction: column; gap: 0.6rem; }
.rh-phases { display: flex; flex-wrap: wrap; gap: 0.3rem; list-style: none; padding: 0; margin: 0; }
.rh-phase { padding: 0.2rem 0.6rem; border-radius: 999px; font-size: 0.88rem;
  border: 1px solid var(--border-color-primary); color: var(--body-text-color); }
.rh-phase.rh-done { background: #d8f3e3; color: #0b4d2a; border-color: #6cc191; }
.rh-phase.rh-done::before { content: "✓ "; }
.rh-phase.rh-current { background: #0f766e; color: #ffffff; border-color: #0f766e; font-weight: 700; }
.rh-phase.rh-skipped { background: #eceff3; color: #3d4550; border-style: dashed;
  text-decoration: line-through; }
.rh-meters { display: flex; flex-direction: column; gap: 0.25rem; }
.rh-meter { display: grid; grid-template-columns: 4.5rem 1fr 2.2rem; align-items: center; gap: 0.5rem;
  font-size: 0.9rem; }
.rh-meter-bar { height: 0.6rem; border-radius: 999px; background: #dfe4ea; overflow: hidden; }
.rh-meter-bar span { display: block; height: 100%; border-radius: 999px; transition: width 0.4s; }
.rh-trust .rh-meter-bar span { background: #0f766e; }
.rh-tension .rh-meter-bar span { background: #c2410c; }
.rh-meter-value { text-align: right; font-variant-numeric: tabular-nums; }
.rh-spark { width: 100%; max-width: 320px; height: 64px; }
.rh-spark polyline { fill: none; stroke: #0f766e; stroke-width: 2.5; }
.rh-spark circle { fill: #0f766e; }
.rh-spark .rh-mid { stroke: #9aa5b1; stroke-dasharray: 3 3; stroke-width: 1; }
.rh-h { font-size: 1rem; margin: 0.3rem 0 0; }
.rh-chips { display: flex; flex-wrap: wrap; gap: 0.3rem; list-style: none; padding: 0; margin: 0; }
.rh-chip { padding: 0.15rem 0.6rem; border-radius: 999px; font-size: 0.86rem; font-weight: 600; }
.rh-chip.rh-good { background: #d8f3e3; color: #0b4d2a; }
.rh-chip.rh-bad { background: #fde2e1; color: #7a1410; }
.rh-quote { margin: 0; padding: 0.5rem 0.7rem; border-left: 3px solid var(--border-color-primary);
  background: var(--background-fill-secondary); border-radius: 4px; overflow-wrap: anywhere; }
mark.rh-good { background: #c3ecd4; color: #0b3d22; border-radius: 3px; padding: 0 2px; }
mark.rh-bad { background: #f9cfcc; color: #6b0d0a; border-radius: 3px; padding: 0 2px; }
.rh-notes { margin: 0; padding-left: 1.2rem; font-size: 0.93rem; }
.rh-tip { padding: 0.5rem 0.7rem; border-radius: 6px; background: #e3f1f8; color: #0b3a52; }
.rh-better { padding: 0.5rem 0.7rem; border-radius: 6px; background: #eef7ee; color: #163d18; }
.rh-better-label { font-weight: 600; font-size: 0.88rem; }
.rh-better blockquote { margin: 0.3rem 0 0; font-style: italic; overflow-wrap: anywhere; }
.rh-muted { color: var(--body-text-color-subdued); margin: 0; }
.rh-warn { color: #7a1410; margin: 0; }
.rh-outcome { margin: 0; padding: 0.5rem 0.7rem; border-radius: 6px; font-weight: 600; }
.rh-outcome.rh-repaired { background: #d8f3e3; color: #0b4d2a; }
.rh-outcome.rh-stalled { background: #fff0c2; color: #5a4100; }
.rh-outcome.rh-walked_out { background: #fde2e1; color: #7a1410; }
.rh-review, .rh-report { color: var(--body-text-color); }
.rh-review table { border-collapse: collapse; width: 100%; font-size: 0.92rem; }
.rh-review th, .rh-review td { border-bottom: 1px solid var(--border-color-primary); padding: 0.3rem 0.4rem;
  text-align: left; vertical-align: top; }
.rh-turn { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 0.6rem 0.8rem;
  margin: 0.6rem 0; }
.rh-turn .rh-said { margin: 0.3rem 0; overflow-wrap: anywhere; }
.rh-turn .rh-meta { color: var(--body-text-color-subdued); font-size: 0.88rem; margin: 0.2rem 0; }
:focus-visible { outline: 3px solid #0f766e !important; outline-offset: 2px; }
@media (max-width: 640px) {
  .rh-header h1 { font-size: 1.3rem; }
}
.dark .rh-card, .dark .rh-turn { background: var(--background-fill-secondary); }
"""
