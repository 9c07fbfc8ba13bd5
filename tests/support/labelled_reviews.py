"""A small labelled file whose evaluation is counted by hand: the model says positive for
LOVE and negative for RIPPED (tests check it from the stored results)."""

import csv
import io

LOVE, RIPPED = "Absolutely love this top!", "Terrible, it ripped."
ROWS = [
    (LOVE, "positive"),
    (LOVE, " Positive "),  # matched trimmed, case-insensitively
    (LOVE, "negative"),
    (RIPPED, "negative"),
    (RIPPED, "NEGATIVE"),
    (RIPPED, "neutral"),
    (LOVE, "great"),  # not a label of the model: counted, not compared
    (RIPPED, ""),  # no label: counted, not compared
    ("", "positive"),  # an empty text fails (01): not compared
]
# By hand. Compared rows (expected -> predicted): pos->pos, pos->pos, neg->pos, neg->neg,
# neg->neg, neu->neg. Rows and columns: negative, neutral, positive.
CONFUSION = [[2, 0, 1], [1, 0, 0], [0, 0, 2]]
ACCURACY = 4 / 6
MACRO_F1 = (2 / 3 + 0 + 0.8) / 3  # negative 2/3, neutral 0, positive 0.8


def labelled_csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["review", "label"])
    writer.writerows(ROWS)
    return out.getvalue().encode()
