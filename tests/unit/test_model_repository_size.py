"""The committed model files stay inside the project's budget (issue 8: ~60 MB in total)."""

from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2] / "services" / "inference" / "model_repository"
BUDGET_BYTES = 60_000_000


def test_model_repository_fits_the_size_budget():
    total = sum(p.stat().st_size for p in REPOSITORY.rglob("*") if p.is_file())
    assert total < BUDGET_BYTES, f"{total:,} bytes of model files"


def test_the_shared_encoder_named_by_the_text_models_exists():
    for model in ("sentiment", "embedding"):
        config = (REPOSITORY / model / "config.pbtxt").read_text()
        assert 'string_value: "minilm-encoder-layers-1-4.onnx"' in config
    assert (REPOSITORY / "minilm-encoder-layers-1-4.onnx").is_file()
