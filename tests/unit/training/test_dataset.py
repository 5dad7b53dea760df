"""JSON Lines records -> prompt/response pairs, malformed lines with their numbers, deterministic split."""

from __future__ import annotations

import json
import random

import pytest

from training.neuron_finetune import dataset
from training.neuron_finetune.dataset import DatasetError, Example


def _lines(*records: object) -> list[str]:
    return [record if isinstance(record, str) else json.dumps(record) for record in records]


# --- record shapes ----------------------------------------------------------------------------------------------


def test_prompt_response_record():
    (example,) = dataset.load_jsonl(_lines({"prompt": "Summarize in one sentence.", "response": " A summary. "}))
    assert example.prompt == "### Instruction:\nSummarize in one sentence.\n\n### Response:"
    assert example.response == "A summary."


def test_instruction_with_input_puts_the_tagged_input_first_and_the_instruction_last():
    record = {"instruction": "Translate to English.", "input": "Hola mundo", "output": "Hello world"}
    (example,) = dataset.load_jsonl(_lines(record))
    assert example.prompt == ("<text>\nHola mundo\n</text>\n\n### Instruction:\nTranslate to English.\n\n### Response:")
    assert example.response == "Hello world"
    assert example.text == example.prompt + "\nHello world"


@pytest.mark.parametrize("empty_input", [{"input": ""}, {"input": "   "}, {"input": None}, {}])
def test_instruction_without_input_has_no_tags(empty_input):
    (example,) = dataset.load_jsonl(_lines({"instruction": "Say hi.", "output": "Hi.", **empty_input}))
    assert "<text>" not in example.prompt
    assert example.prompt == "### Instruction:\nSay hi.\n\n### Response:"


def test_chat_record_marks_turns_and_learns_the_last_assistant_message():
    record = {
        "messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "2+2?"},
            {"role": "assistant", "content": "4"},
            {"role": "user", "content": "And 3+3?"},
            {"role": "assistant", "content": "6"},
        ]
    }
    (example,) = dataset.load_jsonl(_lines(record))
    assert example.prompt == "System: You are terse.\nUser: 2+2?\nAssistant: 4\nUser: And 3+3?\nAssistant:"
    assert example.response == "6"


def test_extra_keys_are_ignored_and_blank_lines_skipped():
    examples = dataset.load_jsonl(["", json.dumps({"id": 7, "prompt": "p", "response": "r"}), "   "])
    assert examples == [Example("### Instruction:\np\n\n### Response:", "r")]


# --- malformed lines --------------------------------------------------------------------------------------------


MALFORMED = [
    ("{not json", "invalid JSON"),
    ('["a", "b"]', "expected a JSON object, got list"),
    ({"prompt": "secret question"}, "missing 'response'"),
    ({"prompt": "secret question", "response": ""}, "'response' is empty"),
    ({"instruction": "secret question", "output": 42}, "'output' must be a string, got int"),
    ({"instruction": "secret question", "input": 3, "output": "secret answer"}, "'input' must be a string"),
    ({"question": "secret question", "answer": "secret answer"}, "unknown record shape"),
    ({"messages": []}, "non-empty list"),
    ({"messages": [{"role": "user", "content": "secret question"}]}, "last message must be the assistant"),
    ({"messages": [{"role": "assistant", "content": "secret answer"}]}, "needs a user message"),
    ({"messages": [{"role": "bot", "content": "secret"}]}, "role must be one of system, user, assistant"),
    (
        {
            "messages": [
                {"role": "user", "content": "q"},
                {"role": "system", "content": "s"},
                {"role": "assistant", "content": "a"},
            ]
        },
        "system message may only come first",
    ),
    ({"messages": [{"role": "user", "content": ""}, {"role": "assistant", "content": "a"}]}, "content must be a non-empty"),
    ({"messages": ["hi"]}, "messages[0] must be an object"),
]


@pytest.mark.parametrize(("record", "problem"), MALFORMED)
def test_malformed_record_is_reported_with_its_line_number(record, problem):
    lines = ["", json.dumps({"prompt": "ok", "response": "ok"}), *_lines(record)]
    with pytest.raises(DatasetError) as info:
        dataset.load_jsonl(lines, source="train.jsonl")
    assert len(info.value.errors) == 1
    line, message = info.value.errors[0]
    assert line == 3
    assert problem in message
    assert "line 3:" in str(info.value)
    assert "train.jsonl" in str(info.value)
    # prompt and response text never reach an error message (they end up in logs)
    assert "secret" not in str(info.value)


