"""Chapter 9 · Attention and Transformers: self-attention stepped, heads and masks, position, attention forming live."""

import streamlit as st

from dlplay.lessons.attention.sections import (
    heads_section,
    lab_section,
    lm_section,
    position_section,
    sentence_controls,
    stepped_section,
)
from dlplay.ui.sidebar import current_device, current_seed

TABS = ["① Self-attention, stepped", "② Many heads", "③ Position", "④ Watch attention form", "⑤ A tiny language model"]
STEP_NOTES = {
    "Embeddings X": "Each token becomes a vector (here a fixed random one per distinct token, as an untrained "
                    "embedding table would give). Repeated tokens get identical rows.",
    "Q, K, V": "Three linear maps of the same X: a **query** (what this token looks for), a **key** (what it offers "
               "to others) and a **value** (what it passes on when chosen).",
    "Scores QKᵀ": "Row i, column j: the dot product of query i with key j — how well token j matches what token i "
                  "looks for.",
    "Scaling ÷ √d": "Dot products of d-dimensional vectors grow like √d; dividing by √d keeps the softmax out of "
                    "saturation, where one weight is ~1, the rest ~0 and the gradients vanish.",
    "Mask": "A causal mask sets every score above the diagonal to −∞: token i may not look at later tokens, so "
            "e^−∞ = 0 weight. A language model needs it, since it must not see the characters it predicts.",
    "Softmax": "Each row becomes positive weights that sum to 1. The temperature divides the scores first: low "
               "temperatures sharpen each row towards its largest score, high ones flatten it.",
    "Output AV": "Each token's output is the weighted average of the value vectors, with its row of weights.",
}

st.title("🔦 Attention and Transformers")
st.markdown(
    "In **self-attention** every token of a sequence looks at every other token and takes a weighted average of what "
    "they offer — the weights come from how well its **query** matches their **keys**. A **transformer block** does "
    "that in several **heads** at once, then passes each token through a small feed-forward network, with a residual "
    "connection and a layer norm around each part. Nothing in attention knows where a token sits, so a **positional "
    "encoding** is added to the token vectors. The tabs step through one attention layer matrix by matrix, open up "
    "the heads and look at position; the fourth and fifth train small transformers live while their attention forms."
)

seed = current_seed()
device = current_device()
# Lazy tabs: only the open one runs (the URL remembers which); each section is a fragment, so its widgets re-run it alone.
stepped_tab, heads_tab, position_tab, lab_tab, lm_tab = st.tabs(TABS, default=TABS[3], key="att_tab", bind="query-params",
                                                                 on_change="rerun")

with stepped_tab:
    if stepped_tab.open:
        st.markdown(
            "The curriculum's `SelfAttention` in slow motion: type a sentence, then walk through each matrix it "
            "computes. The weights are random (untrained; W_q and W_k drawn twice as wide as PyTorch's default so that "
            "patterns show), so the pattern itself means nothing — watch *how* it is computed. Hover a cell for its "
            "value. Turn **Scale by √d** off or lower the **temperature** and each row of the softmax collapses onto "
            "one token; raise the temperature and it spreads evenly. The **causal mask** blanks the upper triangle: no "
            "token sees the future."
        )
        stepped_section(sentence_controls(), seed, STEP_NOTES)

with heads_tab:
    if heads_tab.open:
        st.markdown(
            "`nn.MultiheadAttention` splits the width C into H heads of C / H dimensions. Each head has its own slice "
            "of W_q, W_k and W_v, so each computes its **own attention map** over the same tokens; the heads' outputs "
            "are put side by side and mixed by one output projection W_o. Several heads let one layer attend to several "
            "things at once — one head to the previous token, another to a matching word. **Masks:** a *causal* mask "
            "hides later positions (a language model must not peek at what it predicts); a *padding* mask hides the "
            "filler tokens that make sequences of a batch equally long, so real tokens never attend to them."
        )
        heads_section(sentence_controls(), seed)

with position_tab:
    if position_tab.open:
        st.markdown(
            "Attention compares every token with every other by content alone: shuffle the tokens and each token gets "
            "exactly the same output, just in a new place — self-attention is **permutation-equivariant**. Word order "
            "only reaches the model through a **positional encoding** added to the embeddings. The sinusoidal one "
            "gives each position a pattern of sines and cosines of geometrically spaced frequencies: nearby positions "
            "look alike, distant ones differ, and any fixed offset is a linear map of the pattern."
        )
        position_section(sentence_controls(), seed)

with lab_tab:
    if lab_tab.open:
        st.markdown(
            "A small transformer of the curriculum's blocks learns a toy task over random digit sequences, one output "
            "per position — fresh sequences every step, scored on a fixed held-out set. Press **Play**: on "
            "**reverse**, the attention maps turn into an anti-diagonal (output position i looks at input T − 1 − i); "
            "on **sort** and **count** they look at every copy of a digit. Then switch heads off one at a time and see "
            "which ones the model relies on, or set **Positions** to *none* and retrain: *reverse* and *sort* cannot be "
            "learnt anymore, while *copy* and *count*, which need no order, still can. New to attention? Start with "
            "the first tab."
        )
        st.info(
            "**Attention weights are not explanations.** A head can attend strongly to a token whose value it then "
            "ignores, other heads and the feed-forward layers change what reaches the output, and different weights "
            "can give the same predictions. Switching a head off and measuring the damage says more than its map.",
            icon="⚠️",
        )
        lab_section(device, seed)

with lm_tab:
    if lm_tab.open:
        st.markdown(
            "The same blocks with a causal mask predict the **next character** at every position of a window of text "
            "— a miniature GPT. Train it on the project's corpus (short essays written for dlplay) or on text you "
            "paste. After a minute the loss falls from ln(vocabulary) ≈ 4 towards 1.5 and the samples turn from noise "
            "into word-like text. **Temperature** divides the logits before the softmax (low: safe and repetitive, "
            "high: adventurous); **top-k** samples only among the k likeliest characters. Pick a generated character "
            "to see where each head looked when the model chose it."
        )
        lm_section(device, seed)
