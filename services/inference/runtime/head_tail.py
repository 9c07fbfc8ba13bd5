"""Head + tail truncation: keep a review's opening and its last tokens, drop the middle.

Reviews tend to put their verdict at the end ("...so I returned it"), which plain right
truncation at 128 tokens cuts off for the longest 5 %. Sentiment v2 is trained and served on
[CLS] + the first HEAD word pieces + the last TAIL word pieces + [SEP]. Training
(training/train_sentiment_v2.py) and serving (text_v2.py) both call `encode`, so the two
cannot drift apart.
"""

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from tokenizers import Tokenizer

HEAD = 64
TAIL = 62  # HEAD + TAIL + [CLS] + [SEP] = 128 tokens at most


def load_plain_tokenizer(path: Path) -> Tokenizer:
    """The tokenizer.json with truncation and padding off: `encode` does both itself."""
    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


def cut(ids: Sequence[int], head: int = HEAD, tail: int = TAIL) -> list[int]:
    """[CLS] w1 .. wn [SEP] -> [CLS] w1 .. w_head  w_(n-tail+1) .. wn [SEP] when n > head+tail."""
    words = list(ids[1:-1])
    if len(words) > head + tail:
        words = words[:head] + words[len(words) - tail :]
    return [ids[0], *words, ids[-1]]


def encode(tokenizer: Tokenizer, texts: Sequence[str]) -> list[list[int]]:
    """Token ids of each text, head + tail truncated (no padding)."""
    return [cut(e.ids) for e in tokenizer.encode_batch_fast(list(texts))]


def padded(ids: Sequence[Sequence[int]]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """int64 ids and 0/1 attention mask, padded with 0 to the longest row."""
    width = max(len(row) for row in ids)
    out = np.zeros((len(ids), width), dtype=np.int64)
    mask = np.zeros((len(ids), width), dtype=np.int64)
    for i, row in enumerate(ids):
        out[i, : len(row)] = row
        mask[i, : len(row)] = 1
    return out, mask


def sorted_batches(
    ids: Sequence[Sequence[int]], size: int
) -> Iterator[tuple[list[int], NDArray[np.int64], NDArray[np.int64]]]:
    """(indices, padded ids, mask) per sub-batch of at most `size` rows, shortest first."""
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    for start in range(0, len(order), size):
        chunk = order[start : start + size]
        yield (chunk, *padded([ids[i] for i in chunk]))
