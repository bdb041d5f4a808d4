"""The Attention and Transformers page's sections (chapter 9): stepped attention, heads, position, the lab, a tiny LM."""

from __future__ import annotations

import streamlit as st
import torch

from dlplay.lessons.attention import figures, lab
from dlplay.lessons.attention import language_model as lm
from dlplay.lessons.attention.live import example, lab_view
from dlplay.lessons.attention.multihead import attention_mask, demo_multihead, head_view
from dlplay.lessons.attention.position import permutation_check, position_similarity, shuffle_order
from dlplay.lessons.attention.snippets import heads_code, lab_code, lm_code, position_code, stepped_code
from dlplay.lessons.attention.stepper import STEPS, demo_self_attention, step_attention
from dlplay.lessons.attention.tasks import MAX_LENGTH, TASKS, parse_digits
from dlplay.lessons.attention.tokens import TOKENIZERS, token_embeddings, tokenize, unique_labels
from dlplay.models.attention import POSITIONAL, causal_mask, sinusoidal_encoding
from dlplay.ui.charts import plot
from dlplay.ui.code_panel import show_code
from dlplay.ui.training_panel import is_playing, training_panel
from dlplay.ui.widgets import initial

DEFAULT_SENTENCE = "the cat sat on the mat because it was tired"
TEMPERATURES = [0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 1.0, 1.5, 2.0, 3.0, 5.0]
LRS = [1e-4, 3e-4, 1e-3, 2e-3, 3e-3, 5e-3, 1e-2, 3e-2]
PAD = "<pad>"


def offered(key: str, options: list, default):
    """Reset a widget whose stored value is no longer among its options; return the index to pass it."""
    if key in st.session_state and st.session_state[key] not in options:
        del st.session_state[key]
    return options.index(default) if default in options else 0


def sentence_controls() -> list[str] | None:
    """The sentence sections 1–3 look at, as tokens; None (with a message) when there is nothing to show."""
    c = st.columns([5, 2, 2], vertical_alignment="bottom")
    text = c[0].text_input("Sentence", key="att_text", bind="query-params", max_chars=200,
                           **initial("att_text", DEFAULT_SENTENCE))
    mode = c[1].radio("Tokens", TOKENIZERS, key="att_tokenizer", bind="query-params", horizontal=True)
    cap = c[2].slider("Token cap", 2, 16, 10, key="att_cap", bind="query-params", help="At most this many tokens are shown.")
    try:
        tokens = tokenize(text, mode, cap)
    except ValueError as error:
        st.warning(str(error), icon="✍️")
        return None
    if tokens.dropped:
        st.warning(f"{tokens.dropped} token(s) past the cap of {cap} were left out; raise the cap (up to 16) or shorten "
                   f"the sentence. Shown: {' '.join(tokens.tokens)}", icon="✂️")
    return tokens.tokens


