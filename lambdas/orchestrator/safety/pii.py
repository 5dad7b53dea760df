"""PII spans: Comprehend results mapped onto the original text, a local pre-pass, masking and
placeholder restoration.

Nothing here logs or stores a value. The pseudonymization mapping (:class:`PlaceholderVault`)
lives only in the request's :class:`~safety.filter.InputScreening` object.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from .settings import PII_ENTITY_TYPES, SafetySettings

# Rank of actions when overlapping spans are merged: the strictest wins.
_ACTION_RANK = {"ignored": 0, "allow": 1, "mask": 2, "block": 3}


@dataclass(frozen=True)
class Entity:
    """A PII span over the text it was detected in (character offsets, end exclusive)."""

    type: str
    begin: int
    end: int
    score: float
    source: str = "comprehend"  # or "local" (the pre-pass below)
    action: str = "mask"  # mask | block | allow | ignored (below pii_min_score)

    def to_dict(self) -> dict[str, object]:
        return {
            "type": self.type,
            "begin": self.begin,
            "end": self.end,
            "score": round(float(self.score), 4),
            "action": self.action,
            "source": self.source,
        }


# --------------------------------------------------------------------------- Comprehend results
def map_chunk_entities(raw: Iterable[dict], chunk_start: int, chunk_end: int) -> list[Entity]:
    """Shift a chunk's ``Entities`` to offsets in the full text, clamped to the chunk."""
    mapped = []
    length = chunk_end - chunk_start
    for item in raw:
        begin = min(max(int(item.get("BeginOffset", 0)), 0), length)
        end = min(max(int(item.get("EndOffset", 0)), begin), length)
        if end <= begin or not item.get("Type"):
            continue
        mapped.append(
            Entity(
                type=str(item["Type"]),
                begin=chunk_start + begin,
                end=chunk_start + end,
                score=float(item.get("Score", 0.0)),
            )
        )
    return mapped


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def expand_to_tokens(text: str, entity: Entity) -> Entity:
    """Grow a span to whole words (letters, digits and ``@ . _ + - '`` between them).

    Defence in depth against off-by-some offsets (the API reference does not say whether its
    offsets count code points or UTF-16 units): a shifted span still masks the whole token, and
    masking a little more is always the safe side.
    """
    begin, end = entity.begin, entity.end
    joiners = "@._+-'"
    while begin > 0 and (
        _is_word_char(text[begin - 1])
        or (text[begin - 1] in joiners and begin > 1 and _is_word_char(text[begin - 2]) and _is_word_char(text[begin]))
    ):
        begin -= 1
    n = len(text)
    while end < n and (
        _is_word_char(text[end])
        or (text[end] in joiners and end + 1 < n and _is_word_char(text[end + 1]) and _is_word_char(text[end - 1]))
    ):
        end += 1
    if (begin, end) == (entity.begin, entity.end):
        return entity
    return replace(entity, begin=begin, end=end)


def assign_actions(entities: Iterable[Entity], settings: SafetySettings) -> list[Entity]:
    result = []
    for entity in entities:
        action = "ignored" if entity.score < settings.pii_min_score else settings.action_for(entity.type)
        result.append(replace(entity, action=action))
    return result


def merge_same_type(entities: Iterable[Entity]) -> list[Entity]:
    """Deduplicate the report: overlapping spans of one type (e.g. the same name seen by two
    overlapping chunks) become their union, with the higher score and stricter action."""
    merged: list[Entity] = []
    for entity in sorted(entities, key=lambda e: (e.type, e.begin, e.end)):
        last = merged[-1] if merged else None
        if last is not None and last.type == entity.type and entity.begin < last.end:
            merged[-1] = Entity(
                type=last.type,
                begin=last.begin,
                end=max(last.end, entity.end),
                score=max(last.score, entity.score),
                source=last.source if last.score >= entity.score else entity.source,
                action=max(last.action, entity.action, key=_ACTION_RANK.__getitem__),
            )
        else:
            merged.append(entity)
    return sorted(merged, key=lambda e: (e.begin, e.end, e.type))