def test_all_malformed_lines_are_reported_at_once():
    lines = _lines({"prompt": "p", "response": "r"}, "oops", {"prompt": "p"}, {"prompt": "p", "response": "r"}, "[]")
    with pytest.raises(DatasetError) as info:
        dataset.load_jsonl(lines)
    assert [line for line, _ in info.value.errors] == [2, 3, 5]


def test_non_strict_loading_skips_malformed_lines():
    examples, errors = dataset.load_jsonl_report(_lines({"prompt": "p", "response": "r"}, "oops"))
    assert len(examples) == 1
    assert errors == [(2, errors[0][1])]
    assert len(dataset.load_jsonl(_lines({"prompt": "p", "response": "r"}, "oops"), strict=False)) == 1


def test_load_channel_directory(tmp_path):
    (tmp_path / "b.jsonl").write_text(json.dumps({"prompt": "2", "response": "b"}) + "\n", encoding="utf-8")
    (tmp_path / "a.jsonl").write_text(json.dumps({"prompt": "1", "response": "a"}) + "\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("ignored", encoding="utf-8")
    examples = dataset.load_jsonl_files(tmp_path)
    assert [e.response for e in examples] == ["a", "b"]


def test_load_channel_directory_names_the_file_with_a_bad_line(tmp_path):
    (tmp_path / "a.jsonl").write_text('{"prompt": "1", "response": "a"}\n{broken\n', encoding="utf-8")
    with pytest.raises(DatasetError, match=r"in a\.jsonl: line 2: invalid JSON"):
        dataset.load_jsonl_files(tmp_path)


def test_empty_channel_directory(tmp_path):
    with pytest.raises(DatasetError, match=r"no \.jsonl files"):
        dataset.load_jsonl_files(tmp_path)


# --- split ------------------------------------------------------------------------------------------------------


def _examples(n: int) -> list[Example]:
    return [Example(f"prompt {i}", f"response {i}") for i in range(n)]


def test_split_is_deterministic_and_order_independent():
    examples = _examples(200)
    train, validation = dataset.split(examples, 0.1, seed=42)
    assert len(validation) == 20
    assert len(train) == 180
    assert set(train).isdisjoint(validation)
    again = dataset.split(examples, 0.1, seed=42)
    assert again == (train, validation)
    shuffled = examples[:]
    random.Random(0).shuffle(shuffled)
    _, validation_shuffled = dataset.split(shuffled, 0.1, seed=42)
    assert set(validation_shuffled) == set(validation)


def test_split_keeps_input_order_within_each_part():
    examples = _examples(50)
    train, validation = dataset.split(examples, 0.2, seed=1)
    assert train == [e for e in examples if e in set(train)]
    assert validation == [e for e in examples if e in set(validation)]


def test_split_depends_on_the_seed():
    examples = _examples(200)
    assert set(dataset.split(examples, 0.1, seed=1)[1]) != set(dataset.split(examples, 0.1, seed=2)[1])


@pytest.mark.parametrize(("n", "fraction", "expected"), [(10, 0.0, 0), (10, 0.01, 1), (2, 0.5, 1), (1, 0.5, 0), (3, 0.9, 2)])
def test_split_sizes(n, fraction, expected):
    _, validation = dataset.split(_examples(n), fraction, seed=0)
    assert len(validation) == expected


def test_split_rejects_bad_fraction():
    with pytest.raises(ValueError, match="validation_fraction"):
        dataset.split(_examples(3), 1.0, seed=0)


# --- encoding ---------------------------------------------------------------------------------------------------


def _tokenize(text: str) -> list[int]:
    return [ord(c) for c in text]


def test_encode_masks_the_prompt_and_padding():
    encoded = dataset.encode_example(Example("ab", "cd"), _tokenize, eos_token_id=2, pad_token_id=0, max_length=10)
    assert encoded["input_ids"] == [97, 98, 10, 99, 100, 2, 0, 0, 0, 0]
    assert encoded["attention_mask"] == [1, 1, 1, 1, 1, 1, 0, 0, 0, 0]
    assert encoded["labels"] == [-100, -100, -100, 99, 100, 2, -100, -100, -100, -100]


def test_encode_truncates_at_max_length():
    encoded = dataset.encode_example(Example("ab", "cdef"), _tokenize, eos_token_id=2, pad_token_id=0, max_length=5)
    assert encoded["input_ids"] == [97, 98, 10, 99, 100]
    assert encoded["labels"] == [-100, -100, -100, 99, 100]


def test_encode_drops_an_example_whose_prompt_fills_the_window():
    assert dataset.encode_example(Example("abcdef", "x"), _tokenize, eos_token_id=2, pad_token_id=0, max_length=4) is None
