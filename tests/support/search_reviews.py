"""A small review file for search tests: groups of near-duplicate reviews (the same complaint
or praise in other words), one empty review (a row that fails), and a stars column."""

import csv
import io

GROUPS = [
    [
        "The zipper broke after a week of use.",
        "After only one week the zip broke.",
        "Zipper snapped within a week, very disappointing.",
    ],
    [
        "The shoes are far too small, order two sizes up.",
        "These shoes run very small; buy a couple of sizes bigger.",
        "Way too small, I had to return the shoes for a larger size.",
    ],
    [
        "Lovely soft fabric and the colour is exactly as pictured.",
        "The material is so soft and the colour matches the photo.",
        "Beautiful soft cloth, colour just like in the pictures.",
    ],
    [
        "Delivery took a month and the box arrived crushed.",
        "Shipping was incredibly slow and the package came damaged.",
        "It took weeks to arrive and the parcel was smashed.",
    ],
    [
        "The battery dies after two hours, useless for a day out.",
        "Battery life is terrible, it is flat after a couple of hours.",
        "Runs out of battery in two hours, cannot last a day.",
    ],
    [
        "Great value for money, I would buy it again.",
        "Excellent price for what you get, will purchase again.",
        "Very good value, happy to buy this again.",
    ],
]
EMPTY_ROW = len(GROUPS) * 3  # its review is blank: the row fails with code 01, no vector
ROWS = EMPTY_ROW + 1


def group_of(row: int) -> list[int]:
    """Rows of the near-duplicate group that `row` belongs to."""
    first = row - row % 3
    return [first, first + 1, first + 2]


def reviews_csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["review", "stars"])
    for g, group in enumerate(GROUPS):
        for text in group:
            writer.writerow([text, 1 + g % 5])
    writer.writerow(["", 3])
    return out.getvalue().encode()
