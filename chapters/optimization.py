"""Chapter 8 · Optimization Algorithms: optimizer paths on 2D surfaces, learning-rate schedules, a live optimizer race."""

import streamlit as st

from dlplay.lessons.optimization.sections import paths_section, race_section, schedules_section
from dlplay.ui.sidebar import current_seed

st.title("🏎️ Optimization Algorithms")
st.markdown(
    "Every optimizer walks downhill on the loss using the gradient, but they differ in *how far* and *which way* "
    "they step. **SGD** steps straight down the gradient (θ ← θ − α∇L); **Momentum** and **Nesterov** keep a "
    "running velocity, so they speed up along a long valley and damp the zig-zag across it; **RMSProp**, "
    "**Adagrad** and **Adam** divide each coordinate's step by the size of its recent gradients, so steep and flat "
    "directions move at similar speeds. A **learning-rate schedule** changes α during training — large early to "
    "travel, small late to settle."
)
seed = current_seed()
# Each section is a fragment: its settings re-run that section alone, never the whole page.

st.header("1 · Optimizers on a loss surface")
st.markdown(
    "Each path is a real `torch.optim` optimizer stepping a two-element tensor (x, y) on the surface f(x, y). "
    "Try the **Rosenbrock** valley: SGD crawls along its flat floor while Adam and momentum move on; on the "
    "**quadratic bowl**, raise the condition number κ and watch SGD zig-zag. A path that leaves the plot or turns "
    "NaN is cut and marked ✕."
)
paths_section(seed)

st.header("2 · Learning-rate schedules")
st.markdown(
    "A scheduler from `torch.optim.lr_scheduler` rewrites the optimizer's learning rate every time you call "
    "`scheduler.step()`. Below, each curve comes from the real scheduler stepped on a dummy optimizer; open a "
    "schedule's ⚙️ to change its parameters."
)
schedules_section()

st.header("3 · The race")
st.markdown(
    "Two to four configurations train the **same MLP from the same initial weights on the same batches** of "
    "synthetic digits — only the optimizer, learning rate, schedule and weight decay differ. Press **Play**: "
    "the curves race live. Changing a constant learning rate applies at once; any other change restarts the race."
)
race_section(seed)