# ---------------------------------------------------------------- 1 · self-attention, stepped
@st.fragment
def stepped_section(tokens: list[str] | None, seed: int, notes: dict[str, str]) -> None:
    """Embeddings → Q, K, V → scores → scaling → mask → softmax → output, a seeded SelfAttention; a note per step."""
    if not tokens:
        st.info("Type a sentence above to see its attention.")
        return
    c = st.columns([2, 1, 1, 2, 1], vertical_alignment="bottom")
    dim = c[0].select_slider("Embedding width d", [4, 6, 8, 12, 16], key="att_s_dim", bind="query-params",
                             **initial("att_s_dim", 8))
    scale = c[1].toggle("Scale by √d", True, key="att_s_scale", bind="query-params")
    causal = c[2].toggle("Causal mask", False, key="att_s_causal", bind="query-params")
    temperature = c[3].select_slider("Softmax temperature", TEMPERATURES, key="att_s_temp", bind="query-params",
                                     **initial("att_s_temp", 1.0))
    if c[4].button("🎲 New weights", key="att_s_new", width="stretch", help="Draw W_q, W_k, W_v again."):
        st.session_state["att_s_draw"] = st.session_state.get("att_s_draw", 0) + 1
    upto = st.select_slider("Show the steps up to", STEPS, key="att_s_step", bind="query-params",
                            **initial("att_s_step", STEPS[-1]))
    shown = STEPS.index(upto)
    X = token_embeddings(tokens, dim, seed)  # (T, d)
    module = demo_self_attention(dim, seed + st.session_state.get("att_s_draw", 0))
    s = step_attention(X, module, scale=scale, causal=causal, temperature=temperature)
    labels, dims = unique_labels(tokens), [f"d{i}" for i in range(dim)]
    st.markdown(f"**Step {shown + 1} · {upto}.** {notes[upto]}")

    def draw(column, M, title: str, key: str, rows=labels, cols=dims, weights: bool = False) -> None:
        spec = figures.matrix_figure(M.numpy(), rows, cols, title, weights=weights, height=300, colorbar=False, text=False)
        plot(spec, key=key, container=column)

    row = st.columns(4)
    draw(row[0], s.X, "X · embeddings", "att_fig_s_x")
    if shown >= 1:
        for column, M, name in zip(row[1:], (s.Q, s.K, s.V), "QKV"):
            draw(column, M, f"{name} = X W_{name.lower()}ᵀ + b", f"att_fig_s_{name.lower()}")
    if shown >= 2:
        row = st.columns(4)
        draw(row[0], s.scores, "Scores Q Kᵀ", "att_fig_s_scores", cols=labels)
        if shown >= 3:
            title = f"÷ √d = {s.divisor:.2f}" if scale else "not scaled (÷ 1)"
            draw(row[1], s.scaled, title, "att_fig_s_scaled", cols=labels)
        if shown >= 4:
            draw(row[2], s.masked, "causal mask" if causal else "no mask", "att_fig_s_masked", cols=labels)
        if shown >= 5:
            draw(row[3], s.weights, f"softmax, temperature {temperature:g}", "att_fig_s_weights", cols=labels, weights=True)
    if shown >= 6:
        left, right = st.columns([1, 3])
        draw(left, s.output, "Output = A V", "att_fig_s_output")
        other = step_attention(X, module, scale=not scale, causal=causal, temperature=temperature)
        peak, other_peak = float(s.peak().mean()), float(other.peak().mean())
        with right:
            m = st.columns(2)
            versus = f"{peak - other_peak:+.2f} vs scaling {'off' if scale else 'on'}"
            m[0].metric("Mean top weight per row", f"{peak:.2f}", versus,
                        delta_color="off", help="1.00 means every row put all its weight on one token: a saturated softmax.")
            with torch.no_grad():
                reference = module(X, attn_mask=causal_mask(len(X)) if causal else None)  # the curriculum's forward
            gap = float((reference - s.output).abs().max())
            if scale and temperature == 1.0:
                m[1].metric("max |output − SelfAttention(X)|", f"{gap:.1e}",
                            help="The stepped matrices use the module's weights.")
                st.success("These matrices are exactly what the curriculum's `SelfAttention` computes with these weights "
                           "(the page runs the module too and compares).", icon="✅")
            else:
                m[1].metric("max |output − SelfAttention(X)|", f"{gap:.2f}")
                st.info("`SelfAttention` always divides by √d and uses temperature 1: with these settings the stepped "
                        "output differs from the module's — that difference is the effect of your change.", icon="ℹ️")
    show_code(stepped_code(dim, scale, causal, temperature))


