"""Which character encodings a page may ask for: the WHATWG Encoding Standard's labels.

A charset label comes from the page or its server, so it must never pick one of
Python's non-text codecs (``punycode``, ``idna``, ``rot13``, ``zlib``,
``base64``, ``uu``, ``hex``, ...) or a codec a browser would not use
(``utf-7``). :func:`codec_for_label` accepts the labels of
https://encoding.spec.whatwg.org/#names-and-labels and maps each to the
Python codec that decodes like a browser; anything else gives ``None``.
"""

from __future__ import annotations

import codecs

# Python codec -> its WHATWG labels. Where WHATWG decodes a superset of the
# named charset (Shift_JIS, EUC-KR, GBK, Big5, ISO-8859-1), the superset's
# codec is used, as browsers do. The "replacement" encodings (ISO-2022-KR/CN,
# HZ) and x-user-defined are left out: their labels fall through to detection.
_LABELS = {
    "utf-8": "unicode-1-1-utf-8 unicode11utf8 unicode20utf8 utf-8 utf8 x-unicode20utf8",
    "cp866": "866 cp866 csibm866 ibm866",
    "iso8859-2": "csisolatin2 iso-8859-2 iso-ir-101 iso8859-2 iso88592 iso_8859-2 "
                 "iso_8859-2:1987 l2 latin2",
    "iso8859-3": "csisolatin3 iso-8859-3 iso-ir-109 iso8859-3 iso88593 iso_8859-3 "
                 "iso_8859-3:1988 l3 latin3",
    "iso8859-4": "csisolatin4 iso-8859-4 iso-ir-110 iso8859-4 iso88594 iso_8859-4 "
                 "iso_8859-4:1988 l4 latin4",
    "iso8859-5": "csisolatincyrillic cyrillic iso-8859-5 iso-ir-144 iso8859-5 iso88595 "
                 "iso_8859-5 iso_8859-5:1988",
    "iso8859-6": "arabic asmo-708 csiso88596e csiso88596i csisolatinarabic ecma-114 "
                 "iso-8859-6 iso-8859-6-e iso-8859-6-i iso-ir-127 iso8859-6 iso88596 "
                 "iso_8859-6 iso_8859-6:1987",
    "iso8859-7": "csisolatingreek ecma-118 elot_928 greek greek8 iso-8859-7 iso-ir-126 "
                 "iso8859-7 iso88597 iso_8859-7 iso_8859-7:1987 sun_eu_greek",
    "iso8859-8": "csiso88598e csisolatinhebrew hebrew iso-8859-8 iso-8859-8-e iso-ir-138 "
                 "iso8859-8 iso88598 iso_8859-8 iso_8859-8:1988 visual "
                 "csiso88598i iso-8859-8-i logical",
    "iso8859-10": "csisolatin6 iso-8859-10 iso-ir-157 iso8859-10 iso885910 l6 latin6",
    "iso8859-13": "iso-8859-13 iso8859-13 iso885913",
    "iso8859-14": "iso-8859-14 iso8859-14 iso885914",
    "iso8859-15": "csisolatin9 iso-8859-15 iso8859-15 iso885915 iso_8859-15 l9",
    "iso8859-16": "iso-8859-16",
    "koi8-r": "cskoi8r koi koi8 koi8-r koi8_r",
    "koi8-u": "koi8-ru koi8-u",
    "mac-roman": "csmacintosh mac macintosh x-mac-roman",
    "cp874": "dos-874 iso-8859-11 iso8859-11 iso885911 tis-620 windows-874",
    "cp1250": "cp1250 windows-1250 x-cp1250",
    "cp1251": "cp1251 windows-1251 x-cp1251",
    "cp1252": "ansi_x3.4-1968 ascii cp1252 cp819 csisolatin1 ibm819 iso-8859-1 iso-ir-100 "
              "iso8859-1 iso88591 iso_8859-1 iso_8859-1:1987 l1 latin1 us-ascii "
              "windows-1252 x-cp1252",
    "cp1253": "cp1253 windows-1253 x-cp1253",
    "cp1254": "cp1254 csisolatin5 iso-8859-9 iso-ir-148 iso8859-9 iso88599 iso_8859-9 "
              "iso_8859-9:1989 l5 latin5 windows-1254 x-cp1254",
    "cp1255": "cp1255 windows-1255 x-cp1255",
    "cp1256": "cp1256 windows-1256 x-cp1256",
    "cp1257": "cp1257 windows-1257 x-cp1257",
    "cp1258": "cp1258 windows-1258 x-cp1258",
    "mac-cyrillic": "x-mac-cyrillic x-mac-ukrainian",
    "gb18030": "chinese csgb2312 csiso58gb231280 gb2312 gb_2312 gb_2312-80 gbk iso-ir-58 "
               "x-gbk gb18030",
    "big5hkscs": "big5 big5-hkscs cn-big5 csbig5 x-x-big5",
    "euc_jp": "cseucpkdfmtjapanese euc-jp x-euc-jp",
    "iso2022_jp": "csiso2022jp iso-2022-jp",
    "cp932": "csshiftjis ms932 ms_kanji shift-jis shift_jis sjis windows-31j x-sjis",
    "cp949": "cseuckr csksc56011987 euc-kr iso-ir-149 korean ks_c_5601-1987 ks_c_5601-1989 "
             "ksc5601 ksc_5601 windows-949",
    "utf-16-be": "unicodefffe utf-16be",
    "utf-16-le": "csunicode iso-10646-ucs-2 ucs-2 unicode unicodefeff utf-16 utf-16le",
}

#: WHATWG label -> Python codec name.
WHATWG_LABELS: dict[str, str] = {
    label: codecs.lookup(codec).name for codec, labels in _LABELS.items() for label in labels.split()
}

#: The Python codecs a page may be decoded with.
ALLOWED_CODECS: frozenset[str] = frozenset(WHATWG_LABELS.values())

_MAX_LABEL_LENGTH = 40


def codec_for_label(label: str | bytes | None) -> str | None:
    """The Python codec for a charset ``label``, or ``None`` if a page may not ask for it.

    ``"Shift_JIS"`` -> ``"cp932"``; ``"ISO-8859-1"`` -> ``"cp1252"``;
    ``"punycode"``, ``"utf-7"`` or ``"undefined"`` -> ``None``.
    """
    if not label:
        return None
    if isinstance(label, bytes):
        label = label.decode("ascii", "ignore")
    label = label.strip().strip("\"'").strip().lower()
    if not label or len(label) > _MAX_LABEL_LENGTH:
        return None
    found = WHATWG_LABELS.get(label)
    if found is not None:
        return found
    # Python spellings of allowed codecs ("latin-1", "utf_8", "euc_kr"), as pages and
    # detectors write them: accepted when Python's name is an allowed codec or a label.
    try:
        name = codecs.lookup(label).name
    except (LookupError, ValueError):
        return None
    if name in ALLOWED_CODECS:
        return name
    return WHATWG_LABELS.get(name) or WHATWG_LABELS.get(name.replace("_", "-"))
