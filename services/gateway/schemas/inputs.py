"""What one model input may be at the edge: the rules single tasks and predictions share."""

from typing import Any

MAX_TEXT_CHARS = 512
MAX_INPUTS = 16
# Levels of lists/objects inside one input value (a matrix of numbers is 2); protobuf's
# Struct refuses more than 100, so the limit is checked here rather than met there as a 500.
MAX_INPUT_DEPTH = 4


def check_input_value(value: Any, depth: int = 0) -> None:
    """A text within MAX_TEXT_CHARS, lists and objects within MAX_INPUT_DEPTH levels."""
    if isinstance(value, str):
        if len(value) > MAX_TEXT_CHARS:
            raise ValueError(f"a text is at most {MAX_TEXT_CHARS} characters")
    elif isinstance(value, list | dict):
        if depth >= MAX_INPUT_DEPTH:
            raise ValueError(f"an input value nests at most {MAX_INPUT_DEPTH} levels")
        for item in value.values() if isinstance(value, dict) else value:
            check_input_value(item, depth + 1)


def check_inputs(inputs: dict[str, Any]) -> dict[str, Any]:
    """One row of inputs (name → value): at most MAX_INPUTS, each value checked."""
    if len(inputs) > MAX_INPUTS:
        raise ValueError(f"at most {MAX_INPUTS} inputs")
    for value in inputs.values():
        check_input_value(value)
    return inputs


INPUTS_DESCRIPTION = (
    f"Input name → value (at most {MAX_INPUTS}); a text is at most {MAX_TEXT_CHARS} characters, "
    f"and a value nests lists or objects at most {MAX_INPUT_DEPTH} deep."
)