# ---------------------------------------------------------------- 2 · many heads
@st.fragment
def heads_section(tokens: list[str] | None, seed: int) -> None:
    """nn.MultiheadAttention's heads one by one, causal and padding masks, checked against the module."""
    if not tokens:
        st.info("Type a sentence above to see its heads.")
        return
    c = st.columns([2, 2, 1, 2, 1], vertical_alignment="bottom")
    widths = [8, 12, 16, 24, 32]
    width = c[0].select_slider("Width C", widths, key="att_h_width", bind="query-params", **initial("att_h_width", 16))
    choices = lab.head_choices(width)
    index = offered("att_h_heads", choices, 4)
    heads = c[1].selectbox("Heads", choices, index=index, key="att_h_heads", bind="query-params",
                           help=f"Only numbers that divide C = {width} are offered: each head gets C / heads dimensions.")
    causal = c[2].toggle("Causal", False, key="att_h_causal", bind="query-params")
    pads = c[3].slider(f"Add {PAD} tokens", 0, 4, 2, key="att_h_pads", bind="query-params",
                       help="A batch holds sequences of different lengths: the short ones are filled up with padding.")
    mask_pads = c[4].toggle("Mask pads", True, key="att_h_mask_pads", bind="query-params")
    padded = tokens + [PAD] * pads
    X = token_embeddings(padded, width, seed)  # (T, C)
    is_pad = torch.tensor([t == PAD for t in padded])  # (T,)
    mha = demo_multihead(width, heads, seed)
    view = head_view(X, mha, causal=causal, padding=is_pad if mask_pads else None)
    labels = unique_labels(padded)
    plot(figures.heads_figure(view.weights.numpy(), labels, height=300 + 8 * len(labels)), key="att_fig_h_heads")
    left, right = st.columns(2)
    dims = [f"d{i}" for i in range(width)]
    plot(figures.matrix_figure(view.concat.numpy(), labels, dims, f"Concatenated heads ({heads} × {width // heads} columns)",
                       text=False), key="att_fig_h_concat", container=left)
    plot(figures.matrix_figure(view.output.numpy(), labels, dims, "Output = concat W_oᵀ + b_o", text=False),
         key="att_fig_h_out",
         container=right)
    with torch.no_grad():  # the module itself, sequence-first: (T, 1, C)
        x = X.unsqueeze(1)
        mask = attention_mask(len(X), causal=causal) if causal else None
        out, weights = mha(x, x, x, attn_mask=mask, key_padding_mask=is_pad.unsqueeze(0) if mask_pads else None,
                           need_weights=True, average_attn_weights=False)
    gap = max(float((out[:, 0] - view.output).abs().max()), float((weights[0] - view.weights).abs().max()))
    pad_weight = float(view.weights[..., is_pad].sum(-1).mean()) if pads else 0.0
    st.caption(f"✅ Same weights, same result as `nn.MultiheadAttention({width}, {heads})`: max |difference| {gap:.1e}. "
               + (f"Average weight a token gives the {PAD} tokens: **{pad_weight:.0%}**"
                  + (" — masked, so none." if mask_pads else " — unmasked, so padding leaks into every token's output.")
                  if pads else ""))
    show_code(heads_code(width, heads, causal, bool(pads and mask_pads)))


# ---------------------------------------------------------------- 3 · position
@st.fragment
def position_section(tokens: list[str] | None, seed: int) -> None:
    """The sinusoidal table, how similar positions are, and shuffling tokens with and without positions."""
    c = st.columns(2)
    length = c[0].slider("Positions", 8, 128, 64, step=8, key="att_p_len", bind="query-params")
    width = c[1].select_slider("Encoding width", [16, 32, 64, 128], key="att_p_width", bind="query-params",
                               **initial("att_p_width", 64))
    encoding = sinusoidal_encoding(length, width)
    left, right = st.columns(2)
    plot(figures.encoding_figure(encoding.numpy()), key="att_fig_p_encoding", container=left)
    plot(figures.similarity_figure(position_similarity(encoding).numpy()), key="att_fig_p_similarity", container=right)
    st.markdown("##### Shuffle the tokens")
    if not tokens or len(tokens) < 2:
        st.info("Shuffling needs at least two tokens: type a longer sentence above.")
        return
    c = st.columns([2, 1], vertical_alignment="bottom")
    with_positions = c[0].toggle("Add the positional encoding", False, key="att_p_add", bind="query-params")
    if c[1].button("🔀 Shuffle again", key="att_p_shuffle", width="stretch"):
        st.session_state["att_p_draw"] = st.session_state.get("att_p_draw", 0) + 1
    X = token_embeddings(tokens, 16, seed)  # (T, 16)
    order = shuffle_order(len(tokens), seed + st.session_state.get("att_p_draw", 0))
    check = permutation_check(X, order, positions=with_positions, seed=seed)
    labels = unique_labels(tokens)
    dims = [f"d{i}" for i in range(16)]
    left, right = st.columns(2)
    plot(figures.matrix_figure(check.output.numpy(), labels, dims, "Block output, tokens in order", text=False),
         key="att_fig_p_out", container=left)
    plot(figures.matrix_figure(check.shuffled_output.numpy(), [labels[i] for i in order], dims, "Block output, tokens shuffled",
                       text=False), key="att_fig_p_shuffled", container=right)
    if check.gap < 1e-4:
        st.success(f"Without positions, every token's output row is the same in both orders (max gap {check.gap:.1e}): the "
                   "block is **permutation-equivariant** — it sees a bag of tokens, not a sentence.", icon="🔀")
    else:
        st.warning(f"With positions added, the same token gets a different output once moved (max gap {check.gap:.2f}): "
                   "order now matters.", icon="📍")
    show_code(position_code(length, width, with_positions))


