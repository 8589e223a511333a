"""Undo encoding damage in the gold copies of pages before their labels are transferred.

Some gold files hold UTF-8 text that was decoded as Windows-1252 or -1251 (mojibake,
:func:`unmojibake`, :func:`unmojibake_tree`), or UTF-16 text read as a single-byte code
page (:func:`fix_utf16`).
"""

from __future__ import annotations

import re

__all__ = ["XML_BAD_SPACE", "unmojibake", "unmojibake_tree", "fix_utf16"]

#: Whitespace that XML forbids (lxml refuses it in text), as a ``str.translate`` table
#: that makes it a space.
XML_BAD_SPACE = {c: " " for c in (0x0B, 0x0C, 0x1C, 0x1D, 0x1E, 0x1F)}
_XML_BAD_CHAR = re.compile("[\x00-\x08\x0e-\x1f\ufffe\uffff]")

_MOJIBAKE_HINT = re.compile(
    "[\u0080-\u00ff\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013-\u203a\u20ac\u2122\u0400-\u045f\u0490\u0491]{2}")


def _legacy_bytes(text: str, encoding: str) -> bytes:
    """``text`` as the bytes it was mis-decoded from (code points below 256 map to
    themselves, as browsers do for bytes that the legacy code page leaves undefined)."""
    try:
        return text.encode(encoding)
    except UnicodeEncodeError:
        out = bytearray()
        for ch in text:
            if ch == "\ufffd":
                out += b"?"
            else:
                out += bytes([ord(ch)]) if ord(ch) < 256 else ch.encode(encoding)
        return bytes(out)


def unmojibake(text: str, rounds: int = 3) -> str:
    """Undo UTF-8 text that was decoded as Windows-1252 or -1251 (up to ``rounds`` times).

    A round is accepted when the legacy bytes decode as UTF-8, or decode with at most one
    replacement character per three non-ASCII characters (the C1 characters of the
    mojibake are often lost); otherwise the text is returned as it is.
    """
    for _ in range(rounds):
        if not _MOJIBAKE_HINT.search(text):
            break
        for encoding in ("cp1252", "cp1251"):
            try:
                raw = _legacy_bytes(text, encoding)
            except UnicodeEncodeError:
                continue
            try:
                fixed = raw.decode("utf-8")
            except UnicodeDecodeError:
                fixed = raw.decode("utf-8", errors="replace")
                bad = fixed.count("\ufffd")
                non_ascii = sum(1 for ch in fixed if ord(ch) > 127)
                if bad * 3 > non_ascii or non_ascii == bad:
                    continue
            if fixed != text:
                text = fixed
                break
        else:
            break
    return text


def unmojibake_tree(root) -> int:
    """Repair mojibake text nodes of an lxml tree in place; return how many were changed.

    Repaired text loses the characters XML forbids, so lxml accepts it.
    """
    changed = 0
    for element in root.iter():
        for attr in ("text", "tail"):
            value = getattr(element, attr)
            if value and _MOJIBAKE_HINT.search(value):
                fixed = unmojibake(value)
                if fixed != value:
                    setattr(element, attr, _XML_BAD_CHAR.sub("", fixed.translate(XML_BAD_SPACE)))
                    changed += 1
    return changed


def fix_utf16(text: str) -> str:
    """Gold text that is UTF-16 read as a single-byte code page (starts with the BOM
    read as ``ÿþ``/``þÿ``) decoded properly; other text unchanged."""
    if text[:2] in ("\u00ff\u00fe", "\u00fe\u00ff") or text.count("\x00") > len(text) // 4 > 0:
        try:
            return _legacy_bytes(text, "cp1252").decode("utf-16")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    return text