def mask_spans(entities: Iterable[Entity]) -> list[Entity]:
    """The spans to replace: entities with action mask/block, overlapping ones merged across
    types (the merged span takes the type of its highest-scoring member)."""
    candidates = sorted((e for e in entities if e.action in ("mask", "block")), key=lambda e: (e.begin, -e.end))
    spans: list[Entity] = []
    for entity in candidates:
        last = spans[-1] if spans else None
        if last is not None and entity.begin < last.end:
            best = last if last.score >= entity.score else entity
            spans[-1] = Entity(
                type=best.type,
                begin=last.begin,
                end=max(last.end, entity.end),
                score=max(last.score, entity.score),
                source=best.source,
                action=max(last.action, entity.action, key=_ACTION_RANK.__getitem__),
            )
        else:
            spans.append(entity)
    return spans


# --------------------------------------------------------------------------- local pre-pass
# Separators an attacker can put between the characters of an e-mail address or card number:
# whitespace (Python's \s is Unicode-aware) and zero-width characters.
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
_TOKEN_RE = re.compile(rf"[^\s{_ZERO_WIDTH}]+")
# A stretch of digits, "-", "." and separators, long enough to hold 13 digits.
_CARD_REGION_RE = re.compile(rf"[0-9][0-9.\-\s{_ZERO_WIDTH}]{{11,}}[0-9]")
_EMAIL_WINDOWS = (48, 256, 2048)  # characters looked at on each side of an "@", widened as needed
_EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_CARDISH_RE = re.compile(r"^[0-9.\-]+$")
_DIGIT_RE = re.compile(r"[0-9]")


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if i % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _email_joinable(left: str, right: str) -> bool:
    """May the whitespace between two tokens sit inside an e-mail address?

    ``j o h n`` (single characters), ``john @ example . com`` (a lone ``@`` or ``.``),
    ``john@ example.com`` / ``john @example.com``, ``john@example. com`` / ``example .com``.
    A sentence's final ``.`` does not join (``me. john@...`` keeps ``me.`` out).
    """
    if len(left) == 1 and len(right) == 1:
        return True
    if left in ("@", ".") or right in ("@", "."):
        return True
    if left[-1] == "@" or right[0] == "@":
        return True
    if left[-1] == "." and "@" in left and "." not in left.rsplit("@", 1)[1][:-1]:
        return True  # "john@example. com", but not "john@example.com. John"
    return right[0] == "." and len(right) > 1 and right[1:2].isalnum()


def local_pii_prepass(text: str) -> list[Entity]:
    """Defence-in-depth regex pass for e-mail addresses and card numbers written with odd spacing
    (``j o h n @ e x a m p l e . c o m``, ``4111 1111 1111 1111``, zero-width characters between
    characters), which a model trained on natural text may miss. Card numbers must pass the Luhn
    check. Found spans are merged with Comprehend's (source ``local``, score 1.0).

    Only the neighbourhood of each ``@`` and each digit run is tokenized, so text without
    either costs two C-level scans."""
    found: list[Entity] = []
    at = text.find("@")
    while at != -1:
        found.extend(_spaced_email_at(text, at))
        at = text.find("@", at + 1)
    for region in _CARD_REGION_RE.finditer(text):
        tokens = [(m.start(), m.end()) for m in _TOKEN_RE.finditer(text, region.start(), region.end())]
        found.extend(_spaced_cards(text, tokens))
    return found


