"""Head + tail truncation of sentiment v2's token ids (runtime/head_tail.py)."""

import numpy as np

from services.inference.runtime import head_tail
from tools.devstack.embedded import MODEL_REPOSITORY

TOKENIZER = MODEL_REPOSITORY / "sentiment" / "1" / "tokenizer.json"  # the same vocabulary


def test_short_sequences_are_kept_whole():
    ids = [101, *range(1000, 1100), 102]
    assert head_tail.cut(ids) == ids


def test_long_sequences_keep_the_first_head_and_last_tail_word_pieces():
    words = list(range(1000, 1300))
    out = head_tail.cut([101, *words, 102])
    assert len(out) == head_tail.HEAD + head_tail.TAIL + 2 == 128
    assert out[0] == 101 and out[-1] == 102
    assert out[1 : 1 + head_tail.HEAD] == words[: head_tail.HEAD]
    assert out[1 + head_tail.HEAD : -1] == words[-head_tail.TAIL :]


def test_a_long_review_keeps_its_verdict_at_the_end():
    tokenizer = head_tail.load_plain_tokenizer(TOKENIZER)
    text = "The fabric is nice. " * 60 + "Sadly I returned it."
    (ids,) = head_tail.encode(tokenizer, [text])
    assert len(ids) == 128
    tail = tokenizer.decode(ids[-10:])
    assert tail.endswith("sadly i returned it.")


def test_sorted_batches_pad_each_batch_to_its_own_longest_row():
    ids = [[101, 5, 6, 7, 102], [101, 102], [101, 5, 102], [101, 1, 2, 3, 4, 5, 6, 102]]
    batches = list(head_tail.sorted_batches(ids, 2))
    assert [chunk for chunk, _, _ in batches] == [[1, 2], [0, 3]]
    _, tok, mask = batches[0]
    assert tok.tolist() == [[101, 102, 0], [101, 5, 102]]
    assert mask.tolist() == [[1, 1, 0], [1, 1, 1]]
    assert batches[1][1].shape == (2, 8) and batches[1][1].dtype == np.int64
