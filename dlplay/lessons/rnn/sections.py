"""The Recurrent Neural Networks page's sections (chapter 6): stepper, gradients, race, gates, characters, sentences."""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import streamlit as st

from dlplay.data.sequences import SENTIMENTS
from dlplay.data.text_corpus import load_corpus
from dlplay.lessons.rnn import bptt, char_model, race, sentiment, stepper
from dlplay.lessons.rnn.figures import (
    LEGEND,
    clipping_figure,
    gates_figure,
    gradient_length_figure,
    gradient_profile_figure,
    hidden_heatmap,
    position_accuracy_figure,
    race_accuracy_figure,
    series_figure,
    step_terms_figure,
)
from dlplay.lessons.rnn.gates import gate_panels, input_labels
from dlplay.lessons.rnn.text_figures import char_activation_figure, prefix_figure
from dlplay.training.history import History
from dlplay.ui.charts import plot
from dlplay.ui.code_panel import show_code
from dlplay.ui.training_panel import is_playing, panel_run
from dlplay.viz.spec import merge
from dlplay.viz.training import accuracy_figure, loss_figure

SLOW_EVERY = 1.5  # seconds between redraws of the heavier live figures while playing
SAMPLE_EVERY = 3.0  # seconds between new samples of the character model while playing
MAX_POINTS = 250  # points per live curve
RACE_KEY, CHAR_KEY, SENT_KEY = "rnn_race", "rnn_char", "rnn_sent"  # training-panel keys: the runs live at f"{key}__run"


def session_run(key: str):
    """The run a training panel of this page keeps in the session, or None before it exists."""
    return panel_run(key)


def throttled(name: str, run, build, every: float = SLOW_EVERY, playing_key: str = RACE_KEY):
    """build()'s result, rebuilt at most every `every` seconds while the run plays (an unchanged figure costs nothing)."""
    cache = st.session_state.get(f"rnn_slow_{name}")
    now = time.monotonic()
    if cache is None or cache[1] is not run or (cache[2] != run.steps and (not is_playing(playing_key) or now - cache[0] > every)):
        cache = (now, run, run.steps, build())
        st.session_state[f"rnn_slow_{name}"] = cache
    return cache[3]


def chart(where, spec: dict, key: str) -> None:
    """Draw a figure spec, with a note in place of the curves before there are any (plotly refuses a figure without data)."""
    for trace in spec["data"]:
        if trace.get("mode") == "lines" and len(trace.get("x", ())) < 3:
            trace["mode"] = "lines+markers"  # a curve of one evaluation would otherwise be invisible
    if not spec["data"]:
        spec["data"] = [dict(type="scatter", x=[], y=[], showlegend=False)]
        spec["layout"]["annotations"] = [*spec["layout"].get("annotations", []), dict(
            text="Press ▶ Play or ⏭ Step to train", showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5,
            font=dict(size=16, color="gray"))]
    plot(spec, key=key, container=where)


def below(spec: dict) -> dict:
    """A shared curve figure with its legend under the plot, where a long legend cannot cover the title."""
    return merge(spec, legend=LEGEND, height=spec["layout"].get("height", 360) + 60,
                 margin={**spec["layout"].get("margin", {}), "b": 110})


def _curves(runs: dict) -> dict[str, History]:
    """Histories without the per-step batch loss, so three noisy races don't bury the curves."""
    return {name: dataclasses.replace(run.history, step_loss=[]) for name, run in runs.items()}


# ----- 1 · the stepper ---------------------------------------------------------------------------------------------------
@st.cache_data(max_entries=32, show_spinner="Training the small RNN…")
def _unrolling(setup: stepper.StepperSetup) -> stepper.Unrolling:
    return stepper.unroll_sequence(stepper.build_stepper_model(setup), setup)


def _move_step(delta: int, last: int) -> None:
    st.session_state["rnn_step_t"] = int(min(max(st.session_state.get("rnn_step_t", 1) + delta, 1), last))