def _spaced_email_at(text: str, at: int) -> list[Entity]:
    """The joinable token group around the ``@`` at ``at``, collapsed and matched as an e-mail.
    Tokenizes a small window first and widens it only while the group reaches its edge."""
    n = len(text)
    for window in _EMAIL_WINDOWS:
        lo, hi = max(0, at - window), min(n, at + 1 + window)
        tokens = [(m.start(), m.end()) for m in _TOKEN_RE.finditer(text, lo, hi)]
        k = bisect_right([start for start, _end in tokens], at) - 1
        if k < 0 or not tokens[k][0] <= at < tokens[k][1]:
            return []
        first = last = k
        while first > 0 and _email_joinable(text[slice(*tokens[first - 1])], text[slice(*tokens[first])]):
            first -= 1
        while last + 1 < len(tokens) and _email_joinable(text[slice(*tokens[last])], text[slice(*tokens[last + 1])]):
            last += 1
        if not ((first == 0 and lo > 0) or (last == len(tokens) - 1 and hi < n)):
            break
    pieces, index = [], []
    for start, end in tokens[first : last + 1]:
        pieces.append(text[start:end])
        index.extend(range(start, end))
    joined = "".join(pieces)
    return [
        Entity("EMAIL", index[match.start()], index[match.end() - 1] + 1, 1.0, source="local")
        for match in _EMAIL_RE.finditer(joined)
    ]


def _spaced_cards(text: str, tokens: Sequence[tuple[int, int]]) -> list[Entity]:
    """Runs of number-like tokens (digits, ``-``, ``.``) such that some contiguous sub-run holds
    13-19 digits passing the Luhn check: ``4111 1111 1111 1111``, ``4111 - 1111 - ...``."""
    found: list[Entity] = []
    run: list[tuple[int, int, str]] = []  # (start, end, digits)

    def flush() -> None:
        for a in range(len(run)):
            if not run[a][2]:
                continue
            digits = ""
            for b in range(a, len(run)):
                if not run[b][2]:
                    continue
                digits += run[b][2]
                if len(digits) > 19:
                    break
                if 13 <= len(digits) <= 19 and _luhn_ok(digits):
                    begin = _DIGIT_RE.search(text, run[a][0], run[a][1]).start()
                    end = max(m.end() for m in _DIGIT_RE.finditer(text, run[b][0], run[b][1]))
                    found.append(Entity("CREDIT_DEBIT_NUMBER", begin, end, 1.0, source="local"))
        run.clear()

    for start, end in tokens:
        value = text[start:end]
        if _CARDISH_RE.match(value):
            digits = "".join(_DIGIT_RE.findall(value))
            if digits or run:
                run.append((start, end, digits))
                continue
        flush()
    flush()
    return found


# --------------------------------------------------------------------------- masking / vault
_PLACEHOLDER_RE = re.compile(r"\[\s*([A-Za-z][A-Za-z_]*?)[\s_\-]*(\d+)\s*\]")
# Exactly what masking writes: [TYPE] and [TYPE_n] for a known entity type. Such a token holds no
# PII, so it is never masked again (history replayed into a prompt, a model echoing placeholders).
_MASK_TOKEN_RE = re.compile(r"\[(?:" + "|".join(sorted(PII_ENTITY_TYPES, key=len, reverse=True)) + r")(?:_\d+)?\]")


# Private-use characters mean nothing in natural text; callers use them to join parts into one
# screening, so a masked span never swallows one.
_PRIVATE_USE_RE = re.compile("[\ue000-\uf8ff]+")


def mask_token_spans(text: str) -> list[tuple[int, int]]:
    """Spans that are never masked: masking's own tokens and private-use delimiters."""
    spans = [match.span() for match in _MASK_TOKEN_RE.finditer(text)]
    if not text.isascii():  # ASCII text has no private-use character; the class scan costs ~10 ns a character
        spans.extend(match.span() for match in _PRIVATE_USE_RE.finditer(text))
    return spans


