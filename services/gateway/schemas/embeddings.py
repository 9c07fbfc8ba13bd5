"""The OpenAI embeddings API's shape (`POST /v1/embeddings`), so existing clients work.

Errors stay RFC 7807 problems like the rest of the API (the OpenAI clients raise on the status
alone: 401 AuthenticationError, 404 NotFoundError, 422 UnprocessableEntityError...).
"""

import base64
from collections.abc import Sequence
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, Field
from tokenizers.pre_tokenizers import BertPreTokenizer

MAX_INPUTS = 64  # as many as one predict call (MAX_PREDICT_ROWS)
MAX_INPUT_CHARS = 512  # the text models' limit

_WORDS = BertPreTokenizer()
Text = Annotated[str, Field(min_length=1, max_length=MAX_INPUT_CHARS)]


class EmbeddingsRequest(BaseModel):
    model: str = Field(examples=["embedding"], description="An embedding model's name.")
    input: Text | Annotated[list[Text], Field(min_length=1, max_length=MAX_INPUTS)] = Field(
        description=f"One text, or a list of 1 to {MAX_INPUTS}, each 1 to {MAX_INPUT_CHARS} "
        "characters (token arrays are not accepted).",
        examples=["zipper broke after a week"],
    )
    encoding_format: Literal["float", "base64"] = Field(
        "float", description="`base64`: little-endian float32 bytes, what OpenAI's SDKs ask for."
    )
    dimensions: int | None = Field(
        None, ge=1, description="Must equal the model's output size when given."
    )
    user: str | None = Field(None, max_length=256, description="Accepted and ignored.")

    def texts(self) -> list[str]:
        return [self.input] if isinstance(self.input, str) else list(self.input)


class Embedding(BaseModel):
    object: Literal["embedding"] = "embedding"
    index: int
    embedding: list[float] | str


class Usage(BaseModel):
    prompt_tokens: int
    total_tokens: int


class EmbeddingsResponse(BaseModel):
    object: Literal["list"] = "list"
    data: list[Embedding]
    model: str
    usage: Usage


def encode(vector: Sequence[float], encoding_format: str) -> list[float] | str:
    if encoding_format == "base64":
        return base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode()
    return list(vector)


def prompt_tokens(texts: Sequence[str]) -> int:
    """Words and punctuation marks (BERT's pre-tokenizer) plus [CLS] and [SEP] per text: a
    lower bound of the model's WordPiece tokens, which may split a rare word further."""
    return sum(len(_WORDS.pre_tokenize_str(t)) + 2 for t in texts)
