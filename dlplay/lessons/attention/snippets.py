"""The PyTorch code the page runs for its current settings, for the code panels."""

from __future__ import annotations

from dlplay.lessons.attention.lab import LabConfig
from dlplay.lessons.attention.language_model import LMConfig
from dlplay.lessons.attention.tasks import MAX_LENGTH, OUT_SIZE, TASKS

CURRICULUM = '''
import torch
import torch.nn as nn
import torch.nn.functional as F

class SelfAttention(nn.Module):
    def __init__(self, embed_dim):
        super().__init__()
        self.query = nn.Linear(embed_dim, embed_dim)
        self.key = nn.Linear(embed_dim, embed_dim)
        self.value = nn.Linear(embed_dim, embed_dim)
        self.scale = embed_dim ** 0.5

    def forward(self, x):
        Q = self.query(x)
        K = self.key(x)
        V = self.value(x)

        # Attention scores
        scores = torch.matmul(Q, K.transpose(-2, -1)) / self.scale
        attention = F.softmax(scores, dim=-1)

        return torch.matmul(attention, V)

class TransformerBlock(nn.Module):
    def __init__(self, embed_dim, num_heads, ff_dim, dropout=0.1):
        super().__init__()
        self.attention = nn.MultiheadAttention(embed_dim, num_heads)
        self.norm1 = nn.LayerNorm(embed_dim)
        self.norm2 = nn.LayerNorm(embed_dim)
        self.ff = nn.Sequential(
            nn.Linear(embed_dim, ff_dim),
            nn.GELU(),
            nn.Linear(ff_dim, embed_dim)
        )
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        # Self-attention with residual
        attn_out, _ = self.attention(x, x, x)
        x = self.norm1(x + self.dropout(attn_out))

        # Feed-forward with residual
        ff_out = self.ff(x)
        x = self.norm2(x + self.dropout(ff_out))

        return x
'''


def stepped_code(embed_dim: int, scale: bool, causal: bool, temperature: float) -> str:
    """SelfAttention of the curriculum, then the same matrices one at a time as section 1 shows them."""
    divisor = "attn.scale" if scale else "1.0  # scaling switched off"
    mask = ("\nmask = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)  # True above the diagonal: the future"
            "\nscores = scores.masked_fill(mask, float('-inf'))") if causal else ""
    return CURRICULUM.split("class TransformerBlock")[0] + f'''
attn = SelfAttention({embed_dim})
X = embeddings                      # (T, {embed_dim}): one vector per token
Q = attn.query(X)                   # (T, {embed_dim})
K = attn.key(X)                     # (T, {embed_dim})
V = attn.value(X)                   # (T, {embed_dim})
T = X.shape[0]
scores = Q @ K.T / {divisor}        # (T, T){mask}
weights = F.softmax(scores / {temperature:g}, dim=-1)   # temperature {temperature:g}; rows sum to 1
output = weights @ V                # (T, {embed_dim}); equals attn(X) at temperature 1 without a mask
'''


def heads_code(embed_dim: int, num_heads: int, causal: bool, padding: bool) -> str:
    """nn.MultiheadAttention called as section 2 calls it, and the same split by hand."""
    d = embed_dim // num_heads
    masks = []
    if causal:
        masks.append("attn_mask=torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)")
    if padding:
        masks.append("key_padding_mask=is_pad.unsqueeze(0)  # (1, T): True at the <pad> tokens")
    extra = "".join(f", {m}" for m in masks)
    return f'''
mha = nn.MultiheadAttention({embed_dim}, {num_heads})   # sequence-first: inputs are (T, B, C)
x = X.unsqueeze(1)                                        # (T, 1, {embed_dim})
out, weights = mha(x, x, x, need_weights=True, average_attn_weights=False{extra})
# weights: (1, {num_heads}, T, T), one map per head

# The same by hand
W_q, W_k, W_v = mha.in_proj_weight.chunk(3)              # each ({embed_dim}, {embed_dim})
b_q, b_k, b_v = mha.in_proj_bias.chunk(3)
Q = (X @ W_q.T + b_q).view(T, {num_heads}, {d}).transpose(0, 1)   # (T, {embed_dim}) → ({num_heads}, T, {d})
K = (X @ W_k.T + b_k).view(T, {num_heads}, {d}).transpose(0, 1)
V = (X @ W_v.T + b_v).view(T, {num_heads}, {d}).transpose(0, 1)
A = F.softmax(Q @ K.transpose(-2, -1) / {d} ** 0.5, dim=-1)        # ({num_heads}, T, T), masked cells set to -inf first
heads = A @ V                                                      # ({num_heads}, T, {d})
concat = heads.transpose(0, 1).reshape(T, {embed_dim})             # (T, {embed_dim})
output = concat @ mha.out_proj.weight.T + mha.out_proj.bias        # (T, {embed_dim}) == out[:, 0]
'''


