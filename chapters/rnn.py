"""Chapter 6 · Recurrent Neural Networks: the RNN unrolled, gradients through time, RNN vs LSTM vs GRU, gates, text."""

import streamlit as st

from dlplay.lessons.rnn import char_model, race, sentiment
from dlplay.lessons.rnn.sections import (
    CHAR_KEY,
    RACE_KEY,
    SENT_KEY,
    char_controls,
    char_sampling_section,
    gates_section,
    gradients_section,
    race_controls,
    render_char,
    render_race,
    render_sentiment,
    sentence_section,
    sentiment_controls,
    stepper_section,
)
from dlplay.ui.code_panel import show_code
from dlplay.ui.sidebar import current_device, current_seed
from dlplay.ui.training_panel import training_panel

st.title("🔁 Recurrent Neural Networks")
st.markdown(
    "A recurrent network reads a sequence one element at a time and carries a **hidden state** hₜ from step to step: "
    "hₜ = tanh(Wₓₕxₜ + Wₕₕhₜ₋₁ + b). The same weights serve every step, so the network handles sequences of any "
    "length — but everything it remembers must squeeze through hₜ, and every gradient must flow back through the "
    "chain of steps. **LSTM** and **GRU** cells add *gates* that decide what to keep, so memories (and gradients) "
    "survive long gaps. The tabs go from the inside of one RNN to a model that writes; the race opens first — press "
    "**▶ Play** and watch the three cells compete."
)
seed, device = current_seed(), current_device()
TABS = ["🔁 The RNN, unrolled", "📉 Gradients through time", "🏁 The race · gates", "✍️ A character model writes",
        "💬 Sentence classification"]
# Lazy tabs: only the open one runs (the URL remembers which); the race opens first, as it trains live.
tabs = st.tabs(TABS, default=TABS[2], key="rnn_tab", bind="query-params", on_change="rerun")

with tabs[0]:
    if tabs[0].open:
        st.header("1 · The RNN, unrolled step by step")
        st.markdown(
            "A small `SimpleRNN(1, H, 1)` reads a sine wave and predicts the next value at every step. Press **Next ▶**: "
            "each step adds the input term Wₓₕxₜ to the memory term Wₕₕhₜ₋₁, squashes the sum with tanh, and the new "
            "column hₜ joins the heatmap. Nothing else is remembered: hₜ *is* the network's whole past."
        )
        stepper_section(seed)

with tabs[1]:
    if tabs[1].open:
        st.header("2 · Gradients through time")
        st.markdown(
            "Backpropagation through time multiplies one Jacobian ∂hₜ/∂hₜ₋₁ per step. With tanh and ‖Wₕₕ‖ < 1 the "
            "product shrinks exponentially: the gradient that reaches early steps **vanishes**, so the plain RNN cannot "
            "learn what happened long ago. Below, ‖∂L/∂hₜ‖ is measured by real autograd through the unrolled steps. Fresh "
            "gated cells start out forgetting too (their forget gates sit near 0.5); switch to *the race's models* after "
            "training to see an LSTM that has learned to keep its gradient alive."
        )
        gradients_section(seed)

with tabs[2]:
    if tabs[2].open:
        st.header("3 · The race: RNN vs LSTM vs GRU")
        st.markdown(
            "The three cells train side by side on the same memory task, data, batches and seed. In the **adding "
            "problem** the network sees T random numbers, two of them marked, and must output their sum at the end — "
            "the first mark lies up to T steps back. At T = 10 all three learn (the plain RNN slowest); at the default "
            "T = 30 and beyond, the plain RNN stays at the *learned nothing* line while the LSTM and GRU solve it within "
            "a few hundred steps. **Accuracy per position** shows where memory gives out."
        )
        setup = race_controls(seed)
        group = training_panel(RACE_KEY, race.signature(setup, device), lambda: race.build_race(setup, device), render_race,
                               device=device, step_size=25, rerun_also=("rnn_gates",))
        for run in group.runs.values():
            run.set_lr(setup.lr)
        show_code(race.race_code(setup))

        st.header("4 · Gates, seen")
        st.markdown(
            "Inside the race's LSTM: the **input gate** iₜ decides what to write into the cell state cₜ, the **forget gate** "
            "fₜ what to keep of it, the **output gate** oₜ what to reveal as hₜ = oₜ·tanh(cₜ). The GRU merges them into an "
            "**update gate** zₜ (keep the old state or take the new) and a **reset gate** rₜ. Each panel is computed by a "
            "hand-written cell on the model's own weights — it equals `nn.LSTM` / `nn.GRU` exactly. Train the race, then look "
            "for units whose forget or update gate stays near 1 after a marked value: that is memory."
        )
        gates_section()

with tabs[3]:
    if tabs[3].open:
        st.header("5 · A character model learns to write")
        st.markdown(
            "A character-level LSTM reads windows of text and learns to predict each next character. Press **Play** and "
            "watch the samples: first random letters, then spaces in the right places, then real words and punctuation. The "
            "**temperature** divides the logits before sampling — low is safe and repetitive, high is inventive and "
            "misspelt. Below, a heatmap shows what one hidden unit does while reading."
        )
        char_setup, text_check = char_controls(seed)
        char_run = training_panel(
            CHAR_KEY, char_model.char_signature(char_setup, text_check, device),
            lambda: char_model.build_char_run(char_setup, text_check.text, device), render_char, device=device, step_size=20,
            rerun_also=("rnn_char_view",),
        )
        char_run.set_lr(char_setup.lr)
        char_sampling_section()
        show_code(char_model.char_code(char_setup, text_check.source))

with tabs[4]:
    if tabs[4].open:
        st.header("6 · Sentence classification")
        st.markdown(
            "The curriculum's `LSTMModel` — an embedding, a 2-layer **bidirectional** LSTM with dropout 0.5 and a linear "
            "layer on both final states — learns the sentiment of generated reviews. Word order decides: *not* flips an "
            "adjective, and after *but* the second clause wins, so *the soup was not good but the bread was lovely* and "
            "*the soup was good but the bread was not lovely* hold the same words and opposite labels. Train it, then type "
            "your own."
        )
        sent_setup = sentiment_controls(seed)
        sent_run = training_panel(SENT_KEY, sentiment.sentiment_signature(sent_setup, device),
                                  lambda: sentiment.build_sentiment_run(sent_setup, device), render_sentiment, device=device,
                                  step_size=25, rerun_also=("rnn_sent_view",))
        sent_run.set_lr(sent_setup.lr)
        sentence_section(sent_setup)
        show_code(sentiment.sentiment_code(sent_setup))