# ---------------------------------------------------------------- 4 · the lab
def lab_controls(seed: int) -> lab.LabConfig:
    """Task and model settings of the lab (every one but the learning rate rebuilds the run)."""
    d = lab.LabConfig()
    c = st.columns([2, 2, 1, 2, 1, 2, 2])
    task = c[0].selectbox("Task", list(TASKS), key="att_l_task", bind="query-params", help="What the model must output at "
                          "each position: " + "; ".join(f"**{t.name}**: {t.rule}" for t in TASKS.values()))
    length = c[1].slider("Sequence length", 4, MAX_LENGTH, d.length, key="att_l_len", bind="query-params")
    layers = c[2].selectbox("Layers", [1, 2, 3, 4], index=d.num_layers - 1, key="att_l_layers", bind="query-params")
    width = c[3].select_slider("Width", [16, 32, 64], key="att_l_width", bind="query-params", **initial("att_l_width", 64))
    choices = lab.head_choices(width, (1, 2, 4, 8))
    heads = c[4].selectbox("Heads", choices, index=offered("att_l_heads", choices, d.num_heads), key="att_l_heads",
                           bind="query-params", help="Only numbers that divide the width are offered.")
    positional = c[5].selectbox("Positions", POSITIONAL, key="att_l_pos", bind="query-params",
                                help="Sinusoidal: the fixed table of section 3. Learned: a trained vector per position. "
                                     "None: the model sees a bag of digits.")
    lr = c[6].select_slider("Learning rate (live)", LRS, key="att_l_lr", bind="query-params", **initial("att_l_lr", d.lr))
    return lab.LabConfig(task=task, length=length, num_layers=layers, num_heads=heads, embed_dim=width, positional=positional,
                     lr=lr, seed=seed)


def lab_example(config: lab.LabConfig) -> torch.Tensor | None:
    """The typed example (or None for a held-out one), with a message when it cannot be used."""
    typed = st.text_input("Example to look at", key="att_l_example", bind="query-params", max_chars=40,
                          placeholder=f"digits, e.g. {'31415926535897'[: config.length]} — empty: a held-out sequence")
    if not typed.strip():
        return None
    try:
        X = parse_digits(typed, MAX_LENGTH)
    except ValueError as error:
        st.warning(f"{error} Showing a held-out sequence instead.", icon="🔢")
        return None
    if len(X) != config.length:
        st.info(f"The model trains on length {config.length}; a length-{len(X)} example tests whether it generalizes.")
    return X


@st.fragment
def lab_section(device: torch.device, seed: int) -> None:
    """Controls, the training panel with live attention maps, heads switched off, and the code."""
    config = lab_controls(seed)
    found = lab.problems(config)
    if found:
        for message in found:
            st.warning(message, icon="⚠️")
        return
    typed = lab_example(config)
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    if right.button("🎲 Another held-out sequence", key="att_l_another", width="stretch"):
        st.session_state["att_l_index"] = st.session_state.get("att_l_index", 0) + 1
    names = lab.head_names(config.num_layers, config.num_heads)
    chosen = left.selectbox("Enlarge", names, index=offered("att_l_enlarge", names, names[0]), key="att_l_enlarge",
                            bind="query-params")
    selected = divmod(names.index(chosen), config.num_heads)

    def render(run) -> None:
        view = lab_view(run, example(run, typed, st.session_state.get("att_l_index", 0)), selected, chosen)
        grid, big = st.columns([3, 2])
        plot(view.figures["grid"], key="att_fig_l_grid", container=grid)
        plot(view.figures["map"], key="att_fig_l_map", container=big)
        st.markdown(view.line())
        for column, name in zip(st.columns(3), ("loss", "accuracy", "positions")):
            plot(view.figures[name], key=f"att_fig_l_{name}", container=column)

    run = training_panel("att_lab", lab.signature(config, device), lambda: lab.build_lab_run(config, device), render,
                         device=device, step_size=50, chunk_seconds=0.35)
    run.set_lr(config.lr)
    ablation_part(run, config)
    show_code(lab_code(config))


