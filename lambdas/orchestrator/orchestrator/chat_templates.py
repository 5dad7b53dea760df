"""Prompts for text-generation containers (TGI / LMI on Inferentia), which take one string: the
turns rendered with the model's chat template (``MODELS[].template``), every turn's text escaped so
that no caller text (input, context, examples, instructions, chat history, model output kept in
history) can open a turn of its own (issue 12 item 12).

* ``generic``: ``User:`` / ``Assistant:`` lines, as the book recommends for plain completion models.
* ``llama3``: Meta Llama 3 / 3.1 instruct headers (``<|start_header_id|>role<|end_header_id|>``,
  turns closed by ``<|eot_id|>``). ``<|begin_of_text|>`` is left to the tokenizer, which TGI and
  LMI run with special tokens added (unverified for every container version: check the endpoint's
  tokenizer config when adding a model).
* ``mistral``: ``[INST] ... [/INST]`` (Mistral / Mixtral instruct; no system role, so the system
  prompt leads the first instruction); ``<s>`` likewise left to the tokenizer.
* ``zephyr``: ``<|system|>`` / ``<|user|>`` / ``<|assistant|>`` turns closed by ``</s>`` (the chat template in the
  ``tokenizer_config.json`` of HuggingFaceH4/zephyr-7b-beta and TinyLlama/TinyLlama-1.1B-Chat-v1.0, the models
  this project ships serving settings for).

Escaping is the same for every template (a marker of another template is harmless to escape, and
a model may know several): special-token spellings ``<|name|>`` lose their bars, ``[INST]``-style
and ``<s>`` markers their brackets, and a line that starts with a role name and a colon (ASCII or a
form NFKC folds to one) gets the role in parentheses.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

TEMPLATES = ("generic", "llama3", "mistral", "zephyr")
DEFAULT_TEMPLATE = "generic"

_SPECIAL_TOKEN = re.compile(r"<\|\s*([^|<>]{0,64}?)\s*\|>")
_BARS = re.compile(r"<\||\|>")
_INST = re.compile(r"\[\s*(/?)\s*(INST|SYS)\s*\]|<<\s*(/?)\s*SYS\s*>>|<\s*(/?)\s*s\s*>", re.IGNORECASE)
# ':' and the characters NFKC folds to ':' (fullwidth, small, presentation form, ratio, modifier).
_COLONS = ":\uff1a\ufe55\ufe13\u2236\ua789"
_ROLE_LINE = re.compile(rf"(?im)^([ \t]*)(user|assistant|system|human|ai|bot)([ \t]*)([{_COLONS}])")


def escape(text: str) -> str:
    text = _SPECIAL_TOKEN.sub(lambda m: f"<{m.group(1)}>", text)
    text = _BARS.sub(lambda m: m.group(0).replace("|", "¦"), text)
    text = _INST.sub(lambda m: "(" + (m.group(1) or m.group(3) or m.group(4) or "") + _inst_name(m.group(0)) + ")", text)
    return _ROLE_LINE.sub(lambda m: f"{m.group(1)}({m.group(2)}){m.group(3)}{m.group(4)}", text)


def _inst_name(marker: str) -> str:
    upper = marker.upper()
    return "INST" if "INST" in upper else ("SYS" if "SYS" in upper else "s")


def render(template: str, system: str, turns: Sequence[tuple[str, str]]) -> str:
    """One prompt string ending where the model continues as the assistant."""
    system = escape(system.strip())
    escaped = [(role, escape(text.strip())) for role, text in turns]
    if template == "llama3":
        parts = [_llama3_turn("system", system)] if system else []
        parts += [_llama3_turn(role, text) for role, text in escaped]
        return "".join(parts) + "<|start_header_id|>assistant<|end_header_id|>\n\n"
    if template == "zephyr":
        parts = [_zephyr_turn("system", system)] if system else []
        parts += [_zephyr_turn(role, text) for role, text in escaped]
        return "".join(parts) + "<|assistant|>\n"
    if template == "mistral":
        prompt = ""
        for index, (role, text) in enumerate(escaped):
            if role == "user":
                lead = f"{system}\n\n" if index == 0 and system else ""
                prompt += f"[INST] {lead}{text} [/INST]"
            else:
                prompt += f" {text}</s>"
        return prompt
    lines = [system, ""]
    lines += [("User: " if role == "user" else "Assistant: ") + text for role, text in escaped]
    lines.append("Assistant:")
    return "\n".join(lines)


def _llama3_turn(role: str, text: str) -> str:
    return f"<|start_header_id|>{role}<|end_header_id|>\n\n{text}<|eot_id|>"


def _zephyr_turn(role: str, text: str) -> str:
    return f"<|{role}|>\n{text}</s>\n"


def runaway_markers(template: str) -> tuple[str, ...]:
    """What starts a next turn (or ends this one) in ``template``'s output."""
    return {
        "llama3": ("<|eot_id|>", "<|start_header_id|>"),
        "mistral": ("[INST]", "</s>"),
        "zephyr": ("</s>", "<|user|>"),
    }.get(template, ("\nUser:",))


def cut_runaway(template: str, text: str) -> str:
    """The model's answer up to the next turn it may have started writing itself."""
    markers = runaway_markers(template)
    cuts = [index for index in (text.find(marker) for marker in markers) if index >= 0]
    return text[: min(cuts)] if cuts else text