def _model_code(vocab: str, embed_dim: int, num_heads: int, num_layers: int, max_len: int, out: str, positional: str,
                causal: bool, dropout: float) -> str:
    position = {
        "sinusoidal": "self.register_buffer('pos', sinusoidal_encoding(max_len, embed_dim))  # fixed sin/cos table",
        "learned": "self.pos = nn.Parameter(torch.randn(max_len, embed_dim))  # learned, one vector per position",
        "none": "self.register_buffer('pos', torch.zeros(max_len, embed_dim))  # no position information at all",
    }[positional]
    mask = ("mask = torch.triu(torch.ones(T, T, dtype=torch.bool, device=tokens.device), 1)  # no peeking ahead"
            if causal else "mask = None  # every position sees every other")
    return f'''
class SequenceModel(nn.Module):
    def __init__(self, vocab_size={vocab}, embed_dim={embed_dim}, num_heads={num_heads}, num_layers={num_layers},
                 max_len={max_len}, out_size={out}):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        {position}
        self.blocks = nn.ModuleList(TransformerBlock(embed_dim, num_heads, 2 * embed_dim, dropout={dropout:g})
                                    for _ in range(num_layers))
        self.head = nn.Linear(embed_dim, out_size)

    def forward(self, tokens):                       # (B, T) integers
        T = tokens.shape[1]
        h = self.embedding(tokens) + self.pos[:T]    # (B, T, C)
        h = h.transpose(0, 1)                        # (T, B, C): the blocks are sequence-first
        {mask}
        for block in self.blocks:                    # keep each block's per-head weights to plot them:
            h = block(h, attn_mask=mask)             # self.attention(x, x, x, attn_mask=mask, need_weights=True,
                                                     #                average_attn_weights=False) inside
        return self.head(h.transpose(0, 1))          # (B, T, out_size)
'''


def lab_code(config: LabConfig) -> str:
    """The curriculum's classes, the lab's model and its training loop for these settings."""
    task = TASKS[config.task]
    target = {"reverse": "X.flip(1)", "copy": "X.clone()", "sort": "X.sort(dim=1).values",
              "count": "(X.unsqueeze(2) == X.unsqueeze(1)).sum(dim=2)"}[config.task]
    return CURRICULUM + _model_code("10", config.embed_dim, config.num_heads, config.num_layers, MAX_LENGTH, str(OUT_SIZE),
                                    config.positional, False, config.dropout) + f'''

# Task "{task.name}": {task.rule}
def make_batch(batch_size, generator):
    X = torch.randint(0, 10, (batch_size, {config.length}), generator=generator)   # (B, T) random digits
    return X, {target}

model = SequenceModel()
optimizer = torch.optim.Adam(model.parameters(), lr={config.lr:g})
generator = torch.Generator().manual_seed({config.seed})
for step in range(2000):
    X, y = make_batch({config.batch_size}, generator)    # fresh sequences every step: no overfitting
    logits = model(X)                                     # (B, T, {OUT_SIZE})
    loss = F.cross_entropy(logits.flatten(0, 1), y.flatten())
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
'''


def lm_code(config: LMConfig, vocab_size: int) -> str:
    """The curriculum's classes, the causal model and the language model's loop and sampler for these settings."""
    return CURRICULUM + _model_code(str(vocab_size), config.embed_dim, config.num_heads, config.num_layers, config.context,
                                    "vocab_size", config.positional, True, config.dropout) + f'''

from dlplay.data.text_corpus import CharVocab, load_corpus
text = load_corpus()
vocab = CharVocab.from_text(text)
data = vocab.encode(text)                               # (N,) character ids

model = SequenceModel()
optimizer = torch.optim.Adam(model.parameters(), lr={config.lr:g})
for step in range(3000):
    starts = torch.randint(0, len(data) - {config.context} - 1, ({config.batch_size},))
    index = starts[:, None] + torch.arange({config.context})   # (B, T)
    X, y = data[index], data[index + 1]                   # y: the next character at every position
    loss = F.cross_entropy(model(X).flatten(0, 1), y.flatten())
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

@torch.no_grad()
def sample(prompt, length, temperature=0.8, top_k=10):
    ids = vocab.encode(prompt).tolist()
    for _ in range(length):
        logits = model(torch.tensor([ids[-{config.context}:]]))[0, -1] / temperature
        kth = torch.topk(logits, top_k).values[-1]
        probs = F.softmax(logits.masked_fill(logits < kth, float('-inf')), dim=-1)
        ids.append(torch.multinomial(probs, 1).item())
    return vocab.decode(ids)
'''


def position_code(length: int, width: int, positions: bool) -> str:
    """The sinusoidal table, the similarity of positions, and the shuffle check of section 3."""
    added = "P = pe[:T, :16]                      # the encoding, added by position" if positions else \
        "P = torch.zeros(T, 16)                # no position information"
    return CURRICULUM.split("class SelfAttention")[0] + f'''
import math

def sinusoidal_encoding(max_len, embed_dim):
    position = torch.arange(max_len).unsqueeze(1)                          # (T, 1)
    frequency = torch.exp(torch.arange(0, embed_dim, 2) * (-math.log(10000.0) / embed_dim))
    pe = torch.zeros(max_len, embed_dim)
    pe[:, 0::2] = torch.sin(position * frequency)                          # PE[p, 2i]   = sin(p / 10000^(2i/d))
    pe[:, 1::2] = torch.cos(position * frequency)                          # PE[p, 2i+1] = cos(p / 10000^(2i/d))
    return pe

pe = sinusoidal_encoding({length}, {width})
unit = F.normalize(pe, dim=-1)
similarity = unit @ unit.T                                                # ({length}, {length}) cosine similarity

# Shuffle the tokens: without positions the outputs move with them
block = TransformerBlock(16, 2, 32).eval()                                # the curriculum's block
T = X.shape[0]                                                            # X: (T, 16) token vectors
{added}
order = torch.randperm(T)
out = block((X + P).unsqueeze(1)).squeeze(1)                              # (T, 16), sequence-first inside
shuffled = block((X[order] + P).unsqueeze(1)).squeeze(1)
print((shuffled - out[order]).abs().max())                                # ~1e-7 without positions
'''