@st.fragment
def stepper_section(seed: int) -> None:
    """A small SimpleRNN(1, H, 1) unrolled over a series, one step per click."""
    c = st.columns(4)
    kind = c[0].selectbox("Series", ("sine", "sum of sines"), key="rnn_step_kind", bind="query-params")
    seq_len = c[1].slider("Steps T", 2, stepper.MAX_STEPS, 20, key="rnn_step_len", bind="query-params")
    hidden = c[2].slider("Hidden units", 1, 12, 6, key="rnn_step_hidden", bind="query-params")
    weights = c[3].radio("Weights", ("trained", "random"), horizontal=True, key="rnn_step_weights", bind="query-params",
                         help=f"'trained': {stepper.TRAIN_STEPS} Adam steps of next-value prediction first.")
    setup = stepper.StepperSetup(kind, seq_len, hidden, weights == "trained", seed)
    u = _unrolling(setup)
    c = st.columns([1, 1, 6], vertical_alignment="bottom")
    c[0].button("◀ Back", key="rnn_step_back", on_click=_move_step, args=(-1, u.steps), width="stretch")
    c[1].button("Next ▶", key="rnn_step_next", on_click=_move_step, args=(1, u.steps), width="stretch", type="primary")
    if st.session_state.get("rnn_step_t", 1) > u.steps:
        st.session_state["rnn_step_t"] = u.steps  # a shorter sequence: stay on its last step
    start = {} if "rnn_step_t" in st.session_state else {"value": min(10, u.steps)}  # mid-sequence: a few columns shown
    t = c[2].slider("Step t", 1, u.steps, key="rnn_step_t", bind="query-params", **start) - 1
    left, right = st.columns(2)
    chart(left, series_figure(u, t), "rnn_fig_series")
    chart(right, step_terms_figure(u, t), "rnn_fig_terms")
    chart(st, hidden_heatmap(u, t), "rnn_fig_hidden")
    gap = float(np.abs(u.h - u.reference).max())
    st.caption(f"Every column is computed by the loop below, one step at a time; `nn.RNN` run on the same weights gives "
               f"the same hidden states (largest difference here: {gap:.1e}).")
    show_code(stepper.stepper_code(setup))


# ----- 2 · gradients through time ---------------------------------------------------------------------------------------
@st.cache_data(max_entries=32, show_spinner="Backpropagating through time…")
def _profiles(setup: bptt.BPTTSetup) -> tuple[dict, dict]:
    return bptt.gradient_profiles(setup), bptt.gradient_vs_length(setup)


@st.cache_data(max_entries=32, show_spinner="Training with and without clipping…")
def _clipping(cell: str, setup: bptt.BPTTSetup, lr: float, max_norm: float) -> dict:
    return bptt.clipping_runs(cell, setup, lr=lr, max_norm=max_norm)


def _race_profiles() -> tuple[dict, str] | None:
    """The race's current models' ‖∂L/∂hₜ‖ on a validation batch, or None before the race exists."""
    group = session_run(RACE_KEY)
    if group is None:
        return None
    first = next(iter(group.runs.values()))
    task = _race_task(group)
    with group.locked():
        profiles = {name: bptt.hidden_gradients(run.model, run.X_val[: bptt.BATCH], run.y_val[: bptt.BATCH],
                                                race.task_loss(task)) for name, run in group.runs.items()}
    return profiles, f"the race's models at step {group.steps:,} ({task}, T = {first.X_val.shape[1]})"


@st.fragment
def gradients_section(seed: int) -> None:
    """‖∂L/∂hₜ‖ per step for fresh or trained cells, against length, and gradient clipping."""
    source = st.radio("Models", ("fresh (untrained)", "the race's models (section 3), as trained so far"), horizontal=True,
                      key="rnn_grad_source", bind="query-params")
    c = st.columns(3)
    seq_len = c[0].slider("Sequence length T", 2, 100, 50, key="rnn_grad_len", bind="query-params")
    scale = c[1].select_slider("Recurrent weight scale", [0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0], 1.0, key="rnn_grad_scale",
                               bind="query-params", help="Wₕₕ of the fresh models multiplied by this after PyTorch's init.")
    hidden = c[2].select_slider("Hidden units", [8, 16, 32, 64], 32, key="rnn_grad_hidden", bind="query-params")
    setup = bptt.BPTTSetup(seq_len, hidden, scale, seed)
    if seq_len <= 3:
        st.info(f"With T = {seq_len} the gradient goes back only {seq_len - 1} step(s): nothing has had time to vanish "
                "yet. Lengthen the sequence to see the slope.", icon="📏")
    profiles, by_length = _profiles(setup)
    if source.startswith("the race"):
        found = _race_profiles()
        if found is None:
            st.info("The race has not been built yet: it appears in section 3 below. Showing fresh models.", icon="👇")
        else:
            profiles, label = found
            st.button("↻ Refresh from the race", key="rnn_grad_refresh")
            st.caption(f"Gradients of {label}; sliders for length and scale apply to the fresh models only.")
    left, right = st.columns(2)
    chart(left, gradient_profile_figure(profiles, "‖∂L/∂hₜ‖ at every step"), "rnn_fig_grad")
    chart(right, gradient_length_figure(bptt.LENGTHS, by_length), "rnn_fig_grad_len")
    st.subheader("Gradient clipping")
    st.markdown("When ‖Wₕₕ‖ is large the opposite happens: the gradient **explodes**, one SGD step throws the weights far "
                "away and the loss turns to `inf`. `clip_grad_norm_(params, max_norm)` rescales the whole gradient to "
                "length `max_norm` whenever it is longer — same direction, bounded step.")
    c = st.columns(3)
    cell = c[0].selectbox("Cell", ("RNN", "LSTM", "GRU"), key="rnn_clip_cell", bind="query-params")
    lr = c[1].select_slider("SGD learning rate", [0.01, 0.03, 0.1, 0.3, 0.5, 1.0], 0.3, key="rnn_clip_lr", bind="query-params")
    max_norm = c[2].select_slider("max_norm", [0.1, 0.25, 0.5, 1.0, 2.0, 5.0], 1.0, key="rnn_clip_norm", bind="query-params")
    traces = _clipping(cell, setup, lr, max_norm)
    chart(st, clipping_figure(traces, max_norm), "rnn_fig_clip")
    lines = []
    for name, trace in traces.items():
        end = (f"diverged at step {trace.diverged_at + 1}" if trace.diverged_at is not None
               else f"final loss {np.mean(trace.loss[-10:]):.3f}")
        lines.append(f"**{name}**: {end}, largest gradient norm {np.nanmax(trace.grad_norm):.3g}")
    st.caption(" · ".join(lines) + f" — T = {seq_len}, recurrent scale {scale:g}, the adding problem's MSE.")


