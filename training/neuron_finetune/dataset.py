"""JSON Lines fine-tuning data -> prompt/response pairs in one prompt template, and a deterministic split.

Accepted record shapes (one JSON object per line; blank lines are skipped; other keys such as ``id`` are ignored):

- ``{"prompt": ..., "response": ...}``
- ``{"instruction": ..., "input": ..., "output": ...}`` (``input`` optional, may be empty)
- ``{"messages": [{"role": "system"|"user"|"assistant", "content": ...}, ...]}``: the last message must be the
  assistant's; it becomes the response and the turns before it the prompt.

The template follows the book's prompt structure: the context goes first, inside ``<text>...</text>`` tags; the
instruction comes after it, at the end, just before the output indicator ``### Response:`` (for long inputs the book
puts the instruction last, right before the output indicator). In chats every turn is marked ``User:`` /
``Assistant:`` (and ``System:``), and ``Assistant:`` is the output indicator::

    <text>
    {input}
    </text>

    ### Instruction:
    {instruction}

    ### Response:
    {response}

Errors name the line number and the problem, never the text of the record (prompt and response text is not
logged). :func:`split` is deterministic: it depends on the seed and the examples, not on their order.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "INSTRUCTION_HEADER",
    "RESPONSE_MARKER",
    "DatasetError",
    "Example",
    "build_chat_prompt",
    "build_prompt",
    "encode_example",
    "load_jsonl",
    "load_jsonl_files",
    "load_jsonl_report",
    "parse_record",
    "split",
]

INSTRUCTION_HEADER = "### Instruction:"
RESPONSE_MARKER = "### Response:"
INPUT_OPEN, INPUT_CLOSE = "<text>", "</text>"
CHAT_ROLES = {"system": "System", "user": "User", "assistant": "Assistant"}
CHAT_RESPONSE_MARKER = "Assistant:"
MAX_ERRORS_SHOWN = 20
IGNORE_INDEX = -100  # label value the loss ignores (prompt and padding tokens)


@dataclass(frozen=True)
class Example:
    """One training example: ``prompt`` ends with the output indicator; ``response`` is what the model learns."""

    prompt: str
    response: str

    @property
    def text(self) -> str:
        """Prompt and response joined the way the model sees them (the tokenizer adds the end-of-sequence token)."""
        return f"{self.prompt}\n{self.response}"


class DatasetError(ValueError):
    """Malformed records; ``errors`` lists ``(line_number, problem)`` for each."""

    def __init__(self, errors: Sequence[tuple[int, str]], source: str = "") -> None:
        self.errors = list(errors)
        where = f" in {source}" if source else ""
        shown = "; ".join(f"line {line}: {problem}" for line, problem in self.errors[:MAX_ERRORS_SHOWN])
        more = len(self.errors) - MAX_ERRORS_SHOWN
        suffix = f"; and {more} more" if more > 0 else ""
        super().__init__(f"{len(self.errors)} malformed record(s){where}: {shown}{suffix}")


def build_prompt(instruction: str, input_text: str | None = None) -> str:
    """The prompt for an instruction, with the optional input as tagged context before it."""
    parts = []
    if input_text and input_text.strip():
        parts.append(f"{INPUT_OPEN}\n{input_text.strip()}\n{INPUT_CLOSE}\n")
    parts.append(f"{INSTRUCTION_HEADER}\n{instruction.strip()}\n")
    parts.append(RESPONSE_MARKER)
    return "\n".join(parts)


def build_chat_prompt(turns: Sequence[tuple[str, str]]) -> str:
    """The prompt for a conversation: each ``(role, content)`` turn on its own, then ``Assistant:``."""
    lines = [f"{CHAT_ROLES[role]}: {content.strip()}" for role, content in turns]
    lines.append(CHAT_RESPONSE_MARKER)
    return "\n".join(lines)


class _Invalid(Exception):
    pass


def _text(record: dict, key: str, *, required: bool = True) -> str:
    if key not in record or record[key] is None:
        if required:
            raise _Invalid(f"missing {key!r}")
        return ""
    value = record[key]
    if not isinstance(value, str):
        raise _Invalid(f"{key!r} must be a string, got {type(value).__name__}")
    if required and not value.strip():
        raise _Invalid(f"{key!r} is empty")
    return value


def _chat(messages: object) -> Example:
    if not isinstance(messages, list) or not messages:
        raise _Invalid("'messages' must be a non-empty list")
    turns: list[tuple[str, str]] = []
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            raise _Invalid(f"messages[{index}] must be an object with 'role' and 'content'")
        role = message.get("role")
        if role not in CHAT_ROLES:
            raise _Invalid(f"messages[{index}].role must be one of {', '.join(CHAT_ROLES)}, got {role!r}")
        if role == "system" and index != 0:
            raise _Invalid(f"messages[{index}]: a system message may only come first")
        content = message.get("content")
        if not isinstance(content, str) or not content.strip():
            raise _Invalid(f"messages[{index}].content must be a non-empty string")
        turns.append((role, content))
    if turns[-1][0] != "assistant":
        raise _Invalid("the last message must be the assistant's (it is the response to learn)")
    if not any(role == "user" for role, _ in turns[:-1]):
        raise _Invalid("a conversation needs a user message before the assistant's response")
    return Example(build_chat_prompt(turns[:-1]), turns[-1][1].strip())


def parse_record(record: object) -> Example:
    """One decoded JSON record -> :class:`Example`; raises ``ValueError`` saying what is wrong (never the text)."""
    try:
        if not isinstance(record, dict):
            raise _Invalid(f"expected a JSON object, got {type(record).__name__}")
        if "messages" in record:
            return _chat(record["messages"])
        if "instruction" in record or "output" in record:
            instruction = _text(record, "instruction")
            output = _text(record, "output")
            return Example(build_prompt(instruction, _text(record, "input", required=False)), output.strip())
        if "prompt" in record or "response" in record:
            prompt = _text(record, "prompt")
            response = _text(record, "response")
            return Example(build_prompt(prompt), response.strip())
        keys = ", ".join(sorted(map(str, record))) or "none"
        raise _Invalid(
            f"unknown record shape: expected prompt/response, instruction/input/output or messages (keys present: {keys})"
        )
    except _Invalid as exc:
        raise ValueError(str(exc)) from None


def load_jsonl(lines: Iterable[str], *, source: str = "", strict: bool = True) -> list[Example]:
    """Parse JSON Lines. With ``strict`` every malformed line is reported at once in a :class:`DatasetError`;
    otherwise malformed lines are skipped (the caller can count them with :func:`load_jsonl_report`)."""
    examples, errors = load_jsonl_report(lines)
    if errors and strict:
        raise DatasetError(errors, source)
    return examples


def load_jsonl_report(lines: Iterable[str]) -> tuple[list[Example], list[tuple[int, str]]]:
    """Parse JSON Lines -> (examples, [(line number, problem)])."""
    examples: list[Example] = []
    errors: list[tuple[int, str]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append((number, f"invalid JSON ({exc.msg} at column {exc.colno})"))
            continue
        try:
            examples.append(parse_record(record))
        except ValueError as exc:
            errors.append((number, str(exc)))
    return examples, errors


def load_jsonl_files(directory: str | Path, *, strict: bool = True) -> list[Example]:
    """Every ``*.jsonl`` / ``*.json`` file of a SageMaker channel directory, in name order."""
    root = Path(directory)
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in {".jsonl", ".json"})
    if not files:
        raise DatasetError([(0, f"no .jsonl files under {root}")], str(root))
    examples: list[Example] = []
    for path in files:
        with path.open(encoding="utf-8") as handle:
            examples.extend(load_jsonl(handle, source=str(path.relative_to(root)), strict=strict))
    if not examples:
        raise DatasetError([(0, "no usable records")], str(root))
    return examples


def _key(example: Example, seed: int) -> bytes:
    digest = hashlib.sha256()
    for part in (str(seed), example.prompt, example.response):
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    return digest.digest()


def split(examples: Sequence[Example], validation_fraction: float, seed: int) -> tuple[list[Example], list[Example]]:
    """Deterministic train/validation split.

    Each example is ranked by a SHA-256 of (seed, prompt, response); the lowest ``round(n * fraction)`` go to
    validation (at least one when the fraction is positive and there are two or more examples, never all of them).
    The result depends on the seed and the examples only, not on the order of the file; both parts keep the
    input order.
    """
    if not 0 <= validation_fraction < 1:
        raise ValueError(f"validation_fraction must be in [0, 1), got {validation_fraction}")
    n = len(examples)
    count = min(max(round(n * validation_fraction), 1), n - 1) if validation_fraction > 0 and n >= 2 else 0
    ranked = sorted(range(n), key=lambda i: (_key(examples[i], seed), i))
    held_out = set(ranked[:count])
    train = [example for i, example in enumerate(examples) if i not in held_out]
    validation = [example for i, example in enumerate(examples) if i in held_out]
    return train, validation


def encode_example(
    example: Example,
    tokenize: Callable[[str], list[int]],
    *,
    eos_token_id: int,
    pad_token_id: int,
    max_length: int,
) -> dict[str, list[int]] | None:
    """Token ids for causal-LM fine-tuning on the response only, padded to ``max_length`` (static shapes for Neuron).

    ``tokenize`` maps text to ids without special tokens. Labels are ``IGNORE_INDEX`` for the prompt and the
    padding, so the loss covers the response and its end-of-sequence token. A sequence longer than ``max_length`` is
    cut at the end; an example whose response is cut away entirely returns None (nothing to learn from it).
    """
    if max_length < 2:
        raise ValueError(f"max_length must be at least 2, got {max_length}")
    prompt_ids = list(tokenize(example.prompt + "\n"))
    response_ids = [*tokenize(example.response), eos_token_id]
    input_ids = (prompt_ids + response_ids)[:max_length]
    labels = ([IGNORE_INDEX] * len(prompt_ids) + response_ids)[:max_length]
    if all(label == IGNORE_INDEX for label in labels):
        return None
    padding = max_length - len(input_ids)
    return {
        "input_ids": input_ids + [pad_token_id] * padding,
        "attention_mask": [1] * len(input_ids) + [0] * padding,
        "labels": labels + [IGNORE_INDEX] * padding,
    }
