"""The catalog's versions: numbered folders, newest first, each with its card if it has one."""

import json

from services.inference import catalog
from tests.support.model_versions import SHIPPED

CARD = {"split": "dev", "macro_f1": 0.7, "accuracy": 0.8, "per_class": {"a": {"f1": 0.6}}}


def test_versions_are_the_numbered_folders_newest_first_with_their_cards(tmp_path):
    model = tmp_path / "sentiment"
    model.mkdir()
    (model / "inferlane.json").write_text((SHIPPED / "inferlane.json").read_text())
    for name in ("1", "2", "10", "configs", "draft"):
        (model / name).mkdir()
    (model / "10" / "metrics.json").write_text(json.dumps(CARD))
    (model / "2" / "metrics.json").write_text("{not json")
    (model / "1" / "metrics.json").write_text(json.dumps({"note": "no figures"}))
    spec = catalog.load(tmp_path)["sentiment"]
    found = catalog.versions(spec)
    assert [v.number for v in found] == ["10", "2", "1"]  # by number, not by name
    assert found[0].card == catalog.Card(split="dev", macro_f1=0.7, accuracy=0.8, f1={"a": 0.6})
    assert found[1].card is None and found[2].card is None  # unreadable, or no figures
    assert all(catalog.has_version(spec, v.number) for v in found)
    unknown = ("3", "010", "configs", "../sentiment", "\u00b2", "\u0661", "")
    assert not any(catalog.has_version(spec, n) for n in unknown)
    (model / "2").rename(model / "retired-2")
    assert [v.number for v in catalog.versions(spec)] == ["10", "1"]  # read on every look
    assert not catalog.has_version(spec, "2")


def test_the_shipped_sentiment_card_is_read():
    spec = catalog.load(SHIPPED.parent)["sentiment"]
    first = next(v for v in catalog.versions(spec) if v.number == "1")
    assert first.card is not None and first.card.macro_f1 == 0.6486
    assert set(first.card.f1) == {"negative", "neutral", "positive"}