# ----- 3 · the race ----------------------------------------------------------------------------------------------------
def race_controls(seed: int) -> race.RaceSetup:
    """Task, length, size, learning rate and clipping of the race."""
    d = race.RaceSetup()
    c = st.columns(5)
    task = c[0].selectbox("Task", race.TASKS, key="rnn_race_task", bind="query-params",
                          help="Adding: sum the two marked values. Copy memory: repeat 3 symbols after a delay.")
    seq_len = c[1].slider("Sequence length T", race.MIN_LEN, race.MAX_LEN, d.seq_len, key="rnn_race_len", bind="query-params",
                          help="How far back the first piece of information lies.")
    hidden = c[2].select_slider("Hidden units", [8, 16, 32, 64], d.hidden_size, key="rnn_race_hidden", bind="query-params")
    lr = c[3].select_slider("Learning rate (live)", [1e-3, 3e-3, 1e-2, 3e-2], d.lr, key="rnn_race_lr",
                            bind="query-params")
    clip = c[4].select_slider("Clip max_norm (0 = off)", [0.0, 0.5, 1.0, 5.0], d.clip, key="rnn_race_clip", bind="query-params")
    setup = race.bounded(race.RaceSetup(task=task, seq_len=seq_len, hidden_size=hidden, lr=lr, clip=clip, seed=seed))
    note = race.length_note(setup)
    if note:
        st.info(note, icon="📏")
    return setup


def render_race(group) -> None:
    """Loss and accuracy curves live; accuracy per position redrawn every SLOW_EVERY seconds."""
    task = _race_task(group)
    chance = race.chance_level(task)
    left, mid, right = st.columns(3)
    loss = loss_figure(_curves(group.runs), title="Loss · train solid, validation dashed", log_y=True, max_points=MAX_POINTS)
    chart(left, below(loss), "rnn_fig_race_loss")
    chart(mid, race_accuracy_figure(race.accuracy_curves(group), chance), "rnn_fig_race_acc")
    positions = throttled("positions", group, lambda: position_accuracy_figure(*race.position_accuracy(group, task), chance))
    chart(right, positions, "rnn_fig_race_pos")


# ----- 4 · gates --------------------------------------------------------------------------------------------------------
def _race_task(group) -> str:
    return "Copy memory" if next(iter(group.runs.values())).y_val.dim() == 2 else "Adding problem"