def ablation_part(run, config: lab.LabConfig) -> None:
    """Heads switched off: one at a time (measured on demand), or a chosen set."""
    st.markdown("##### Switch heads off")
    left, right = st.columns([1, 2], vertical_alignment="bottom")
    if left.button("Measure every head", key="att_l_ablate", width="stretch", disabled=is_playing("att_lab"),
                   help="Sequence accuracy on the held-out set with each head switched off in turn (pause first)."):
        with run.locked():  # the model in eval mode for a moment: the trainer must not step meanwhile
            st.session_state["att_l_ablation"] = (id(run), run.steps, lab.head_ablation(run),
                                                  lab.sequence_accuracy(run.model, run.X_val, run.y_val))
    names = lab.head_names(config.num_layers, config.num_heads)
    if "att_l_off" in st.session_state:  # heads of a bigger model than this one are gone
        st.session_state["att_l_off"] = [n for n in st.session_state["att_l_off"] if n in names]
    off = right.multiselect("Heads off", names, key="att_l_off", help="See the held-out accuracy with these heads off.")
    result = st.session_state.get("att_l_ablation")
    if result is not None and result[0] == id(run):
        plot(figures.ablation_figure(result[2], result[3]), key="att_fig_l_ablation")
        if result[1] != run.steps:
            st.caption(f"Measured at step {result[1]:,}; the model has trained since — measure again.")
    if off:
        heads = [divmod(names.index(name), config.num_heads) for name in off]
        with run.locked():
            baseline = lab.sequence_accuracy(run.model, run.X_val, run.y_val)
            ablated = lab.heads_off(run.model, heads)
        accuracy = lab.sequence_accuracy(ablated, run.X_val, run.y_val)
        st.metric("Sequence accuracy with those heads off", f"{accuracy:.0%}", f"{accuracy - baseline:+.0%} vs all heads on")


# ---------------------------------------------------------------- 5 · tiny language model
def lm_controls(seed: int) -> tuple[lm.LMConfig, str]:
    """Text source and model settings of the language model; returns the config and any pasted text."""
    d = lm.LMConfig()
    c = st.columns([2, 1, 1, 1, 1, 2])
    source = c[0].radio("Text", ["corpus", "pasted"], key="att_m_source", bind="query-params", horizontal=True,
                        format_func=lambda s: {"corpus": "The project's corpus", "pasted": "Paste your own"}[s])
    context = c[1].selectbox("Context", [32, 64, 128], index=1, key="att_m_context", bind="query-params",
                             help="Characters the model sees at once (its maximum length). Every step trains on 2,048 "
                                  "characters, as fewer, longer windows when the context is longer.")
    layers = c[2].selectbox("Layers", [1, 2, 3], index=d.num_layers - 1, key="att_m_layers", bind="query-params")
    width = c[3].selectbox("Width", [32, 64, 96], index=1, key="att_m_width", bind="query-params")
    choices = lab.head_choices(width, (1, 2, 4, 8))
    heads = c[4].selectbox("Heads", choices, index=offered("att_m_heads", choices, d.num_heads), key="att_m_heads",
                           bind="query-params")
    lr = c[5].select_slider("Learning rate (live)", LRS, key="att_m_lr", bind="query-params", **initial("att_m_lr", d.lr))
    pasted = ""
    if source == "pasted":
        pasted = st.text_area("Your text (plain English works best; a few thousand characters or more)", key="att_m_text",
                              height=150, max_chars=200_000)
    config = lm.LMConfig(source=source, context=context, num_layers=layers, num_heads=heads, embed_dim=width, lr=lr, seed=seed)
    return config, pasted


