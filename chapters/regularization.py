"""Chapter 7 · Regularization: dropout, batch norm, weight decay and early stopping racing on a set that overfits."""

import streamlit as st

from dlplay.lessons.regularization.sections import dropout_section, lab_section
from dlplay.ui.sidebar import current_seed

st.title("🛡️ Regularization")
st.markdown(
    "A network big enough to memorize its training set will: the training loss keeps falling while the validation "
    "loss turns up — it **overfits**, learning the noise instead of the pattern. **Regularization** makes memorizing "
    "harder: **dropout** silences random units at every step, **weight decay** pulls the weights towards zero, "
    "**batch norm** re-normalizes each layer's outputs (mainly to stabilize training, with a mild regularizing side "
    "effect), and **early stopping** keeps the weights of the epoch where the validation loss was lowest."
)

st.header("1 · The overfitting lab")
st.markdown("Few noisy training points and a wide network: press **Play** and watch the baseline's dashed "
            "validation curve turn up while its training loss heads to zero. Every configuration starts from the same "
            "initial weights and sees the same batches; only its regularizers differ.")
# Each section is a fragment: a setting re-runs its section (a lab setting also re-runs the dropout view, which shows
# the lab's first network), never the whole page.
lab_section(current_seed())

st.header("2 · Dropout, seen")
st.markdown("During training, `nn.Dropout(p)` zeroes each unit with probability p and multiplies the survivors by "
            "1/(1 − p) — a different random subnetwork at every step, so no unit can rely on another. "
            "`model.eval()` switches it off: the layer passes its input through unchanged.")
dropout_section()