@st.fragment(key="rnn_gates")
def gates_section() -> None:
    """The race's LSTM or GRU gates over one validation sequence, from the hand-written cell on the model's weights."""
    group = session_run(RACE_KEY)  # read here, not passed in: Reset replaces the group, then re-runs this fragment
    task = _race_task(group)
    c = st.columns([1, 3, 1], vertical_alignment="bottom")
    cell = c[0].radio("Cell", ("LSTM", "GRU"), horizontal=True, key="rnn_gate_cell", bind="query-params")
    run = group.runs[cell]
    index = c[1].slider("Validation sequence", 0, len(run.X_val) - 1, 0, key="rnn_gate_seq", bind="query-params")
    c[2].button("↻ Refresh", key="rnn_gate_refresh", help="Recompute with the weights the race has now.", width="stretch")
    x = run.X_val[index]  # (T, I)
    with group.locked():
        panels = gate_panels(run.model, x)
        y_hat = run.predict(x[None])[0]
    labels = input_labels(task, x)
    chart(st, gates_figure(panels, labels, f"The race's {cell} at step {run.steps:,} on sequence {index}"), "rnn_fig_gates")
    target = run.y_val[index].cpu()
    if task == "Adding problem":
        said = f"answers {float(y_hat.reshape(-1)[0]):.3f} for the true sum {float(target):.3f}"
    else:
        guess = "".join("ABCD"[int(i)] for i in y_hat[-race.N_SYMBOLS:].argmax(dim=1))
        said = f"recalls **{guess}** for **{''.join('ABCD'[int(i)] for i in target)}**"
    st.caption(f"Inputs along the bottom ({'★ marks the values to add' if task == 'Adding problem' else '▶ = recall now'}). "
               f"The {cell} {said}.")


# ----- 5 · the character model -------------------------------------------------------------------------------------------
def char_controls(seed: int) -> tuple[char_model.CharSetup, char_model.TextCheck]:
    """Text source and model settings; the pasted text is checked, with a message for anything odd."""
    d = char_model.CharSetup()
    source = st.radio("Text", ("the embedded corpus", "your own text"), horizontal=True, key="rnn_char_source",
                      bind="query-params")
    pasted = None
    if source == "your own text":
        pasted = st.text_area("Paste some text (at least 1,000 characters)", key="rnn_char_text", height=160,
                              placeholder="Paste a few paragraphs of anything: a story, code, song lyrics…")
    else:
        with st.expander(f"The corpus: {len(load_corpus()):,} characters of short essays written for dlplay"):
            st.text(load_corpus()[:1500] + " …")
    check = char_model.check_text(pasted)
    for level, message in check.messages:
        {"error": st.error, "warning": st.warning}.get(level, st.info)(message)
    c = st.columns(6)
    cell = c[0].selectbox("Cell", ("LSTM", "GRU", "RNN"), key="rnn_char_cell", bind="query-params")
    hidden = c[1].select_slider("Hidden units", [32, 64, 128, 256], d.hidden_size, key="rnn_char_hidden", bind="query-params")
    layers = c[2].select_slider("Layers", [1, 2], d.num_layers, key="rnn_char_layers", bind="query-params")
    seq_len = c[3].select_slider("Window (characters)", [16, 32, 64, 128], d.seq_len, key="rnn_char_seq", bind="query-params",
                                 help="Backpropagation runs through this many characters.")
    lr = c[4].select_slider("Learning rate (live)", [3e-4, 1e-3, 3e-3, 1e-2, 3e-2], d.lr, key="rnn_char_lr", bind="query-params")
    clip = c[5].select_slider("Clip max_norm", [0.0, 0.5, 1.0, 5.0], d.clip, key="rnn_char_clip", bind="query-params")
    return char_model.CharSetup(cell=cell, hidden_size=hidden, num_layers=layers, seq_len=seq_len, lr=lr, clip=clip,
                                seed=seed), check


def _temperature() -> float:
    return float(st.session_state.get("rnn_char_temp", 0.8))


def render_char(run) -> None:
    """The loss live; a fresh sample every few seconds at the chosen temperature."""
    left, right = st.columns([1, 1])
    chart(left, loss_figure({"": run.history}, title="Next-character loss (cross-entropy, nats)", max_points=MAX_POINTS),
          "rnn_fig_char_loss")
    text = throttled("char_sample", run, lambda: char_model.sample_from(run, "The ", 200, _temperature(), seed=run.steps),
                     every=SAMPLE_EVERY, playing_key=CHAR_KEY)
    right.markdown(f"**A sample at step {run.steps:,}** (temperature {_temperature():g})")
    right.code(text, language=None, wrap_lines=True)


