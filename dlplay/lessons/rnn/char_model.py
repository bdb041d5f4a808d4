"""A character-level language model trained live: text checks, windows of characters, sampling with a temperature."""

from __future__ import annotations

import hashlib
from dataclasses import astuple, dataclass

import numpy as np
import torch
import torch.nn.functional as F

from dlplay.data.text_corpus import CharVocab, load_corpus, normalize_text
from dlplay.lessons.rnn.race import clipped_adam
from dlplay.models.init import seeded_init_
from dlplay.models.rnn import CharModel
from dlplay.training.run import RunConfig, TrainingRun

MIN_CHARS = 1_000  # shorter text gives too few windows to learn anything but the text itself
MAX_CHARS = 200_000  # longer pasted text is cut: a minute of training never sees more than this
VAL_FRACTION = 0.1  # the last tenth of the text is held out


@dataclass(frozen=True)
class CharSetup:
    """The character model and how it trains."""

    cell: str = "LSTM"  # "LSTM", "GRU" or "RNN"
    hidden_size: int = 128  # units of each recurrent layer
    num_layers: int = 1  # stacked recurrent layers
    embed_dim: int = 32  # size of each character's vector
    seq_len: int = 64  # characters per training window (the length backpropagation runs through)
    batch_size: int = 32  # windows per step
    lr: float = 3e-3  # Adam's learning rate, applied live
    clip: float = 1.0  # gradient clipping max_norm (0 = off): character models need it
    seed: int = 0  # initial weights and batch order


@dataclass(frozen=True)
class TextCheck:
    """The text to train on and what the page should tell the user about it."""

    text: str  # what the model trains on (the corpus when the user's text cannot be used)
    source: str  # "corpus" or "pasted"
    messages: tuple[tuple[str, str], ...]  # (level, message): level "info", "warning" or "error"

    @property
    def digest(self) -> str:
        """A short hash of the text: part of the run's signature."""
        return hashlib.sha1(self.text.encode()).hexdigest()[:12]


def check_text(pasted: str | None) -> TextCheck:
    """The user's text if it can be trained on (normalized, cut to MAX_CHARS), else the corpus with the reason why."""
    if pasted is None:
        return TextCheck(load_corpus(), "corpus", ())
    text, dropped = normalize_text(pasted)
    messages = []
    if dropped:
        messages.append(("info", f"{dropped:,} character(s) with no plain-text form (emoji, symbols, other scripts) were "
                                 "left out; curly quotes and dashes became their plain forms."))
    if not text.strip():
        return TextCheck(load_corpus(), "corpus", (("error", "The pasted text is empty: training on the embedded corpus "
                                                             "until you paste some."),))
    if len(text) < MIN_CHARS:
        return TextCheck(load_corpus(), "corpus", (*messages, (
            "warning", f"The pasted text has {len(text):,} characters; a character model needs at least {MIN_CHARS:,} "
                       "(a few paragraphs). Training on the embedded corpus meanwhile.")))
    if len(text) > MAX_CHARS:
        messages.append(("warning", f"The pasted text has {len(text):,} characters: only the first {MAX_CHARS:,} are used."))
        text = text[:MAX_CHARS]
    return TextCheck(text, "pasted", tuple(messages))


