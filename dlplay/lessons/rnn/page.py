"""How the app lists this chapter."""

from dlplay.lessons.spec import PART_II, PageSpec

PAGE = PageSpec(
    path="chapters/rnn.py", title="Recurrent Neural Networks", part=PART_II, chapter=6, icon="🔄",
    summary="Step an RNN through a sequence, watch gradients vanish through time, race RNN, LSTM and GRU on a "
    "memory task, look at their gates, and train a character model that learns to write — live.",
    url_path="rnn", live_training=True,
)