@st.fragment(key="rnn_char_view")
def char_sampling_section() -> None:
    """Sample on demand, and see one hidden unit's activation over a held-out passage."""
    run = session_run(CHAR_KEY)
    if run is None:
        return
    c = st.columns([2, 3, 2, 1], vertical_alignment="bottom")
    temperature = c[0].slider("Temperature", 0.0, 2.0, 0.8, step=0.1, key="rnn_char_temp", bind="query-params",
                              help="Divides the logits before the softmax: low = safe and repetitive, high = adventurous.")
    prompt = c[1].text_input("Start with", "The ", key="rnn_char_prompt", max_chars=200)
    length = c[2].select_slider("Characters", [50, 100, 200, 400], 200, key="rnn_char_len", bind="query-params")
    c[3].button("🎲 Sample", key="rnn_char_sample", width="stretch")
    if temperature == 0:
        st.info("Temperature 0 means no sampling at all: every step takes the single likeliest character (greedy), "
                "so the text soon repeats itself.")
    unknown = run.vocab.unknown(prompt)
    if unknown:
        st.warning(f"The model never saw {', '.join(repr(ch) for ch in sorted(unknown))}: read as "
                   f"{run.vocab.fallback!r} instead.")
    seed = st.session_state.get("rnn_char_draws", 0) + 1
    st.session_state["rnn_char_draws"] = seed
    st.code(char_model.sample_from(run, prompt, length, temperature, seed=seed), language=None, wrap_lines=True)
    passage = char_model.held_out_passage(run)
    with run.locked():
        activations = char_model.unit_activations(run.model, run.vocab, passage)  # (T, H)
    unit = st.slider("Hidden unit", 0, activations.shape[1] - 1, 0, key="rnn_char_unit", bind="query-params")
    chart(st, char_activation_figure(passage, activations[:, unit], unit), "rnn_fig_char_unit")
    lively = np.argsort(-activations.std(axis=0))[:5]
    st.caption(f"Computed with the weights of step {run.steps:,}. The units that vary most over this passage: "
               f"{', '.join(map(str, lively))} — try them; some track spaces, word starts or the line's progress.")


# ----- 6 · sentence classification --------------------------------------------------------------------------------------
@st.cache_data(max_entries=8, show_spinner=False)
def _bag_of_words(setup: sentiment.SentimentSetup) -> float:
    return sentiment.bag_of_words_accuracy(setup)


def sentiment_controls(seed: int) -> sentiment.SentimentSetup:
    d = sentiment.SentimentSetup()
    c = st.columns(4)
    cell = c[0].selectbox("Cell", ("LSTM", "GRU"), key="rnn_sent_cell", bind="query-params")
    embed = c[1].select_slider("embed_dim", [8, 16, 32, 64], d.embed_dim, key="rnn_sent_embed", bind="query-params")
    hidden = c[2].select_slider("hidden_dim", [8, 16, 32, 64], d.hidden_dim, key="rnn_sent_hidden", bind="query-params")
    lr = c[3].select_slider("Learning rate (live)", [3e-4, 1e-3, 3e-3, 1e-2], d.lr, key="rnn_sent_lr", bind="query-params")
    return sentiment.SentimentSetup(embed_dim=embed, hidden_dim=hidden, cell=cell, lr=lr, seed=seed)


def render_sentiment(run) -> None:
    left, right = st.columns(2)
    chart(left, loss_figure({"": run.history}, max_points=MAX_POINTS), "rnn_fig_sent_loss")
    chart(right, accuracy_figure({"": run.history}, max_points=MAX_POINTS), "rnn_fig_sent_acc")


@st.fragment(key="rnn_sent_view")
def sentence_section(setup: sentiment.SentimentSetup) -> None:
    """Type a sentence, see the prediction and how it turns word by word."""
    run = session_run(SENT_KEY)
    if run is None:
        return
    sentence = st.text_input("Type a review", "the soup was not good but the bread was lovely", key="rnn_sent_text",
                             max_chars=300, bind="query-params")
    try:
        reading = sentiment.read_sentence(run, sentence)
    except ValueError as error:
        st.warning(f"Nothing to classify: {error}.", icon="✍️")
        return
    if reading.unknown:
        st.warning(f"Words the model never saw, read as <unk>: {', '.join(reading.unknown)}. It knows words like "
                   "*good, bad, not, but, and, the soup, the film, i liked …*", icon="📖")
    if reading.truncated:
        st.info(f"Only the first {sentiment.MAX_WORDS} words are read.")
    label = SENTIMENTS[int(reading.probs.argmax())]
    st.markdown(f"### {'🙂' if label == 'positive' else '🙁'} {label} · P(positive) = {reading.probs[1]:.1%}")
    chart(st, prefix_figure(reading.words, reading.prefix_positive), "rnn_fig_sent_prefix")
    st.caption(f"At step {run.steps:,}. A bag-of-words model (logistic regression on word counts) reaches "
               f"{_bag_of_words(setup):.0%} on the same validation sentences: it cannot tell *not good but lovely* "
               "from *good but not lovely*.")
    mistakes = sentiment.validation_mistakes(run)
    if mistakes:
        with st.expander(f"Validation sentences it still gets wrong ({len(mistakes)} shown)"):
            for text, truth, p in mistakes:
                st.markdown(f"- *{text}* — truly {truth}, P(positive) = {p:.2f}")