class PlaceholderVault:
    """Placeholder -> original value, for one request only. Never logged, never serialized."""

    __slots__ = ("_by_key", "_counters", "_values")

    def __init__(self) -> None:
        self._by_key: dict[tuple[str, str], str] = {}
        self._values: dict[str, str] = {}
        self._counters: dict[str, int] = {}

    def placeholder_for(self, entity_type: str, value: str) -> str:
        key = (entity_type, " ".join(value.split()).casefold())
        placeholder = self._by_key.get(key)
        if placeholder is None:
            number = self._counters.get(entity_type, 0) + 1
            self._counters[entity_type] = number
            placeholder = f"[{entity_type}_{number}]"
            self._by_key[key] = placeholder
            self._values[placeholder] = value
        return placeholder

    def reserve_existing(self, text: str) -> None:
        """Skip numbers that already appear as placeholder-like tokens in the user's text, so a
        literal ``[NAME_1]`` typed by the user is never confused with a generated one."""
        for match in _PLACEHOLDER_RE.finditer(text):
            entity_type = match.group(1).upper()
            number = int(match.group(2))
            if number > self._counters.get(entity_type, 0):
                self._counters[entity_type] = number

    def restore(self, text: str) -> str:
        """Put original values back. Tolerates what models do to placeholders: repetition,
        case changes, spaces inside the brackets, ``-`` or a space instead of ``_``. Unknown or
        truncated placeholders are left as they are."""
        if not self._values:
            return text

        def substitute(match: re.Match[str]) -> str:
            canonical = f"[{match.group(1).upper().rstrip('_')}_{int(match.group(2))}]"
            return self._values.get(canonical, match.group(0))

        return _PLACEHOLDER_RE.sub(substitute, text)

    def placeholder_spans(self, text: str) -> list[tuple[int, int]]:
        """Spans of known placeholders in ``text`` (they must survive output masking)."""
        spans = []
        for match in _PLACEHOLDER_RE.finditer(text):
            canonical = f"[{match.group(1).upper().rstrip('_')}_{int(match.group(2))}]"
            if canonical in self._values:
                spans.append(match.span())
        return spans

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:  # never show values
        return f"PlaceholderVault(<{len(self._values)} placeholders>)"

    def __reduce__(self):  # never pickle values
        raise TypeError("PlaceholderVault cannot be serialized")


def subtract_spans(text: str, entities: Iterable[Entity], protected: Sequence[tuple[int, int]]) -> list[Entity]:
    """Remove protected spans (known placeholders) from entity spans. Remainders are trimmed of
    whitespace and kept (still masked: the safe side) unless they hold no letter or digit."""
    if not protected:
        return list(entities)
    result = []
    for entity in entities:
        pieces = [(entity.begin, entity.end)]
        for p_begin, p_end in protected:
            next_pieces = []
            for begin, end in pieces:
                if p_end <= begin or p_begin >= end:
                    next_pieces.append((begin, end))
                    continue
                if begin < p_begin:
                    next_pieces.append((begin, p_begin))
                if p_end < end:
                    next_pieces.append((p_end, end))
            pieces = next_pieces
        for begin, end in pieces:
            while begin < end and text[begin].isspace():
                begin += 1
            while end > begin and text[end - 1].isspace():
                end -= 1
            if any(char.isalnum() for char in text[begin:end]):  # punctuation alone is no PII
                result.append(replace(entity, begin=begin, end=end))
    return result


def apply_masks(text: str, spans: Sequence[Entity], *, mode: str, vault: PlaceholderVault | None) -> str:
    """Replace ``spans`` (sorted, non-overlapping): ``[TYPE]`` in redact mode, numbered
    placeholders from ``vault`` in pseudonymize mode."""
    if not spans:
        return text
    out = []
    cursor = 0
    for span in spans:
        out.append(text[cursor : span.begin])
        if mode == "pseudonymize" and vault is not None:
            value = text[span.begin : span.end].strip()
            out.append(vault.placeholder_for(span.type, value))
        else:
            out.append(f"[{span.type}]")
        cursor = span.end
    out.append(text[cursor:])
    return "".join(out)