def make_windows(ids: torch.Tensor, seq_len: int, stride: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Overlapping windows (N, T) of character ids and the same windows shifted by one: each position's next character."""
    windows = ids.unfold(0, seq_len + 1, stride)  # (N, T + 1)
    return windows[:, :-1].contiguous(), windows[:, 1:].contiguous()  # X (N, T), y (N, T)


def char_data(text: str, seq_len: int) -> tuple[CharVocab, tuple[torch.Tensor, ...]]:
    """The vocabulary and (X_train, y_train, X_val, y_val): windows from the first 90 % and the last 10 % of the text."""
    vocab = CharVocab.from_text(text)
    ids = vocab.encode(text)  # (L,)
    seq_len = int(min(seq_len, len(ids) * VAL_FRACTION - 2))  # the held-out tenth must hold a window
    split = int(len(ids) * (1 - VAL_FRACTION))
    train = make_windows(ids[:split], seq_len, max(1, seq_len // 2))  # half-overlapping: twice the windows
    val = make_windows(ids[split:], seq_len, seq_len)
    return vocab, (*train, *val)


def next_char_loss(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of every position's next-character logits (B, T, V) against the characters (B, T)."""
    return F.cross_entropy(y_hat.reshape(-1, y_hat.shape[-1]), y.reshape(-1))  # (B·T, V) vs (B·T,)


class CharRun(TrainingRun):
    """A TrainingRun of a CharModel that also holds its vocabulary and the text it learns from."""

    vocab: CharVocab
    text: str


def build_char_run(setup: CharSetup, text: str, device: torch.device | str = "cpu") -> CharRun:
    """A CharModel on the text's windows, Adam with clipping, evaluated on the held-out tenth every 50 steps."""
    vocab, data = char_data(text, setup.seq_len)
    model = seeded_init_(CharModel(vocab.size, setup.embed_dim, setup.hidden_size, cell=setup.cell,
                                   num_layers=setup.num_layers), setup.seed)
    config = RunConfig(batch_size=setup.batch_size, eval_every=50, eval_samples=64, seed=setup.seed)
    # task="regression" only turns off TrainingRun's argmax accuracy: the loss is next_char_loss.
    run = CharRun(model, *data, task="regression", loss_fn=next_char_loss, optimizer=clipped_adam(setup.lr, setup.clip),
                  config=config, device=device)
    run.vocab, run.text = vocab, text
    return run


def char_signature(setup: CharSetup, check: TextCheck, device: object) -> tuple:
    """Everything that needs a new model; the learning rate applies live."""
    return tuple(v for k, v in zip(CharSetup.__dataclass_fields__, astuple(setup)) if k != "lr"), check.digest, str(device)


def sample(model: CharModel, vocab: CharVocab, prompt: str, length: int = 200, temperature: float = 0.8,
           seed: int = 0) -> str:
    """`length` characters after `prompt`: each drawn from softmax(logits / temperature); temperature 0 takes the argmax.

    Characters of the prompt the vocabulary lacks are read as its fallback character."""
    device = next(model.parameters()).device
    generator = torch.Generator(device=device).manual_seed(seed)
    was_training = model.training
    model.eval()
    start = prompt if prompt else vocab.fallback  # an empty prompt starts from the fallback character (a space)
    out = []
    with torch.inference_mode():
        logits = model(vocab.encode(start).to(device)[None])[0, -1]  # (V,) after reading the prompt
        state = model.state
        for _ in range(length):
            if temperature <= 0:
                next_id = logits.argmax()
            else:
                probs = torch.softmax(logits.float() / temperature, dim=0)  # (V,)
                next_id = torch.multinomial(probs, 1, generator=generator)[0]
            out.append(int(next_id))
            logits = model(next_id.reshape(1, 1), state)[0, -1]  # (V,)
            state = model.state
    model.train(was_training)
    return prompt + vocab.decode(out)


def sample_from(run: CharRun, prompt: str, length: int = 200, temperature: float = 0.8, seed: int = 0) -> str:
    """sample() on a run's model, holding the run's lock so no training chunk runs meanwhile."""
    with run.locked():
        return sample(run.model, run.vocab, prompt, length, temperature, seed)


def unit_activations(model: CharModel, vocab: CharVocab, passage: str) -> np.ndarray:
    """(T, H) every hidden unit's value at every character of the passage (top layer, eval mode)."""
    was_training = model.training
    model.eval()
    with torch.inference_mode():
        model(vocab.encode(passage).to(next(model.parameters()).device)[None])
        states = model.last_hidden_states[0].float().cpu().numpy()  # (T, H)
    model.train(was_training)
    return states


def held_out_passage(run: CharRun, length: int = 240) -> str:
    """A passage of the held-out text that starts at a line or sentence start, for the activation view."""
    split = int(len(run.text) * (1 - VAL_FRACTION))
    rest = run.text[split:]
    starts = [i + 1 for i, c in enumerate(rest[: len(rest) // 2]) if c == "\n"] or [0]
    return rest[starts[0] : starts[0] + length]


def char_code(setup: CharSetup, source: str) -> str:
    """The PyTorch code of the character model for these settings."""
    layer = {"LSTM": "nn.LSTM", "GRU": "nn.GRU", "RNN": "nn.RNN"}[setup.cell]
    text = "load_corpus()" if source == "corpus" else "open('your_text.txt').read()"
    clip = (f"torch.nn.utils.clip_grad_norm_(model.parameters(), {setup.clip:g})" if setup.clip > 0
            else "# no gradient clipping")
    return f'''
import torch
from torch import nn
import torch.nn.functional as F
from dlplay.data.text_corpus import CharVocab, load_corpus

text = {text}
vocab = CharVocab.from_text(text)
ids = vocab.encode(text)  # (L,) one id per character
windows = ids.unfold(0, {setup.seq_len + 1}, {max(1, setup.seq_len // 2)})  # (N, T + 1)
X, y = windows[:, :-1], windows[:, 1:]  # predict every next character


class CharModel(nn.Module):
    def __init__(self, vocab_size, embed_dim={setup.embed_dim}, hidden_size={setup.hidden_size}):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.rnn = {layer}(embed_dim, hidden_size, num_layers={setup.num_layers}, batch_first=True)
        self.fc = nn.Linear(hidden_size, vocab_size)

    def forward(self, x, hidden=None):
        output, hidden = self.rnn(self.embedding(x), hidden)  # (B, T, H)
        return self.fc(output), hidden  # (B, T, V) logits of the next character


model = CharModel(vocab.size)
optimizer = torch.optim.Adam(model.parameters(), lr={setup.lr:g})
for step in range(2000):
    index = torch.randint(0, len(X), ({setup.batch_size},))
    logits, _ = model(X[index])
    loss = F.cross_entropy(logits.reshape(-1, vocab.size), y[index].reshape(-1))
    optimizer.zero_grad()
    loss.backward()
    {clip}
    optimizer.step()


@torch.no_grad()
def sample(prompt="The ", length=200, temperature=0.8):
    logits, hidden = model(vocab.encode(prompt)[None])
    out = []
    for _ in range(length):
        probs = torch.softmax(logits[0, -1] / temperature, dim=0)  # temperature → 0: always the likeliest
        next_id = torch.multinomial(probs, 1)
        out.append(int(next_id))
        logits, hidden = model(next_id[None], hidden)
    return prompt + vocab.decode(out)
'''