@st.fragment
def lm_section(device: torch.device, seed: int) -> None:
    """The causal transformer on text: live training, sampling with temperature and top-k, attention over the context."""
    config, pasted = lm_controls(seed)
    try:
        text = lm.prepare_text(config.source, pasted, config.context)
    except ValueError as error:
        st.warning(str(error), icon="📄")
        return
    if text.dropped:
        st.info(f"{text.dropped} character(s) with no plain-ASCII form were left out of your text.")

    def render(run) -> None:
        c = st.columns([1, 1])
        plot(figures.curves_figure(run.history, {"val_loss": "held-out loss"}, "Loss (nats per character)", batch_loss=True),
             key="att_fig_m_loss", container=c[0])
        with c[1]:
            st.markdown(f"**Sample at step {run.steps:,}** (temperature 0.8, top-k 10)")
            st.code(st.session_state.setdefault("att_m_live", lm.LiveSample()).text(run), language=None, wrap_lines=True)

    run = training_panel("att_lm", lm.signature(config, text, device), lambda: lm.build_lm_run(config, text, device), render,
                         device=device, step_size=20, chunk_seconds=0.5)
    run.set_lr(config.lr)
    generation_part(run)
    show_code(lm_code(config, text.vocab.size))


def generation_part(run) -> None:
    """Sample with temperature and top-k; pick a generated character and see where each head looked."""
    st.markdown("##### Generate")
    vocab = run.text.vocab
    c = st.columns([3, 2, 2, 2, 2], vertical_alignment="bottom")
    prompt = c[0].text_input("Prompt", key="att_m_prompt", bind="query-params", max_chars=200, **initial("att_m_prompt", "The "))
    length = c[1].slider("Characters", 20, 300, 150, step=10, key="att_m_length", bind="query-params")
    temperature = c[2].select_slider("Temperature", TEMPERATURES, key="att_m_temp", bind="query-params",
                                     **initial("att_m_temp", 0.8))
    top_k = c[3].select_slider("Top-k (0 = all)", [0, 1, 2, 3, 5, 10, 20, 40], key="att_m_topk", bind="query-params",
                               **initial("att_m_topk", 10))
    unknown = vocab.unknown(prompt)
    if not prompt:
        st.info(f"An empty prompt starts from {figures.shown_char(vocab.fallback)!r}.")
    elif unknown:
        st.warning(f"Not in this text's vocabulary, read as {figures.shown_char(vocab.fallback)!r}: "
                   + " ".join(repr(ch) for ch in sorted(unknown)), icon="🔤")
    if c[4].button("✍️ Generate", key="att_m_generate", type="primary", width="stretch"):
        with run.locked():
            written = lm.generate(run.model, vocab, prompt, length, temperature=temperature, top_k=top_k,
                               seed=st.session_state.get("att_m_draws", 0))
        st.session_state["att_m_draws"] = st.session_state.get("att_m_draws", 0) + 1
        st.session_state["att_m_sample"] = (id(run), written, max(1, len(prompt)), run.steps, temperature, top_k)
        st.session_state.pop("att_m_char", None)
    sample = st.session_state.get("att_m_sample")
    if sample is None or sample[0] != id(run):
        st.caption("Press **Generate** to sample from the model as it is now (train it first for something readable).")
        return
    _, written, start, steps, used_temperature, used_top_k = sample
    if len(written) <= start:
        return
    index = st.slider("Look at generated character", start, len(written) - 1, len(written) - 1, key="att_m_char")
    st.markdown(lm.highlighted(written, index), unsafe_allow_html=True)
    st.caption(f"Written at step {steps:,} · temperature {used_temperature:g} · top-k {used_top_k or 'all'}")
    with run.locked():
        context, weights = lm.attention_over_context(run.model, vocab, written, index)
    plot(figures.context_attention_figure(context, weights, written[index]), key="att_fig_m_attention")
    st.caption(f"Most attended on average over every layer and head: {lm.most_attended(context, weights)}.")
