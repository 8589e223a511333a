/*
 * boilerkit._speedups: optional C versions of the hot loops.
 *
 *   walk(root, ...)     the block walk of boilerkit.blocks.build_blocks
 *   text_stats(texts)   per-block character counts of boilerkit.features
 *   predict_trees(...)  the tree sums of boilerkit.predictor.TreeEnsemble, tree by tree
 *   predict_masks(...)  the same sums by leaf masks, for trees of fewer than 32 leaves
 *   context_features(...) the second level's page context of boilerkit.context
 *   labelled_blocks(...) the LabelledBlock list of boilerkit.page.labelled_blocks
 *
 * Each mirrors a pure-Python (numpy) implementation that stays the reference:
 * the tests compare both on real pages. The walk reads libxml2's nodes
 * through lxml's public element struct (the same layout lxml exports to C
 * extensions in lxml.etree.h) and makes element proxies with lxml's
 * exported elementFactory; it never changes the tree.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <libxml/tree.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* lxml's _Element (lxml.etree.h: struct LxmlElement). */
typedef struct {
    PyObject_HEAD
    void *doc;
    xmlNode *c_node;
    PyObject *tag;
} LxmlElement;

typedef PyObject *(*ElementFactory)(void *doc, xmlNode *node);

static PyTypeObject *element_type = NULL;
static ElementFactory element_factory = NULL;

/* ------------------------------------------------------------------ configuration */

typedef struct {
    char *name;
    int block;
    int skipped;
    int counted;          /* 1 a, 2 img, 3 input, 4 button, 5 br */
    uint64_t flags;
} TagInfo;

#define TAG_TABLE_SIZE 256 /* power of two, well above the number of known tags */
static TagInfo tag_table[TAG_TABLE_SIZE];
static PyObject *role_flags = NULL;       /* dict: role -> flag */
static PyObject *rel_flags = NULL;        /* dict: link rel word -> flag */
static PyObject *token_flags = NULL;      /* dict: token -> flag */
static PyObject *tokenize_fallback = NULL; /* the Python tokenizer, for non-ASCII values */
static Py_ssize_t max_own = 24, max_ancestor = 32, max_inner = 16, max_path = 4;
static uint64_t hidden_flag = 0;
#define LEVELS 4 /* boilerkit.blocks.ANCESTOR_LEVELS, checked by configure */

/* Punctuation of boilerkit.features, as sorted code points. */
static Py_UCS4 *punctuation = NULL;
static Py_ssize_t n_punctuation = 0;
static Py_UCS4 *sentence_end = NULL;
static Py_ssize_t n_sentence_end = 0;

static uint32_t hash_name(const char *name) {
    uint32_t h = 2166136261u;
    for (; *name; name++) h = (h ^ (unsigned char)*name) * 16777619u;
    return h;
}

static const TagInfo *lookup_tag(const char *name) {
    uint32_t i = hash_name(name) & (TAG_TABLE_SIZE - 1);
    while (tag_table[i].name != NULL) {
        if (strcmp(tag_table[i].name, name) == 0) return &tag_table[i];
        i = (i + 1) & (TAG_TABLE_SIZE - 1);
    }
    return NULL;
}

static int cmp_ucs4(const void *a, const void *b) {
    Py_UCS4 x = *(const Py_UCS4 *)a, y = *(const Py_UCS4 *)b;
    return (x > y) - (x < y);
}

static int code_points(PyObject *text, Py_UCS4 **out, Py_ssize_t *n) {
    Py_ssize_t length = PyUnicode_GetLength(text);
    Py_UCS4 *values = PyMem_Malloc(sizeof(Py_UCS4) * (length + 1));
    if (values == NULL) return -1;
    for (Py_ssize_t i = 0; i < length; i++) values[i] = PyUnicode_READ_CHAR(text, i);
    qsort(values, length, sizeof(Py_UCS4), cmp_ucs4);
    PyMem_Free(*out);
    *out = values;
    *n = length;
    return 0;
}

static int in_sorted(const Py_UCS4 *values, Py_ssize_t n, Py_UCS4 c) {
    Py_ssize_t low = 0, high = n - 1;
    while (low <= high) {
        Py_ssize_t mid = (low + high) / 2;
        if (values[mid] == c) return 1;
        if (values[mid] < c) low = mid + 1; else high = mid - 1;
    }
    return 0;
}

/* configure_text(punctuation, sentence_end): the characters text_stats counts. */
static PyObject *configure_text(PyObject *self, PyObject *args) {
    PyObject *punct, *ends;
    if (!PyArg_ParseTuple(args, "UU", &punct, &ends)) return NULL;
    if (code_points(punct, &punctuation, &n_punctuation) < 0) return PyErr_NoMemory();
    if (code_points(ends, &sentence_end, &n_sentence_end) < 0) return PyErr_NoMemory();
    Py_RETURN_NONE;
}

/* configure(tags, role_flags, token_flags, tokenize, limits, hidden_flag, rel_flags): tags
 * maps a tag name to (block, skipped, counted, flags). */
static PyObject *configure(PyObject *self, PyObject *args) {
    PyObject *tags, *roles, *tokens, *tokenize, *limits, *rels;
    unsigned long long hidden;
    if (!PyArg_ParseTuple(args, "O!O!O!OO!KO!", &PyDict_Type, &tags, &PyDict_Type, &roles,
                          &PyDict_Type, &tokens, &tokenize, &PyTuple_Type, &limits, &hidden,
                          &PyDict_Type, &rels))
        return NULL;
    Py_ssize_t levels;
    if (!PyArg_ParseTuple(limits, "nnnnn", &max_own, &max_ancestor, &max_inner, &max_path,
                          &levels))
        return NULL;
    if (levels != LEVELS) {
        PyErr_SetString(PyExc_ValueError, "ANCESTOR_LEVELS differs from the compiled value");
        return NULL;
    }
    if (PyDict_Size(tags) >= TAG_TABLE_SIZE / 2) {
        PyErr_SetString(PyExc_ValueError, "too many tags for the compiled table");
        return NULL;
    }
    for (int i = 0; i < TAG_TABLE_SIZE; i++) {
        PyMem_Free(tag_table[i].name);
        tag_table[i].name = NULL;
    }
    PyObject *key, *value;
    Py_ssize_t position = 0;
    while (PyDict_Next(tags, &position, &key, &value)) {
        const char *name = PyUnicode_AsUTF8(key);
        int block, skipped, counted;
        unsigned long long flags;
        if (name == NULL || !PyArg_ParseTuple(value, "iiiK", &block, &skipped, &counted, &flags))
            return NULL;
        uint32_t i = hash_name(name) & (TAG_TABLE_SIZE - 1);
        while (tag_table[i].name != NULL) i = (i + 1) & (TAG_TABLE_SIZE - 1);
        size_t length = strlen(name) + 1;
        tag_table[i].name = PyMem_Malloc(length);
        if (tag_table[i].name == NULL) return PyErr_NoMemory();
        memcpy(tag_table[i].name, name, length);
        tag_table[i].block = block;
        tag_table[i].skipped = skipped;
        tag_table[i].counted = counted;
        tag_table[i].flags = flags;
    }
    Py_INCREF(roles); Py_XSETREF(role_flags, roles);
    Py_INCREF(tokens); Py_XSETREF(token_flags, tokens);
    Py_INCREF(tokenize); Py_XSETREF(tokenize_fallback, tokenize);
    Py_INCREF(rels); Py_XSETREF(rel_flags, rels);
    hidden_flag = hidden;
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------ small buffers */

typedef struct {
    char *data;
    Py_ssize_t length, capacity;
} Buffer;

static int buffer_add(Buffer *buffer, const char *data, Py_ssize_t length) {
    if (length == 0) return 0; /* data may be NULL then, which memcpy must not see */
    if (buffer->length + length > buffer->capacity) {
        Py_ssize_t capacity = buffer->capacity ? buffer->capacity : 256;
        while (capacity < buffer->length + length) capacity *= 2;
        char *grown = PyMem_Realloc(buffer->data, capacity);
        if (grown == NULL) { PyErr_NoMemory(); return -1; }
        buffer->data = grown;
        buffer->capacity = capacity;
    }
    memcpy(buffer->data + buffer->length, data, length);
    buffer->length += length;
    return 0;
}

typedef struct {
    int64_t *data;
    Py_ssize_t length, capacity;
} Int64s;

static int int64s_add(Int64s *values, int64_t value) {
    if (values->length == values->capacity) {
        Py_ssize_t capacity = values->capacity ? values->capacity * 2 : 1024;
        int64_t *grown = PyMem_Realloc(values->data, capacity * sizeof(int64_t));
        if (grown == NULL) { PyErr_NoMemory(); return -1; }
        values->data = grown;
        values->capacity = capacity;
    }
    values->data[values->length++] = value;
    return 0;
}

/* ------------------------------------------------------------------ UTF-8 text */

/* Length of the whitespace character at p (as Python's str.split sees whitespace), or 0. */
static inline int space_length(const unsigned char *p, const unsigned char *end) {
    unsigned char c = p[0];
    if (c < 0x80)
        return (c == ' ' || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f)) ? 1 : 0;
    if (c == 0xC2 && p + 1 < end && (p[1] == 0x85 || p[1] == 0xA0)) return 2;
    if (p + 2 >= end) return 0;
    if (c == 0xE1 && p[1] == 0x9A && p[2] == 0x80) return 3;
    if (c == 0xE2 && p[1] == 0x80 &&
        ((p[2] >= 0x80 && p[2] <= 0x8A) || p[2] == 0xA8 || p[2] == 0xA9 || p[2] == 0xAF))
        return 3;
    if (c == 0xE2 && p[1] == 0x81 && p[2] == 0x9F) return 3;
    if (c == 0xE3 && p[1] == 0x80 && p[2] == 0x80) return 3;
    return 0;
}

static inline int char_length(unsigned char c) {
    if (c < 0x80) return 1;
    if (c >= 0xF0) return 4;
    if (c >= 0xE0) return 3;
    if (c >= 0xC0) return 2;
    return 1; /* a stray continuation byte: step over it */
}

/* Non-whitespace code points in UTF-8 text. */
static Py_ssize_t visible_chars(const unsigned char *p, Py_ssize_t length) {
    const unsigned char *end = p + length;
    Py_ssize_t count = 0;
    while (p < end) {
        int space = space_length(p, end);
        if (space) { p += space; continue; }
        count++;
        p += char_length(*p);
    }
    return count;
}

/* " ".join(text.split()) on UTF-8 bytes, as a str (None-like NULL without error if empty). */
static PyObject *normalised_text(const unsigned char *p, Py_ssize_t length, Buffer *scratch,
                                 Py_ssize_t *spaces) {
    const unsigned char *end = p + length;
    scratch->length = 0;
    *spaces = 0;
    int pending_space = 0;
    while (p < end) {
        int space = space_length(p, end);
        if (space) {
            p += space;
            pending_space = scratch->length > 0;
            continue;
        }
        int n = char_length(*p);
        if (p + n > end) n = (int)(end - p);
        if (pending_space) {
            if (buffer_add(scratch, " ", 1) < 0) return NULL;
            pending_space = 0;
            ++*spaces;
        }
        if (buffer_add(scratch, (const char *)p, n) < 0) return NULL;
        p += n;
    }
    if (scratch->length == 0) return NULL;
    return PyUnicode_DecodeUTF8(scratch->data, scratch->length, "replace");
}

/* ------------------------------------------------------------------ tokens */

static inline int is_lower(char c) { return c >= 'a' && c <= 'z'; }
static inline int is_upper(char c) { return c >= 'A' && c <= 'Z'; }
static inline int is_digit(char c) { return c >= '0' && c <= '9'; }
static inline int is_ascii_space(char c) {
    return c == ' ' || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f);
}

static int append_str(PyObject *list, const char *data, Py_ssize_t length) {
    PyObject *token = PyUnicode_FromStringAndSize(data, length);
    if (token == NULL) return -1;
    int status = PyList_Append(list, token);
    Py_DECREF(token);
    return status;
}

/* boilerkit.blocks._tokenize for an ASCII value. */
static PyObject *tokenize_ascii(const char *value, Py_ssize_t length) {
    char *lowered = PyMem_Malloc(2 * length + 1);
    char *joined = PyMem_Malloc(length + 1);
    PyObject *tokens = PyList_New(0);
    PyObject *result = NULL;
    if (lowered == NULL || joined == NULL || tokens == NULL) { PyErr_NoMemory(); goto done; }
    Py_ssize_t n = 0;
    for (Py_ssize_t i = 0; i < length; i++) {
        char c = value[i];
        if (i > 0 && is_lower(value[i - 1]) && is_upper(c)) lowered[n++] = ' ';
        lowered[n++] = is_upper(c) ? (char)(c - 'A' + 'a') : c;
    }
    char *start = lowered, *stop = lowered + n;
    if (n >= 4 && memcmp(lowered, "http", 4) == 0) { /* itemtype URLs: keep the type name */
        while (stop > start && stop[-1] == '/') stop--;
        char *slash = stop;
        while (slash > start && slash[-1] != '/') slash--;
        start = slash;
    }
    char *p = start;
    while (p < stop) {
        while (p < stop && is_ascii_space(*p)) p++;
        char *word = p;
        while (p < stop && !is_ascii_space(*p)) p++;
        if (p == word) break;
        int alpha = 1;
        for (char *q = word; q < p; q++) if (!is_lower(*q)) { alpha = 0; break; }
        if (alpha) {
            if (append_str(tokens, word, p - word) < 0) goto done;
            continue;
        }
        /* Parts: runs of [a-z0-9] that are not all digits. */
        char *part_start[64];
        Py_ssize_t part_length[64];
        int n_parts = 0, overflow = 0;
        char *q = word;
        while (q < p) {
            while (q < p && !(is_lower(*q) || is_digit(*q))) q++;
            char *part = q;
            int digits = 1;
            while (q < p && (is_lower(*q) || is_digit(*q))) { if (!is_digit(*q)) digits = 0; q++; }
            if (q > part && !digits) {
                if (n_parts == 64) { overflow = 1; break; }
                part_start[n_parts] = part;
                part_length[n_parts++] = q - part;
            }
        }
        if (overflow) { /* absurd words: let Python do it */
            PyErr_SetString(PyExc_OverflowError, "word with too many parts");
            goto done;
        }
        if (n_parts > 1) {
            Py_ssize_t m = 0;
            for (int k = 0; k < n_parts; k++) {
                if (k) joined[m++] = '-';
                memcpy(joined + m, part_start[k], part_length[k]);
                m += part_length[k];
            }
            if (append_str(tokens, joined, m) < 0) goto done;
        }
        for (int k = 0; k < n_parts; k++)
            if (append_str(tokens, part_start[k], part_length[k]) < 0) goto done;
    }
    result = PyList_AsTuple(tokens);
done:
    PyMem_Free(lowered);
    PyMem_Free(joined);
    Py_XDECREF(tokens);
    return result;
}

/* ------------------------------------------------------------------ the walk */

typedef struct {
    long id;
    uint64_t context;
    PyObject *tokens;     /* owned: tokens for descendants */
    const xmlChar *name;  /* NULL for the sentinels */
    const xmlChar *ns;    /* namespace href or NULL */
    int kind;             /* 0 inline, 1 block, 2 link */
    Py_ssize_t outer_target; /* a link's: the enclosing link's target length */
    Py_ssize_t outer_slug;   /* a link's: the enclosing link's slug words */
    long outer_rels;         /* a link's: the enclosing link's rel flags */
} Frame;

typedef struct {
    xmlNode *node;
    long element_id, parent_id, depth;
    long ancestors[LEVELS];
    uint64_t context;
    PyObject *own_tokens, *ancestor_tokens, *tag_path, *tag; /* owned */
    PyObject *inner_tokens;                                  /* owned list */
    Buffer text;
    Py_ssize_t link_chars, link_count, image_count, input_count;
    Py_ssize_t link_targets, enclosing_target; /* boilerkit.blocks.link_target_length */
    Py_ssize_t link_slugs, enclosing_slugs;    /* boilerkit.blocks.link_slug_words */
    long link_rels, enclosing_rels;            /* boilerkit.blocks.link_rel_flags, or-ed */
} OpenBlock;

#define TAG_CACHE 64 /* power of two */

typedef struct {
    const xmlChar *name, *ns;
    PyObject *string; /* owned */
} TagEntry;

enum { BLOCK_FIELDS = 21 }; /* the slots of boilerkit.blocks.Block */

/* Whether slots is a tuple of count member descriptors (a class's __slots__), else a
 * TypeError naming who asked. */
static int check_slots(PyObject *slots, Py_ssize_t count, const char *who) {
    int ok = PyTuple_Check(slots) && PyTuple_GET_SIZE(slots) == count;
    for (Py_ssize_t i = 0; ok && i < count; i++)
        ok = Py_IS_TYPE(PyTuple_GET_ITEM(slots, i), &PyMemberDescr_Type);
    if (!ok) PyErr_Format(PyExc_TypeError, "%s: expected %zd slot descriptors", who, count);
    return ok ? 0 : -1;
}

/* A new instance of type with its slots set to values, as an __init__ that only stores
 * them would: a dense page makes a million blocks and labelled blocks, and calling
 * __init__ for each took half the time. NULL with an exception if a value is NULL. */
static PyObject *with_slots(PyTypeObject *type, PyObject *slots, PyObject *const *values) {
    PyObject *made = type->tp_alloc(type, 0);
    for (Py_ssize_t i = 0; made != NULL && i < PyTuple_GET_SIZE(slots); i++) {
        PyObject *slot = PyTuple_GET_ITEM(slots, i);
        if (values[i] == NULL || Py_TYPE(slot)->tp_descr_set(slot, made, values[i]) < 0)
            Py_CLEAR(made);
    }
    return made;
}

typedef struct {
    PyObject *blocks;      /* list of blocks */
    PyTypeObject *block_type; /* boilerkit.blocks.Block (borrowed) */
    PyObject *slots;          /* its slots' descriptors, in BLOCK_FIELDS order (borrowed) */
    PyObject *locator;        /* the blocks' XPath locator (borrowed) */
    PyObject *token_cache; /* dict: attribute value -> (tokens, flags) */
    PyObject *empty;       /* () */
    /* Tag names are interned per document by libxml2, so their pointers key a small cache
     * of their str; siblings share one tag path, so the last one is kept too. */
    TagEntry tags[TAG_CACHE];
    const xmlChar *path_key[8];
    PyObject *path; /* owned */
    void *doc;
    Int64s ancestors, subtree_end, numbers, visible;
    Py_ssize_t link_target; /* the innermost open link's target length */
    Py_ssize_t link_slug;   /* and its slug words */
    long link_rels;         /* and its rel flags */
    Frame *frames;
    Py_ssize_t n_frames, frames_capacity;
    OpenBlock *open;
    Py_ssize_t n_open, open_capacity;
    Buffer scratch;
} Walk;

static PyObject *make_tag_string(const xmlChar *name, const xmlChar *ns) {
    if (ns == NULL) return PyUnicode_InternFromString((const char *)name);
    return PyUnicode_FromFormat("{%s}%s", (const char *)ns, (const char *)name);
}

/* The tag as lxml names it ("{ns}name" when namespaced): a new reference. */
static PyObject *tag_string(Walk *walk, const xmlChar *name, const xmlChar *ns) {
    size_t slot = (((uintptr_t)name >> 4) ^ ((uintptr_t)ns >> 4)) & (TAG_CACHE - 1);
    TagEntry *entry = &walk->tags[slot];
    if (entry->string == NULL || entry->name != name || entry->ns != ns) {
        PyObject *string = make_tag_string(name, ns);
        if (string == NULL) return NULL;
        Py_XSETREF(entry->string, string);
        entry->name = name;
        entry->ns = ns;
    }
    Py_INCREF(entry->string);
    return entry->string;
}

/* The value of an attribute without namespace, or NULL (borrowed bytes in *out). */
static int attribute(xmlNode *node, const char *name, Buffer *out) {
    for (xmlAttr *attr = node->properties; attr != NULL; attr = attr->next) {
        if (attr->ns != NULL || strcmp((const char *)attr->name, name) != 0) continue;
        out->length = 0;
        for (xmlNode *child = attr->children; child != NULL; child = child->next) {
            if ((child->type == XML_TEXT_NODE || child->type == XML_CDATA_SECTION_NODE)
                && child->content != NULL) {
                if (buffer_add(out, (const char *)child->content,
                               strlen((const char *)child->content)) < 0)
                    return -1;
            }
        }
        return 1;
    }
    return 0;
}

/* Tokens and implied flags of one attribute value, through the per-walk cache. */
static int value_tokens(Walk *walk, const char *value, Py_ssize_t length, PyObject **tokens,
                        uint64_t *flags) {
    PyObject *key = PyUnicode_DecodeUTF8(value, length, "replace");
    if (key == NULL) return -1;
    PyObject *cached = PyDict_GetItemWithError(walk->token_cache, key);
    if (cached == NULL) {
        if (PyErr_Occurred()) { Py_DECREF(key); return -1; }
        int ascii = 1;
        for (Py_ssize_t i = 0; i < length; i++) if ((unsigned char)value[i] >= 0x80) { ascii = 0; break; }
        PyObject *found = ascii ? tokenize_ascii(value, length) : NULL;
        if (found == NULL) {
            PyErr_Clear();
            found = PyObject_CallOneArg(tokenize_fallback, key);
            if (found == NULL) { Py_DECREF(key); return -1; }
        }
        uint64_t implied = 0;
        Py_ssize_t n = PyTuple_GET_SIZE(found);
        for (Py_ssize_t i = 0; i < n; i++) {
            PyObject *flag = PyDict_GetItemWithError(token_flags, PyTuple_GET_ITEM(found, i));
            if (flag != NULL) implied |= PyLong_AsUnsignedLongLong(flag);
            else if (PyErr_Occurred()) { Py_DECREF(found); Py_DECREF(key); return -1; }
        }
        PyObject *flag_object = PyLong_FromUnsignedLongLong(implied);
        cached = PyTuple_Pack(2, found, flag_object);
        Py_DECREF(found);
        Py_XDECREF(flag_object);
        if (cached == NULL || PyDict_SetItem(walk->token_cache, key, cached) < 0) {
            Py_XDECREF(cached); Py_DECREF(key); return -1;
        }
        Py_DECREF(cached); /* the cache holds it */
    }
    Py_DECREF(key);
    *tokens = PyTuple_GET_ITEM(cached, 0);
    *flags = PyLong_AsUnsignedLongLong(PyTuple_GET_ITEM(cached, 1));
    return 0;
}

static PyObject *tuple_concat(PyObject *a, PyObject *b) {
    if (PyTuple_GET_SIZE(b) == 0) { Py_INCREF(a); return a; }
    return PySequence_Concat(a, b);
}

static PyObject *tuple_slice_end(PyObject *t, Py_ssize_t keep) { /* t[-keep:] */
    Py_ssize_t n = PyTuple_GET_SIZE(t);
    if (n <= keep) { Py_INCREF(t); return t; }
    return PyTuple_GetSlice(t, n - keep, n);
}

/* The element's own tokens, implied flags, role and hidden flags. */
static int element_tokens(Walk *walk, xmlNode *node, PyObject **own, uint64_t *flags) {
    static const char *names[] = {"class", "id", "role", "itemprop", "itemtype"};
    Buffer *value = &walk->scratch;
    PyObject *tokens = PyTuple_New(0);
    if (tokens == NULL) return -1;
    *flags = 0;
    if (node->properties == NULL) { *own = tokens; return 0; }
    for (int i = 0; i < 5; i++) {
        int found = attribute(node, names[i], value);
        if (found < 0) goto fail;
        if (!found || value->length == 0) continue;
        PyObject *parts;
        uint64_t implied;
        if (value_tokens(walk, value->data, value->length, &parts, &implied) < 0) goto fail;
        PyObject *joined = tuple_concat(tokens, parts);
        if (joined == NULL) goto fail;
        Py_SETREF(tokens, joined);
        *flags |= implied;
    }
    int found = attribute(node, "role", value);
    if (found < 0) goto fail;
    if (found && value->length) {
        PyObject *role = PyUnicode_DecodeUTF8(value->data, value->length, "replace");
        PyObject *stripped = role ? PyObject_CallMethod(role, "strip", NULL) : NULL;
        PyObject *lowered = stripped ? PyObject_CallMethod(stripped, "lower", NULL) : NULL;
        Py_XDECREF(role);
        Py_XDECREF(stripped);
        if (lowered == NULL) goto fail;
        PyObject *flag = PyDict_GetItemWithError(role_flags, lowered);
        Py_DECREF(lowered);
        if (flag != NULL) *flags |= PyLong_AsUnsignedLongLong(flag);
        else if (PyErr_Occurred()) goto fail;
    }
    found = attribute(node, "hidden", value);
    if (found < 0) goto fail;
    int hidden = found;
    if (!hidden) {
        found = attribute(node, "aria-hidden", value);
        if (found < 0) goto fail;
        hidden = found && value->length == 4 && memcmp(value->data, "true", 4) == 0;
    }
    if (!hidden) {
        found = attribute(node, "style", value);
        if (found < 0) goto fail;
        if (found && value->length) {
            /* style.replace(" ", "").lower() holds display:none or visibility:hidden */
            if (buffer_add(value, "", 1) < 0) goto fail; /* room for the terminating NUL */
            value->length--;
            Py_ssize_t m = 0;
            for (Py_ssize_t i = 0; i < value->length; i++) {
                char c = value->data[i];
                if (c == ' ') continue;
                value->data[m++] = is_upper(c) ? (char)(c - 'A' + 'a') : c;
            }
            value->data[m] = '\0';
            hidden = strstr(value->data, "display:none") != NULL
                     || strstr(value->data, "visibility:hidden") != NULL;
        }
    }
    if (hidden) *flags |= hidden_flag;
    *own = tokens;
    return 0;
fail:
    Py_DECREF(tokens);
    return -1;
}

static void open_block_clear(OpenBlock *block) {
    Py_CLEAR(block->own_tokens);
    Py_CLEAR(block->ancestor_tokens);
    Py_CLEAR(block->tag_path);
    Py_CLEAR(block->tag);
    Py_CLEAR(block->inner_tokens);
    PyMem_Free(block->text.data);
    block->text.data = NULL;
    block->text.length = block->text.capacity = 0;
}

static void walk_clear(Walk *walk) {
    for (Py_ssize_t i = 0; i < walk->n_frames; i++) Py_CLEAR(walk->frames[i].tokens);
    for (Py_ssize_t i = 0; i < walk->n_open; i++) open_block_clear(&walk->open[i]);
    PyMem_Free(walk->frames);
    PyMem_Free(walk->open);
    PyMem_Free(walk->ancestors.data);
    PyMem_Free(walk->subtree_end.data);
    PyMem_Free(walk->numbers.data);
    PyMem_Free(walk->visible.data);
    PyMem_Free(walk->scratch.data);
    for (int i = 0; i < TAG_CACHE; i++) Py_CLEAR(walk->tags[i].string);
    Py_CLEAR(walk->path);
    Py_CLEAR(walk->blocks);
    Py_CLEAR(walk->token_cache);
}

/* Turn the open block's current text run into a block, then start a new run. */
static int flush(Walk *walk, OpenBlock *block) {
    PyObject *text = NULL;
    Py_ssize_t spaces = 0;
    if (block->text.length) {
        text = normalised_text((const unsigned char *)block->text.data, block->text.length,
                               &walk->scratch, &spaces);
        if (text == NULL && PyErr_Occurred()) return -1;
    }
    if (text != NULL) {
        PyObject *element = element_factory(walk->doc, block->node);
        if (element == NULL) { Py_DECREF(text); return -1; }
        PyObject *own = PyTuple_GetSlice(block->own_tokens, 0, max_own);
        Py_ssize_t n_inner = PyList_GET_SIZE(block->inner_tokens);
        PyObject *inner_tuple;
        if (n_inner == 0) {
            inner_tuple = walk->empty;
            Py_INCREF(inner_tuple);
        } else {
            PyObject *inner = PyList_GetSlice(block->inner_tokens, 0,
                                              n_inner < max_inner ? n_inner : max_inner);
            inner_tuple = inner ? PyList_AsTuple(inner) : NULL;
            Py_XDECREF(inner);
        }
        if (own == NULL || inner_tuple == NULL) {
            Py_DECREF(text); Py_DECREF(element); Py_XDECREF(own); Py_XDECREF(inner_tuple);
            return -1;
        }
        /* The slots of boilerkit.blocks.Block, in __init__'s order. */
        PyObject *fields[BLOCK_FIELDS] = {
            text, block->tag, element, PyLong_FromSsize_t(PyList_GET_SIZE(walk->blocks)),
            PyLong_FromLong(block->depth), PyLong_FromUnsignedLongLong(block->context),
            PyLong_FromLong(block->element_id), PyLong_FromLong(block->parent_id), own,
            block->ancestor_tokens, inner_tuple, block->tag_path,
            PyLong_FromSsize_t(block->link_chars), PyLong_FromSsize_t(block->link_count),
            PyLong_FromSsize_t(block->image_count), PyLong_FromSsize_t(block->input_count),
            PyLong_FromSsize_t(block->link_targets), PyLong_FromSsize_t(block->link_slugs),
            PyLong_FromLong(block->link_rels), Py_None, walk->locator};
        Py_INCREF(block->tag);
        Py_INCREF(block->ancestor_tokens);
        Py_INCREF(block->tag_path);
        Py_INCREF(Py_None);
        Py_INCREF(walk->locator);
        /* Characters that are not spaces, for the containers' sizes (ancestor_stats). */
        Py_ssize_t visible = PyUnicode_GET_LENGTH(text) - spaces;
        PyObject *made = with_slots(walk->block_type, walk->slots, fields);
        for (int i = 0; i < BLOCK_FIELDS; i++) Py_XDECREF(fields[i]);
        if (made == NULL) return -1;
        int status = PyList_Append(walk->blocks, made);
        Py_DECREF(made);
        if (status < 0) return -1;
        if (int64s_add(&walk->visible, visible) < 0) return -1;
        for (int level = 0; level < LEVELS; level++)
            if (int64s_add(&walk->ancestors, block->ancestors[level]) < 0) return -1;
        /* boilerkit.blocks.NUMBER_FIELDS */
        int64_t numbers[11] = {block->depth, (int64_t)block->context, block->element_id,
                               block->parent_id, block->link_chars, block->link_count,
                               block->image_count, block->input_count, block->link_targets,
                               block->link_slugs, block->link_rels};
        for (int i = 0; i < 11; i++)
            if (int64s_add(&walk->numbers, numbers[i]) < 0) return -1;
    }
    block->text.length = 0;
    block->link_chars = block->link_count = block->image_count = block->input_count = 0;
    block->link_targets = block->enclosing_target;
    block->link_slugs = block->enclosing_slugs;
    block->link_rels = block->enclosing_rels;
    if (PyList_SetSlice(block->inner_tokens, 0, PyList_GET_SIZE(block->inner_tokens), NULL) < 0)
        return -1;
    return 0;
}

static int add_text(Walk *walk, const xmlChar *content, int link_depth) {
    if (walk->n_open == 0 || content == NULL || content[0] == '\0') return 0;
    OpenBlock *block = &walk->open[walk->n_open - 1];
    Py_ssize_t length = strlen((const char *)content);
    if (buffer_add(&block->text, (const char *)content, length) < 0) return -1;
    if (link_depth) block->link_chars += visible_chars(content, length);
    return 0;
}

static int push_frame(Walk *walk, Frame frame) {
    if (walk->n_frames == walk->frames_capacity) {
        Py_ssize_t capacity = walk->frames_capacity ? walk->frames_capacity * 2 : 64;
        Frame *grown = PyMem_Realloc(walk->frames, capacity * sizeof(Frame));
        if (grown == NULL) { PyErr_NoMemory(); return -1; }
        walk->frames = grown;
        walk->frames_capacity = capacity;
    }
    walk->frames[walk->n_frames++] = frame;
    return 0;
}

static OpenBlock *push_open(Walk *walk) {
    if (walk->n_open == walk->open_capacity) {
        Py_ssize_t capacity = walk->open_capacity ? walk->open_capacity * 2 : 32;
        OpenBlock *grown = PyMem_Realloc(walk->open, capacity * sizeof(OpenBlock));
        if (grown == NULL) { PyErr_NoMemory(); return NULL; }
        walk->open = grown;
        walk->open_capacity = capacity;
    }
    OpenBlock *block = &walk->open[walk->n_open++];
    memset(block, 0, sizeof(OpenBlock));
    return block;
}

#define MAX_LINK_TARGET 100 /* boilerkit.blocks.MAX_LINK_TARGET */

static inline int is_href_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static inline int is_scheme_char(char c) {
    return is_lower(c) || is_upper(c) || is_digit(c) || c == '+' || c == '-' || c == '.';
}

#define MAX_SLUG_WORDS 15 /* boilerkit.blocks.MAX_SLUG_WORDS */

static inline int is_slug_separator(char c) {
    return c == '-' || c == '_' || c == '+' || c == '.';
}

/* boilerkit.blocks.link_slug_words of a target's path (after its host, no fragment). */
static Py_ssize_t slug_words(const char *path, const char *stop) {
    const char *query = memchr(path, '?', stop - path);
    if (query != NULL) stop = query;
    while (stop > path && stop[-1] == '/') stop--;
    const char *segment = stop;
    while (segment > path && segment[-1] != '/') segment--;
    /* A file extension: a dot and 2 to 5 ASCII letters or digits at the end. */
    const char *dot = stop;
    while (dot > segment && stop - dot <= 5 && (is_lower(dot[-1]) || is_upper(dot[-1])
                                                || is_digit(dot[-1])))
        dot--;
    if (dot > segment && dot[-1] == '.' && stop - dot >= 2 && stop - dot <= 5) stop = dot - 1;
    Py_ssize_t words = 0;
    int in_word = 0;
    for (const char *p = segment; p < stop; p++) {
        if (is_slug_separator(*p)) in_word = 0;
        else if (!in_word) { in_word = 1; words++; }
    }
    return words < MAX_SLUG_WORDS ? words : MAX_SLUG_WORDS;
}

/* boilerkit.blocks.link_target_length of the node's href: the bytes after the scheme and
 * host, without the fragment; 0 for links that go nowhere on the web. Its slug words
 * (boilerkit.blocks.link_slug_words) go to *slug. */
static int link_target_length(Walk *walk, xmlNode *node, Py_ssize_t *length, Py_ssize_t *slug) {
    Buffer *href = &walk->scratch;
    *length = 0;
    *slug = 0;
    int found = attribute(node, "href", href);
    if (found <= 0 || href->length == 0) return found < 0 ? -1 : 0;
    const char *p = href->data, *stop = href->data + href->length;
    while (p < stop && is_href_space(*p)) p++;
    while (stop > p && is_href_space(stop[-1])) stop--;
    const char *hash = memchr(p, '#', stop - p);
    if (hash != NULL) stop = hash;
    const char *start = p;
    int has_host = 0;
    if (stop - p >= 2 && p[0] == '/' && p[1] == '/') {
        start = p + 2;
        has_host = 1;
    } else {
        const char *colon = memchr(p, ':', stop - p);
        if (colon != NULL && colon > p) {
            const char *q = p;
            while (q < colon && is_scheme_char(*q)) q++;
            if (q == colon) {
                if (stop - colon < 3 || colon[1] != '/' || colon[2] != '/') return 0;
                start = colon + 3;
                has_host = 1;
            }
        }
    }
    if (has_host)
        while (start < stop && *start != '/' && *start != '?') start++;
    Py_ssize_t n = stop - start;
    *length = n < MAX_LINK_TARGET ? n : MAX_LINK_TARGET;
    *slug = slug_words(start, stop);
    return 0;
}

/* boilerkit.blocks.link_rel_flags of the node's rel attribute (its words looked up in the
 * configured boilerkit.blocks.LINK_REL_WORDS). */
static int link_rel_flags(Walk *walk, xmlNode *node, long *flags) {
    Buffer *rel = &walk->scratch;
    *flags = 0;
    int found = attribute(node, "rel", rel);
    if (found <= 0) return found;
    char *p = rel->data, *stop = rel->data + rel->length;
    for (char *q = p; q < stop; q++)
        if (is_upper(*q)) *q += 'a' - 'A';
    while (p < stop) {
        while (p < stop && is_href_space(*p)) p++;
        char *word = p;
        while (p < stop && !is_href_space(*p)) p++;
        if (p == word) continue;
        PyObject *key = PyUnicode_DecodeUTF8(word, p - word, "replace");
        if (key == NULL) return -1;
        PyObject *flag = PyDict_GetItemWithError(rel_flags, key);
        Py_DECREF(key);
        if (flag != NULL) *flags |= PyLong_AsLong(flag);
        else if (PyErr_Occurred()) return -1;
    }
    return 0;
}

/* Start an element: returns 1 if its children are to be walked, 0 if skipped, -1 on error. */
static int start_element(Walk *walk, xmlNode *node, long *element_id, int *link_depth) {
    const xmlChar *ns = (node->ns != NULL) ? node->ns->href : NULL;
    const TagInfo *info = (ns == NULL) ? lookup_tag((const char *)node->name) : NULL;
    if (info != NULL && info->skipped) return 0;
    long id = ++*element_id;
    if (int64s_add(&walk->subtree_end, id) < 0) return -1;
    Frame *parent = &walk->frames[walk->n_frames - 1];
    uint64_t context = parent->context | (info ? info->flags : 0);
    PyObject *own;
    uint64_t implied;
    if (element_tokens(walk, node, &own, &implied) < 0) return -1;
    context |= implied;
    PyObject *tokens;
    if (PyTuple_GET_SIZE(own)) {
        PyObject *joined = PySequence_Concat(parent->tokens, own);
        tokens = joined ? tuple_slice_end(joined, max_ancestor) : NULL;
        Py_XDECREF(joined);
        if (tokens == NULL) { Py_DECREF(own); return -1; }
    } else {
        tokens = parent->tokens;
        Py_INCREF(tokens);
    }
    int kind = 0;
    Py_ssize_t outer_target = 0, outer_slug = 0;
    long outer_rels = 0;
    if (info != NULL && info->block) {
        if (walk->n_open && flush(walk, &walk->open[walk->n_open - 1]) < 0) goto fail;
        /* The tag path: up to max_path - 1 enclosing tags, then its own. */
        Py_ssize_t first = walk->n_frames - (max_path - 1);
        if (first < 0) first = 0;
        const xmlChar *key[8] = {0};
        int n_key = 0;
        for (Py_ssize_t i = first; i < walk->n_frames && n_key < 6; i++) {
            key[n_key++] = walk->frames[i].name;
            key[n_key++] = walk->frames[i].ns;
        }
        key[6] = node->name;
        PyObject *tag = tag_string(walk, node->name, NULL);
        if (tag == NULL) goto fail;
        PyObject *path;
        if (walk->path != NULL && memcmp(key, walk->path_key, sizeof(key)) == 0) {
            path = walk->path;
            Py_INCREF(path);
        } else {
            PyObject *names = PyList_New(0);
            if (names == NULL) { Py_DECREF(tag); goto fail; }
            for (Py_ssize_t i = first; i < walk->n_frames; i++) {
                if (walk->frames[i].name == NULL) continue;
                PyObject *name = tag_string(walk, walk->frames[i].name, walk->frames[i].ns);
                if (name == NULL || PyList_Append(names, name) < 0) {
                    Py_XDECREF(name); Py_DECREF(names); Py_DECREF(tag); goto fail;
                }
                Py_DECREF(name);
            }
            if (PyList_Append(names, tag) < 0) { Py_DECREF(names); Py_DECREF(tag); goto fail; }
            path = PyList_AsTuple(names);
            Py_DECREF(names);
            if (path == NULL) { Py_DECREF(tag); goto fail; }
            Py_INCREF(path);
            Py_XSETREF(walk->path, path);
            memcpy(walk->path_key, key, sizeof(key));
        }
        OpenBlock *block = push_open(walk);
        if (block == NULL) { Py_DECREF(tag); Py_DECREF(path); goto fail; }
        block->node = node;
        block->element_id = id;
        block->parent_id = parent->id;
        block->depth = (long)(walk->n_frames - LEVELS);
        for (int level = 0; level < LEVELS; level++)
            block->ancestors[level] = walk->frames[walk->n_frames - 1 - level].id;
        block->context = context;
        block->enclosing_target = block->link_targets = *link_depth ? walk->link_target : 0;
        block->enclosing_slugs = block->link_slugs = *link_depth ? walk->link_slug : 0;
        block->enclosing_rels = block->link_rels = *link_depth ? walk->link_rels : 0;
        block->own_tokens = own;
        own = NULL;
        block->ancestor_tokens = parent->tokens;
        Py_INCREF(parent->tokens);
        block->tag_path = path;
        block->tag = tag;
        block->inner_tokens = PyList_New(0);
        if (block->tag_path == NULL || block->inner_tokens == NULL) goto fail;
        kind = 1;
    } else {
        int counted = info ? info->counted : 0;
        if (counted == 1) {
            ++*link_depth;
            kind = 2;
            outer_target = walk->link_target;
            outer_slug = walk->link_slug;
            outer_rels = walk->link_rels;
            if (link_target_length(walk, node, &walk->link_target, &walk->link_slug) < 0
                || link_rel_flags(walk, node, &walk->link_rels) < 0)
                goto fail;
        }
        if (walk->n_open) {
            OpenBlock *current = &walk->open[walk->n_open - 1];
            if (counted == 1) {
                current->link_count++;
                current->link_targets += walk->link_target;
                current->link_slugs += walk->link_slug;
                current->link_rels |= walk->link_rels;
            }
            else if (counted == 2) current->image_count++;
            else if (counted == 5) { if (buffer_add(&current->text, "\n", 1) < 0) goto fail; }
            else if (counted == 3 || counted == 4) {
                current->input_count++;
                if (counted == 3) {
                    Buffer *value = &walk->scratch;
                    int found = attribute(node, "type", value);
                    if (found < 0) goto fail;
                    int button = 0;
                    if (found) {
                        for (Py_ssize_t i = 0; i < value->length; i++)
                            if (is_upper(value->data[i])) value->data[i] += 'a' - 'A';
                        button = (value->length == 6 && memcmp(value->data, "submit", 6) == 0)
                                 || (value->length == 6 && memcmp(value->data, "button", 6) == 0);
                    }
                    if (button) {
                        found = attribute(node, "value", value);
                        if (found < 0) goto fail;
                        if (buffer_add(&current->text, " ", 1) < 0
                            || (found && buffer_add(&current->text, value->data, value->length) < 0)
                            || buffer_add(&current->text, " ", 1) < 0)
                            goto fail;
                    }
                }
            }
            if (PyTuple_GET_SIZE(own)) {
                Py_ssize_t n = PyTuple_GET_SIZE(own);
                for (Py_ssize_t i = 0; i < n; i++)
                    if (PyList_Append(current->inner_tokens, PyTuple_GET_ITEM(own, i)) < 0)
                        goto fail;
            }
        }
    }
    Py_XDECREF(own);
    Frame frame = {id, context, tokens, node->name, ns, kind, outer_target, outer_slug,
                   outer_rels};
    if (push_frame(walk, frame) < 0) { Py_DECREF(tokens); return -1; }
    return 1;
fail:
    Py_XDECREF(own);
    Py_DECREF(tokens);
    return -1;
}

static int end_element(Walk *walk, long element_id, int *link_depth) {
    Frame frame = walk->frames[--walk->n_frames];
    Py_DECREF(frame.tokens);
    walk->subtree_end.data[frame.id] = element_id;
    if (frame.kind == 1) {
        OpenBlock *block = &walk->open[walk->n_open - 1];
        int status = flush(walk, block);
        open_block_clear(block);
        walk->n_open--;
        if (status < 0) return -1;
    } else if (frame.kind == 2) {
        --*link_depth;
        walk->link_target = frame.outer_target;
        walk->link_slug = frame.outer_slug;
        walk->link_rels = frame.outer_rels;
    }
    return 0;
}

static int is_text(xmlNode *node) {
    return node->type == XML_TEXT_NODE || node->type == XML_CDATA_SECTION_NODE;
}

/* walk(root, Block, slots, locator) -> (blocks, ancestors, subtree_end, numbers, visible),
 * the last four int64 bytes (visible: each block's characters that are not spaces). slots
 * are the descriptors of Block's slots in __init__'s order; each block gets the values of
 * Block(..., None, locator). See boilerkit.blocks. */
static PyObject *walk_tree(PyObject *self, PyObject *args) {
    PyObject *root, *block_type, *slots, *locator;
    if (!PyArg_ParseTuple(args, "OO!OO", &root, &PyType_Type, &block_type, &slots, &locator)
        || check_slots(slots, BLOCK_FIELDS, "walk") < 0)
        return NULL;
    if (element_factory == NULL || tokenize_fallback == NULL || role_flags == NULL
        || rel_flags == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "_speedups is not configured");
        return NULL;
    }
    if (!PyObject_TypeCheck(root, element_type)) {
        PyErr_SetString(PyExc_TypeError, "expected an lxml element");
        return NULL;
    }
    Walk walk;
    memset(&walk, 0, sizeof(walk));
    walk.doc = ((LxmlElement *)root)->doc;
    walk.block_type = (PyTypeObject *)block_type;
    walk.slots = slots;
    walk.locator = locator;
    walk.blocks = PyList_New(0);
    walk.token_cache = PyDict_New();
    PyObject *empty = PyTuple_New(0);
    walk.empty = empty;
    if (walk.blocks == NULL || walk.token_cache == NULL || empty == NULL) goto fail;
    if (int64s_add(&walk.subtree_end, 0) < 0) goto fail;
    for (int i = 0; i < LEVELS; i++) {
        Frame sentinel = {-1, 0, empty, NULL, NULL, 0, 0, 0};
        Py_INCREF(empty);
        if (push_frame(&walk, sentinel) < 0) { Py_DECREF(empty); goto fail; }
    }
    xmlNode *top = ((LxmlElement *)root)->c_node;
    long element_id = 0;
    int link_depth = 0;
    if (top != NULL && top->type == XML_ELEMENT_NODE) {
        int status = start_element(&walk, top, &element_id, &link_depth);
        if (status < 0) goto fail;
        xmlNode *node = status ? top->children : NULL;
        xmlNode *parent = status ? top : NULL;
        while (parent != NULL) {
            if (node == NULL) { /* the parent's children are done */
                if (end_element(&walk, element_id, &link_depth) < 0) goto fail;
                if (parent == top) break;
                node = parent->next;
                parent = parent->parent;
                continue;
            }
            if (node->type == XML_ELEMENT_NODE) {
                status = start_element(&walk, node, &element_id, &link_depth);
                if (status < 0) goto fail;
                if (status && node->children != NULL) {
                    parent = node;
                    node = node->children;
                    continue;
                }
                if (status && end_element(&walk, element_id, &link_depth) < 0) goto fail;
            } else if (is_text(node)) {
                if (add_text(&walk, node->content, link_depth) < 0) goto fail;
            }
            node = node->next;
        }
    }
    Py_DECREF(empty);
    PyObject *ancestors = PyBytes_FromStringAndSize((const char *)walk.ancestors.data,
                                                    walk.ancestors.length * sizeof(int64_t));
    PyObject *ends = PyBytes_FromStringAndSize((const char *)walk.subtree_end.data,
                                               walk.subtree_end.length * sizeof(int64_t));
    PyObject *numbers = PyBytes_FromStringAndSize((const char *)walk.numbers.data,
                                                  walk.numbers.length * sizeof(int64_t));
    PyObject *visible = PyBytes_FromStringAndSize((const char *)walk.visible.data,
                                                  walk.visible.length * sizeof(int64_t));
    PyObject *result = (ancestors && ends && numbers && visible)
                       ? PyTuple_Pack(5, walk.blocks, ancestors, ends, numbers, visible) : NULL;
    Py_XDECREF(ancestors);
    Py_XDECREF(ends);
    Py_XDECREF(numbers);
    Py_XDECREF(visible);
    walk_clear(&walk);
    return result;
fail:
    Py_XDECREF(empty);
    walk_clear(&walk);
    return NULL;
}

/* ------------------------------------------------------------------ text statistics */

static inline int is_cjk(Py_UCS4 c) {
    return (c >= 0x3040 && c <= 0x30ff) || (c >= 0x3400 && c <= 0x4dbf)
           || (c >= 0x4e00 && c <= 0x9fff) || (c >= 0xac00 && c <= 0xd7af)
           || (c >= 0xf900 && c <= 0xfaff);
}

/* text_stats(texts) -> bytes of (n, 6) float64: characters, words (CJK characters count
 * one each), spaces, punctuation, digits, ends like a sentence. Texts are block texts,
 * whose only whitespace is single spaces. */
static PyObject *text_stats(PyObject *self, PyObject *texts) {
    if (punctuation == NULL || sentence_end == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "_speedups text statistics are not configured");
        return NULL;
    }
    if (!PyList_Check(texts)) {
        PyErr_SetString(PyExc_TypeError, "expected a list of str");
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(texts);
    PyObject *out = PyBytes_FromStringAndSize(NULL, n * 6 * sizeof(double));
    if (out == NULL) return NULL;
    double *row = (double *)PyBytes_AS_STRING(out);
    for (Py_ssize_t i = 0; i < n; i++, row += 6) {
        PyObject *text = PyList_GET_ITEM(texts, i);
        if (!PyUnicode_Check(text)) {
            Py_DECREF(out);
            PyErr_SetString(PyExc_TypeError, "expected a list of str");
            return NULL;
        }
        Py_ssize_t length = PyUnicode_GET_LENGTH(text);
        int kind = PyUnicode_KIND(text);
        const void *data = PyUnicode_DATA(text);
        double words = 0, spaces = 0, punct = 0, digits = 0;
        int in_word = 0;
        for (Py_ssize_t j = 0; j < length; j++) {
            Py_UCS4 c = PyUnicode_READ(kind, data, j);
            if (c == ' ') { spaces++; in_word = 0; continue; }
            if (is_cjk(c)) { words++; in_word = 0; continue; }
            if (!in_word) { words++; in_word = 1; }
            if (c >= '0' && c <= '9') digits++;
            if (in_sorted(punctuation, n_punctuation, c)) punct++;
        }
        row[0] = (double)length;
        row[1] = words;
        row[2] = spaces;
        row[3] = punct;
        row[4] = digits;
        row[5] = length && in_sorted(sentence_end, n_sentence_end,
                                     PyUnicode_READ(kind, data, length - 1));
    }
    return out;
}

/* ------------------------------------------------------------------ hashed tokens */

static uint32_t crc_table[256];

static void crc_init(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

/* zlib.crc32, continued from a running value (start with 0). */
static uint32_t crc_update(uint32_t crc, const char *data, Py_ssize_t length) {
    crc = ~crc;
    for (Py_ssize_t i = 0; i < length; i++)
        crc = crc_table[(crc ^ (unsigned char)data[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}

static int crc_str(uint32_t *crc, PyObject *text) {
    Py_ssize_t length;
    const char *data = PyUnicode_AsUTF8AndSize(text, &length);
    if (data == NULL) return -1;
    *crc = crc_update(*crc, data, length);
    return 0;
}

/* The buckets of one token source (a block's ancestor tokens, own tokens, inner tokens, tag
 * path or words), kept for the next block: siblings share these tuples, so consecutive
 * blocks often have the same one, and its tokens are hashed once. */
typedef struct {
    PyObject *tokens; /* owned, so that no other object can take its address meanwhile */
    Int64s buckets;
} BucketCache;

static int tokens_sequence(PyObject *tokens) {
    if (PyTuple_Check(tokens) || PyList_Check(tokens)) return 0;
    PyErr_SetString(PyExc_TypeError, "tokens must be a tuple or list");
    return -1;
}

static int prefixed_buckets(BucketCache *cache, Py_ssize_t n_hashed, const char *prefix,
                            PyObject *tokens) {
    if (tokens == cache->tokens) return 0;
    if (tokens_sequence(tokens) < 0) return -1;
    Py_CLEAR(cache->tokens);
    cache->buckets.length = 0;
    uint32_t start = crc_update(0, prefix, (Py_ssize_t)strlen(prefix));
    Py_ssize_t n = PySequence_Fast_GET_SIZE(tokens);
    PyObject **items = PySequence_Fast_ITEMS(tokens);
    for (Py_ssize_t i = 0; i < n; i++) {
        uint32_t crc = start;
        if (crc_str(&crc, items[i]) < 0
            || int64s_add(&cache->buckets, crc % (uint32_t)n_hashed) < 0)
            return -1;
    }
    Py_INCREF(tokens);
    cache->tokens = tokens;
    return 0;
}

/* The buckets of "path:a>b" for the last four tags of a tag path. */
static int path_buckets(BucketCache *cache, Py_ssize_t n_hashed, PyObject *path) {
    if (path == cache->tokens) return 0;
    if (tokens_sequence(path) < 0) return -1;
    Py_CLEAR(cache->tokens);
    cache->buckets.length = 0;
    uint32_t start = crc_update(0, "path:", 5);
    Py_ssize_t length = PySequence_Fast_GET_SIZE(path), first = length > 4 ? length - 4 : 0;
    PyObject **tags = PySequence_Fast_ITEMS(path);
    for (Py_ssize_t j = first; j + 1 < length; j++) {
        uint32_t crc = start;
        if (crc_str(&crc, tags[j]) < 0) return -1;
        crc = crc_update(crc, ">", 1);
        if (crc_str(&crc, tags[j + 1]) < 0
            || int64s_add(&cache->buckets, crc % (uint32_t)n_hashed) < 0)
            return -1;
    }
    Py_INCREF(path);
    cache->tokens = path;
    return 0;
}

enum { TOKEN_SOURCES = 5 };

/* hash_tokens(blocks, words, n_hashed, out float32 (n, width), column) -> bytes of int64:
 * writes the counts of the blocks' prefixed tokens per crc32 bucket (boilerkit.features)
 * into columns column .. column + n_hashed - 1 of out, and returns the cells it set, as
 * row * n_hashed + bucket in row order. */
static PyObject *hash_tokens(PyObject *self, PyObject *args) {
    PyObject *blocks, *words;
    Py_ssize_t n_hashed, column;
    Py_buffer out;
    if (!PyArg_ParseTuple(args, "O!O!nw*n", &PyList_Type, &blocks, &PyList_Type, &words,
                          &n_hashed, &out, &column))
        return NULL;
    static PyObject *fields[4];
    static const char *field_names[4] = {"ancestor_tokens", "own_tokens", "inner_tokens",
                                         "tag_path"};
    static const char *prefixes[3] = {"anc:", "own:", "in:"};
    PyObject *cells = NULL;
    BucketCache caches[TOKEN_SOURCES];
    memset(caches, 0, sizeof caches);
    Int64s set = {NULL, 0, 0};
    Py_ssize_t n = PyList_GET_SIZE(blocks);
    Py_ssize_t width = n ? out.len / (Py_ssize_t)(n * sizeof(float)) : 0;
    if (n_hashed < 1 || PyList_GET_SIZE(words) != n || column < 0
        || (n && (out.len != width * n * (Py_ssize_t)sizeof(float)
                  || column > width || n_hashed > width - column))) {
        PyErr_SetString(PyExc_ValueError, "hash_tokens: bad n_hashed, words, out or column");
        goto done;
    }
    for (int f = 0; f < 4; f++)
        if (fields[f] == NULL
            && (fields[f] = PyUnicode_InternFromString(field_names[f])) == NULL)
            goto done;
    for (Py_ssize_t i = 0; i < n; i++) {
        float *row = (float *)out.buf + i * width + column;
        memset(row, 0, n_hashed * sizeof(float));
        PyObject *block = PyList_GET_ITEM(blocks, i);
        for (int f = 0; f < 4; f++) {
            PyObject *tokens = PyObject_GetAttr(block, fields[f]);
            if (tokens == NULL) goto done;
            int status = f < 3 ? prefixed_buckets(&caches[f], n_hashed, prefixes[f], tokens)
                               : path_buckets(&caches[f], n_hashed, tokens);
            Py_DECREF(tokens);
            if (status < 0) goto done;
        }
        PyObject *block_words = PyList_GET_ITEM(words, i);
        if (block_words == Py_None) {
            Py_CLEAR(caches[4].tokens);
            caches[4].buckets.length = 0;
        } else if (prefixed_buckets(&caches[4], n_hashed, "word:", block_words) < 0) {
            goto done;
        }
        for (int c = 0; c < TOKEN_SOURCES; c++)
            for (Py_ssize_t j = 0; j < caches[c].buckets.length; j++)
                row[caches[c].buckets.data[j]] += 1.0f;
        for (Py_ssize_t bucket = 0; bucket < n_hashed; bucket++)
            if (row[bucket] != 0.0f && int64s_add(&set, i * n_hashed + bucket) < 0) goto done;
    }
    cells = PyBytes_FromStringAndSize((const char *)set.data,
                                      set.length * (Py_ssize_t)sizeof(int64_t));
done:
    for (int c = 0; c < TOKEN_SOURCES; c++) {
        Py_XDECREF(caches[c].tokens);
        PyMem_Free(caches[c].buckets.data);
    }
    PyMem_Free(set.data);
    PyBuffer_Release(&out);
    return cells;
}

/* ------------------------------------------------------------------ repetition */

static int has_decimal(PyObject *token) {
    if (!PyUnicode_Check(token)) {
        PyErr_SetString(PyExc_TypeError, "structure_groups: tokens must be str");
        return -1;
    }
    int kind = PyUnicode_KIND(token);
    const void *data = PyUnicode_DATA(token);
    Py_ssize_t length = PyUnicode_GET_LENGTH(token);
    for (Py_ssize_t i = 0; i < length; i++)
        if (Py_UNICODE_ISDECIMAL(PyUnicode_READ(kind, data, i))) return 1;
    return 0;
}

/* The tokens without those holding a decimal digit (features._without_digits): the same
 * tuple when none does. */
static PyObject *without_digits(PyObject *tokens) {
    Py_ssize_t n = PyTuple_GET_SIZE(tokens), kept = 0;
    int any = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        int found = has_decimal(PyTuple_GET_ITEM(tokens, i));
        if (found < 0) return NULL;
        any |= found;
    }
    if (!any) { Py_INCREF(tokens); return tokens; }
    PyObject *out = PyTuple_New(n);
    if (out == NULL) return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *token = PyTuple_GET_ITEM(tokens, i);
        if (!has_decimal(token)) {
            Py_INCREF(token);
            PyTuple_SET_ITEM(out, kept++, token);
        }
    }
    if (_PyTuple_Resize(&out, kept) < 0) return NULL;
    return out;
}

/* The cleaned tuple of `tokens` (its last `keep` items when keep > 0), computed once per
 * tuple object: blocks of one container or class share theirs. Returns a new reference. */
static PyObject *cleaned(PyObject *cache, PyObject *tokens, Py_ssize_t keep) {
    PyObject *key = PyLong_FromVoidPtr(tokens);
    if (key == NULL) return NULL;
    PyObject *found = PyDict_GetItemWithError(cache, key);
    if (found != NULL) {
        Py_DECREF(key);
        Py_INCREF(found);
        return found;
    }
    PyObject *value = NULL;
    if (!PyErr_Occurred()) {
        PyObject *tail = keep > 0 ? tuple_slice_end(tokens, keep) : (Py_INCREF(tokens), tokens);
        if (tail != NULL) {
            value = without_digits(tail);
            Py_DECREF(tail);
        }
        if (value != NULL && PyDict_SetItem(cache, key, value) < 0) Py_CLEAR(value);
    }
    Py_DECREF(key);
    return value;
}

/* structure_groups(blocks, keep) -> bytes of int64: each block's group, numbered in order
 * of first appearance, where a group is the blocks with the same tag path, the same
 * digit-free last `keep` container tokens and the same digit-free own tokens
 * (features.PageFeatures._repetition). The blocks keep their token tuples alive, so a
 * tuple's address identifies it for the call. */
static PyObject *structure_groups(PyObject *self, PyObject *args) {
    PyObject *blocks;
    Py_ssize_t keep;
    if (!PyArg_ParseTuple(args, "O!n", &PyList_Type, &blocks, &keep)) return NULL;
    static PyObject *fields[3];
    static const char *field_names[3] = {"ancestor_tokens", "own_tokens", "tag_path"};
    for (int f = 0; f < 3; f++)
        if (fields[f] == NULL && (fields[f] = PyUnicode_InternFromString(field_names[f])) == NULL)
            return NULL;
    Py_ssize_t n = PyList_GET_SIZE(blocks);
    PyObject *result = NULL, *ancestor_cache = PyDict_New(), *own_cache = PyDict_New(),
             *group_of = PyDict_New();
    int64_t *groups = PyMem_Malloc((n ? n : 1) * sizeof(int64_t));
    if (ancestor_cache == NULL || own_cache == NULL || group_of == NULL || groups == NULL) {
        if (groups == NULL) PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *block = PyList_GET_ITEM(blocks, i), *values[3] = {NULL, NULL, NULL};
        PyObject *kept = NULL, *own = NULL, *key = NULL;
        int ok = 1;
        for (int f = 0; f < 3 && ok; f++) {
            values[f] = PyObject_GetAttr(block, fields[f]);
            ok = values[f] != NULL && PyTuple_Check(values[f]);
        }
        if (ok) {
            kept = cleaned(ancestor_cache, values[0], keep);
            own = PyTuple_GET_SIZE(values[1]) ? cleaned(own_cache, values[1], 0)
                                              : (Py_INCREF(values[1]), values[1]);
            if (kept != NULL && own != NULL) key = PyTuple_Pack(3, values[2], kept, own);
        } else if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_TypeError, "structure_groups: token fields must be tuples");
        }
        if (key != NULL) {
            PyObject *index = PyDict_GetItemWithError(group_of, key);
            if (index != NULL) {
                groups[i] = PyLong_AsLongLong(index);
            } else if (!PyErr_Occurred()) {
                groups[i] = PyDict_GET_SIZE(group_of);
                PyObject *number = PyLong_FromLongLong(groups[i]);
                if (number == NULL || PyDict_SetItem(group_of, key, number) < 0) Py_CLEAR(key);
                Py_XDECREF(number);
            } else {
                Py_CLEAR(key);
            }
        }
        for (int f = 0; f < 3; f++) Py_XDECREF(values[f]);
        Py_XDECREF(kept);
        Py_XDECREF(own);
        if (key == NULL) goto done;
        Py_DECREF(key);
    }
    result = PyBytes_FromStringAndSize((const char *)groups, n * (Py_ssize_t)sizeof(int64_t));
done:
    Py_XDECREF(ancestor_cache);
    Py_XDECREF(own_cache);
    Py_XDECREF(group_of);
    PyMem_Free(groups);
    return result;
}

/* ------------------------------------------------------------------ trees */

static int check_buffer(Py_buffer *view, Py_ssize_t itemsize, Py_ssize_t count,
                        const char *name) {
    if (view->len != itemsize * count) {
        PyErr_Format(PyExc_ValueError, "%s has %zd bytes, expected %zd", name, view->len,
                     itemsize * count);
        return -1;
    }
    return 0;
}

/* The rows of X: a float32 matrix whose rows may be further apart than their length (a
 * numpy slice of the first columns of a wider matrix). */
static int get_rows(PyObject *obj, Py_buffer *view, Py_ssize_t *n, Py_ssize_t *d,
                    Py_ssize_t *stride) {
    if (PyObject_GetBuffer(obj, view, PyBUF_STRIDES | PyBUF_FORMAT) < 0) return -1;
    int ok = view->ndim == 2 && view->itemsize == 4
             && (view->format == NULL || strcmp(view->format, "f") == 0);
    if (ok) {
        *n = view->shape[0];
        *d = view->shape[1];
        /* A dimension of length one may have any stride. */
        *stride = *n > 1 ? view->strides[0] / 4 : *d;
        ok = (*d <= 1 || view->strides[1] == 4)
             && (*n <= 1 || (view->strides[0] % 4 == 0 && *stride >= *d));
    }
    if (!ok) {
        PyBuffer_Release(view); /* and view->obj is NULL again */
        PyErr_SetString(PyExc_ValueError, "X must be a float32 matrix of contiguous rows");
        return -1;
    }
    return 0;
}

/* One tree node, packed so that a node is a quarter of a cache line. The threshold is the
 * largest float32 not above the float64 threshold (boilerkit.predictor.float32_at_most), so
 * for a float32 value x, x <= threshold holds exactly when it holds in float64. A leaf has feature -1; missing values (NaN) go to
 * the child that missing_left names. */
typedef struct {
    float threshold;
    int32_t feature;
    int32_t child[2];
} Node;

/* pack_trees(feature, threshold float32, left, right, is_leaf) -> bytes of Node; indices
 * checked by the caller. */
static PyObject *pack_trees(PyObject *self, PyObject *args) {
    Py_buffer feature, threshold, left, right, leaf;
    if (!PyArg_ParseTuple(args, "y*y*y*y*y*", &feature, &threshold, &left, &right, &leaf))
        return NULL;
    PyObject *result = NULL;
    Py_ssize_t n = feature.len / 4;
    if (check_buffer(&threshold, 4, n, "threshold") < 0 || check_buffer(&left, 4, n, "left") < 0
        || check_buffer(&right, 4, n, "right") < 0 || check_buffer(&leaf, 1, n, "is_leaf") < 0)
        goto done;
    result = PyBytes_FromStringAndSize(NULL, n * sizeof(Node));
    if (result == NULL) goto done;
    Node *nodes = (Node *)PyBytes_AS_STRING(result);
    const int32_t *f = feature.buf, *l = left.buf, *r = right.buf;
    const float *t = threshold.buf;
    const uint8_t *is_leaf = leaf.buf;
    for (Py_ssize_t i = 0; i < n; i++) {
        nodes[i].threshold = t[i];
        nodes[i].feature = is_leaf[i] ? -1 : f[i];
        nodes[i].child[0] = l[i];
        nodes[i].child[1] = r[i];
    }
done:
    PyBuffer_Release(&feature); PyBuffer_Release(&threshold); PyBuffer_Release(&left);
    PyBuffer_Release(&right); PyBuffer_Release(&leaf);
    return result;
}

/* predict_trees(X float32 (n, d) of contiguous rows, packed nodes, missing_left, value,
 * roots, tree_output, baseline, out float64 (n, k)): out = baseline + the leaf values of
 * every tree, added tree by tree in order. Trees are the outer loop, so that one tree's
 * nodes stay in cache while every row goes through it. The caller has checked every
 * index. */
static PyObject *predict_trees(PyObject *self, PyObject *args) {
    Py_buffer X, packed, missing, value, roots, outputs, baseline, out;
    PyObject *rows;
    Py_ssize_t n, d, stride;
    if (!PyArg_ParseTuple(args, "Oy*y*y*y*y*y*w*", &rows, &packed, &missing, &value, &roots,
                          &outputs, &baseline, &out))
        return NULL;
    PyObject *result = NULL;
    X.obj = NULL; /* released at done: a view whose obj is NULL releases nothing */
    if (get_rows(rows, &X, &n, &d, &stride) < 0) goto done;
    Py_ssize_t n_nodes = packed.len / (Py_ssize_t)sizeof(Node), n_trees = roots.len / 4,
               k = baseline.len / 8;
    if (check_buffer(&packed, sizeof(Node), n_nodes, "nodes") < 0
        || check_buffer(&missing, 1, n_nodes, "missing_left") < 0
        || check_buffer(&value, 8, n_nodes, "value") < 0
        || check_buffer(&outputs, 4, n_trees, "tree_output") < 0
        || check_buffer(&out, 8, n * k, "out") < 0)
        goto done;
    const float *x = X.buf;
    const Node *nodes = packed.buf;
    const int32_t *root = roots.buf, *o = outputs.buf;
    const double *v = value.buf, *b = baseline.buf;
    const uint8_t *m = missing.buf;
    double *y = out.buf;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n; i++)
        for (Py_ssize_t j = 0; j < k; j++) y[i * k + j] = b[j];
    /* Rows go through the trees a block of ROWS at a time, so that the block's features stay
     * in cache while every tree passes over them; within a block, LANES rows go through a
     * tree interleaved, so that the processor follows several independent paths while each
     * waits for its next node. The child is chosen without a branch, since which way a split
     * goes is unpredictable. */
    enum { LANES = 8, ROWS = 64 };
    for (Py_ssize_t block = 0; block < n; block += ROWS) {
    Py_ssize_t block_end = block + ROWS < n ? block + ROWS : n;
    for (Py_ssize_t tree = 0; tree < n_trees; tree++) {
        const int32_t start = root[tree];
        double *column = y + o[tree];
        for (Py_ssize_t first = block; first < block_end; first += LANES) {
            int lanes = (int)(block_end - first < LANES ? block_end - first : LANES);
            int32_t node[LANES];
            const float *row[LANES];
            for (int lane = 0; lane < lanes; lane++) {
                node[lane] = start;
                row[lane] = x + (first + lane) * stride;
            }
            int active = 1;
            while (active) {
                active = 0;
                for (int lane = 0; lane < lanes; lane++) {
                    const Node *split = &nodes[node[lane]];
                    if (split->feature < 0) continue;
                    float feature_value = row[lane][split->feature];
                    int right = !(feature_value <= split->threshold);
                    if (feature_value != feature_value) right = !m[node[lane]];
                    node[lane] = split->child[right];
                    active = 1;
                }
            }
            for (int lane = 0; lane < lanes; lane++) column[(first + lane) * k] += v[node[lane]];
        }
    }
    }
    Py_END_ALLOW_THREADS
    Py_INCREF(Py_None);
    result = Py_None;
done:
    PyBuffer_Release(&X); PyBuffer_Release(&packed); PyBuffer_Release(&missing);
    PyBuffer_Release(&value); PyBuffer_Release(&roots); PyBuffer_Release(&outputs);
    PyBuffer_Release(&baseline); PyBuffer_Release(&out);
    return result;
}

/* A split in the leaf-mask predictor (QuickScorer: Lucchese et al., SIGIR 2015). A row that
 * goes right at this split ("fails" it) cannot reach the leaves under its left child, so
 * mask clears their bits in the tree's leaf mask. */
typedef struct {
    float threshold;
    int32_t tree;
    uint32_t mask;
} MaskNode;

#if defined(__GNUC__) || defined(__clang__)
#define LOWEST_BIT(x) __builtin_ctz(x)
#else
static int LOWEST_BIT(uint32_t x) { int i = 0; while (!(x & 1)) { x >>= 1; i++; } return i; }
#endif

enum { GROUP = 8 }; /* rows that go through the splits together, one vector lane each */

/* Where the compiler can, it builds the kernel twice, for AVX2 and for the baseline
 * instruction set, and the loader picks the one the processor runs. */
#if defined(__x86_64__) && defined(__GNUC__) && defined(__GLIBC__)
#define VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define VECTOR_CLONES
#endif

VECTOR_CLONES
static void mask_kernel(const float *x, Py_ssize_t n, Py_ssize_t stride, const MaskNode *nodes,
                        const int32_t *starts, const MaskNode *missing,
                        const int32_t *missing_starts, const int32_t *used, Py_ssize_t n_used,
                        const double *leaf_values, int width, const int32_t *o,
                        Py_ssize_t n_trees, const double *b, Py_ssize_t k, double *y,
                        uint32_t *masks) {
    const uint32_t all = width >= 32 ? ~(uint32_t)0 : (((uint32_t)1 << width) - 1);
    for (Py_ssize_t first = 0; first < n; first += GROUP) {
        int rows = (int)(n - first < GROUP ? n - first : GROUP);
        for (Py_ssize_t t = 0; t < n_trees * GROUP; t++) masks[t] = all;
        for (Py_ssize_t u = 0; u < n_used; u++) {
            const int32_t f = used[u];
            float v[GROUP];
            for (int lane = 0; lane < GROUP; lane++) {
                /* Padding lanes and missing values fail no split in the scan below. */
                float value = lane < rows ? x[(first + lane) * stride + f] : -INFINITY;
                if (value != value) {
                    for (int32_t s = missing_starts[f]; s < missing_starts[f + 1]; s++)
                        masks[missing[s].tree * GROUP + lane] &= missing[s].mask;
                    value = -INFINITY;
                }
                v[lane] = value;
            }
            float top = v[0];
            for (int lane = 1; lane < GROUP; lane++) top = v[lane] > top ? v[lane] : top;
            /* Thresholds are sorted: the splits any lane fails are a prefix. */
            const int32_t end = starts[f + 1];
#if defined(__GNUC__) || defined(__clang__)
            typedef float lanes_f __attribute__((vector_size(4 * GROUP)));
            typedef int32_t lanes_i __attribute__((vector_size(4 * GROUP)));
            lanes_f lane_values;
            __builtin_memcpy(&lane_values, v, sizeof lane_values);
            for (int32_t s = starts[f]; s < end && nodes[s].threshold < top; s++) {
                uint32_t *m = masks + nodes[s].tree * GROUP;
                lanes_i lane_masks;
                __builtin_memcpy(&lane_masks, m, sizeof lane_masks);
                lanes_i fails = lane_values > nodes[s].threshold;
                lane_masks &= ~(fails & ~(int32_t)nodes[s].mask);
                __builtin_memcpy(m, &lane_masks, sizeof lane_masks);
            }
#else
            for (int32_t s = starts[f]; s < end && nodes[s].threshold < top; s++) {
                uint32_t *m = masks + nodes[s].tree * GROUP;
                for (int lane = 0; lane < GROUP; lane++)
                    if (v[lane] > nodes[s].threshold) m[lane] &= nodes[s].mask;
            }
#endif
        }
        /* Each tree's exit leaf is its lowest bit left; add the leaves tree by tree, in
         * order, as predict_trees does, so that the sums are the same. */
        double *group_out = y + first * k;
        for (int lane = 0; lane < rows; lane++)
            for (Py_ssize_t j = 0; j < k; j++) group_out[lane * k + j] = b[j];
        /* Lanes inside: each row's sum keeps its order, and the rows' additions overlap. */
        for (Py_ssize_t t = 0; t < n_trees; t++) {
            const double *leaves = leaf_values + t * width;
            const uint32_t *m = masks + t * GROUP;
            double *column = group_out + o[t];
            for (int lane = 0; lane < rows; lane++)
                column[lane * k] += leaves[LOWEST_BIT(m[lane])];
        }
    }
}

/* predict_masks(X float32 (n, d) of contiguous rows, nodes MaskNode sorted by (feature,
 * threshold), starts int32 (d + 1), missing MaskNode of the splits that send missing
 * values right, by feature, missing_starts int32 (d + 1), used int32 features,
 * leaf_values float64 (n_trees * width), width, tree_output int32, baseline, out float64
 * (n, k)): the same sums as predict_trees,
 * for trees of fewer than 32 leaves. The caller has checked every index, and that bit
 * width - 1 of every mask is set, so that no mask becomes zero. */
static PyObject *predict_masks(PyObject *self, PyObject *args) {
    Py_buffer X, nodes, starts, missing, missing_starts, used, leaf_values, outputs, baseline,
        out;
    PyObject *rows;
    Py_ssize_t n, n_columns, stride;
    int width;
    if (!PyArg_ParseTuple(args, "Oy*y*y*y*y*y*iy*y*w*", &rows, &nodes, &starts, &missing,
                          &missing_starts, &used, &leaf_values, &width, &outputs, &baseline,
                          &out))
        return NULL;
    PyObject *result = NULL;
    uint32_t *masks = NULL;
    X.obj = NULL;
    if (get_rows(rows, &X, &n, &n_columns, &stride) < 0) goto done;
    Py_ssize_t n_trees = outputs.len / 4, k = baseline.len / 8;
    Py_ssize_t d = starts.len / 4 - 1;
    if (d < 0 || d != n_columns || width < 1 || width > 32) {
        PyErr_SetString(PyExc_ValueError, "predict_masks: bad starts, width or X");
        goto done;
    }
    if (check_buffer(&missing_starts, 4, d + 1, "missing_starts") < 0
        || check_buffer(&leaf_values, 8, n_trees * width, "leaf_values") < 0
        || check_buffer(&out, 8, n * k, "out") < 0)
        goto done;
    masks = PyMem_Malloc(sizeof(uint32_t) * GROUP * (n_trees + 1));
    if (masks == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    mask_kernel(X.buf, n, stride, nodes.buf, starts.buf, missing.buf, missing_starts.buf,
                used.buf, used.len / 4, leaf_values.buf, width, outputs.buf, n_trees,
                baseline.buf, k, out.buf, masks);
    Py_END_ALLOW_THREADS
    Py_INCREF(Py_None);
    result = Py_None;
done:
    PyMem_Free(masks);
    PyBuffer_Release(&X); PyBuffer_Release(&nodes); PyBuffer_Release(&starts);
    PyBuffer_Release(&missing); PyBuffer_Release(&missing_starts); PyBuffer_Release(&used);
    PyBuffer_Release(&leaf_values); PyBuffer_Release(&outputs); PyBuffer_Release(&baseline);
    PyBuffer_Release(&out);
    return result;
}

/* ------------------------------------------------------------------ context features */

/* context_features(probabilities float64 (n, k), chars float64 (n), owners int64 (n),
 * ancestor_ids int64 (n, a), subtree_end int64 (e), windows int64 (w), out float32 (n, f)):
 * boilerkit.context.context_features in one pass over the page. Every sum is taken in the
 * same order as the numpy path, so that the two give the same float32 features. */
static PyObject *context_features(PyObject *self, PyObject *args) {
    Py_buffer P, chars, owners, ancestors, ends, windows, out;
    if (!PyArg_ParseTuple(args, "y*y*y*y*y*y*w*", &P, &chars, &owners, &ancestors, &ends,
                          &windows, &out))
        return NULL;
    PyObject *result = NULL;
    double *prefix = NULL, *running = NULL;
    const Py_ssize_t n = chars.len / 8, e = ends.len / 8, w = windows.len / 8;
    const Py_ssize_t k = n ? P.len / (8 * n) : 0, a = n ? ancestors.len / (8 * n) : 0;
    const Py_ssize_t per_label = 1 + w + a + 1, width = k * per_label + a + 2, K = k + 1;
    if (n == 0 || k == 0 || e == 0) {
        PyErr_SetString(PyExc_ValueError, "context_features: empty page or no labels");
        goto done;
    }
    if (check_buffer(&P, 8, n * k, "probabilities") < 0
        || check_buffer(&owners, 8, n, "owners") < 0
        || check_buffer(&ancestors, 8, n * a, "ancestor_ids") < 0
        || check_buffer(&out, 4, n * width, "out") < 0)
        goto done;
    const double *p = P.buf, *c = chars.buf;
    const int64_t *owner = owners.buf, *ancestor = ancestors.buf, *end = ends.buf,
                  *window = windows.buf;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (owner[i] < 0 || owner[i] >= e) {
            PyErr_SetString(PyExc_ValueError, "context_features: owner out of range");
            goto done;
        }
        for (Py_ssize_t l = 0; l < a; l++)
            if (ancestor[i * a + l] >= e) {
                PyErr_SetString(PyExc_ValueError, "context_features: ancestor out of range");
                goto done;
            }
    }
    for (Py_ssize_t x = 0; x < e; x++)
        if (end[x] < 0 || end[x] >= e) {
            PyErr_SetString(PyExc_ValueError, "context_features: subtree end out of range");
            goto done;
        }
    for (Py_ssize_t x = 0; x < w; x++)
        if (window[x] < 0) {
            PyErr_SetString(PyExc_ValueError, "context_features: negative window");
            goto done;
        }
    prefix = PyMem_Calloc((size_t)(e + 1) * K, sizeof(double));
    running = PyMem_Calloc((size_t)(n + 1) * k + 2 * K, sizeof(double));
    if (prefix == NULL || running == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    float *o = out.buf;
    Py_BEGIN_ALLOW_THREADS
    /* Per element, the character-weighted probabilities and the characters of its blocks
     * (added in block order), then prefix sums over elements in document order: a subtree
     * is the id range [e, end(e)]. */
    double *per_element = prefix + K, *totals = running + (n + 1) * k, *sums = totals + K;
    for (Py_ssize_t i = 0; i < n; i++) {
        double *cell = per_element + owner[i] * K;
        for (Py_ssize_t j = 0; j < k; j++) {
            double weighted = p[i * k + j] * c[i];
            cell[j] += weighted;
            totals[j] += weighted;
        }
        cell[k] += c[i];
        totals[k] += c[i];
    }
    for (Py_ssize_t x = 1; x < e; x++)
        for (Py_ssize_t j = 0; j < K; j++)
            per_element[x * K + j] += per_element[(x - 1) * K + j];
    /* running[i] = sum of the probabilities of the blocks before i, for the window means. */
    for (Py_ssize_t i = 0; i < n; i++)
        for (Py_ssize_t j = 0; j < k; j++)
            running[(i + 1) * k + j] = running[i * k + j] + p[i * k + j];
    const double page_chars = totals[k] > 1.0 ? totals[k] : 1.0;
    const double primary_total = totals[0] > 1e-9 ? totals[0] : 1e-9;
    for (Py_ssize_t i = 0; i < n; i++) {
        float *row = o + i * width;
        for (Py_ssize_t j = 0; j < k; j++) {
            float *cell = row + j * per_label;
            cell[0] = (float)p[i * k + j];
            for (Py_ssize_t x = 0; x < w; x++) {
                Py_ssize_t size = window[x] < n ? (Py_ssize_t)window[x] : n;
                Py_ssize_t low = i - size > 0 ? i - size : 0;
                Py_ssize_t high = i + size + 1 < n ? i + size + 1 : n;
                cell[1 + x] = (float)((running[high * k + j] - running[low * k + j])
                                      / (double)(high - low));
            }
            cell[per_label - 1] = (float)(totals[j] / page_chars);
        }
        for (Py_ssize_t l = 0; l < a; l++) {
            int64_t id = ancestor[i * a + l];
            for (Py_ssize_t j = 0; j < K; j++)
                sums[j] = id > 0 ? prefix[(end[id] + 1) * K + j] - prefix[id * K + j] : 0.0;
            for (Py_ssize_t j = 0; j < k; j++)
                row[j * per_label + 1 + w + l] =
                    (float)(sums[k] > 0 ? sums[j] / (sums[k] > 1e-9 ? sums[k] : 1e-9) : 0.0);
            row[k * per_label + l] = (float)(sums[0] / primary_total);
        }
    }
    /* Distances to the nearest block more likely primary than not, before and after. */
    Py_ssize_t last = -1;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (p[i * k] > 0.5) last = i;
        o[i * width + width - 2] = (float)((double)(last >= 0 ? i - last : n) / (double)n);
    }
    Py_ssize_t next = n;
    for (Py_ssize_t i = n - 1; i >= 0; i--) {
        if (p[i * k] > 0.5) next = i;
        o[i * width + width - 1] = (float)((double)(next < n ? next - i : n) / (double)n);
    }
    Py_END_ALLOW_THREADS
    Py_INCREF(Py_None);
    result = Py_None;
done:
    PyMem_Free(prefix);
    PyMem_Free(running);
    PyBuffer_Release(&P); PyBuffer_Release(&chars); PyBuffer_Release(&owners);
    PyBuffer_Release(&ancestors); PyBuffer_Release(&ends); PyBuffer_Release(&windows);
    PyBuffer_Release(&out);
    return result;
}

/* ------------------------------------------------------------------ labelled blocks */

enum { LABELLED_FIELDS = 6 }; /* the slots of boilerkit.page.LabelledBlock */

/* labelled_blocks(LabelledBlock, slots, blocks, labels tuple, best int64 (n), scores) ->
 * list of LabelledBlock(block, labels[best[i]], scores=scores, row=i, labels=labels), made
 * with_slots (block, label, _probabilities, _scores, _row, _labels). */
static PyObject *labelled_blocks(PyObject *self, PyObject *args) {
    PyObject *type, *slots, *blocks, *labels, *scores;
    Py_buffer best;
    if (!PyArg_ParseTuple(args, "O!OO!O!y*O", &PyType_Type, &type, &slots, &PyList_Type,
                          &blocks, &PyTuple_Type, &labels, &best, &scores))
        return NULL;
    PyObject *made = NULL;
    Py_ssize_t n = PyList_GET_SIZE(blocks), n_labels = PyTuple_GET_SIZE(labels);
    if (check_slots(slots, LABELLED_FIELDS, "labelled_blocks") < 0
        || check_buffer(&best, 8, n, "best") < 0)
        goto done;
    if (scores == Py_None) { /* LabelledBlock.__init__ refuses it too */
        PyErr_SetString(PyExc_ValueError, "labelled_blocks: no scores");
        goto done;
    }
    const int64_t *label = best.buf;
    made = PyList_New(n);
    if (made == NULL) goto done;
    PyTypeObject *labelled_type = (PyTypeObject *)type;
    for (Py_ssize_t i = 0; i < n; i++) {
        /* Checked in the loop: a finalizer that the allocator runs could change them. */
        if (i >= PyList_GET_SIZE(blocks) || label[i] < 0 || label[i] >= n_labels) {
            PyErr_SetString(PyExc_ValueError,
                            "labelled_blocks: label index out of range, or blocks changed");
            Py_CLEAR(made);
            goto done;
        }
        PyObject *row = PyLong_FromSsize_t(i);
        PyObject *values[LABELLED_FIELDS] = {PyList_GET_ITEM(blocks, i),
                                             PyTuple_GET_ITEM(labels, label[i]), Py_None,
                                             scores, row, labels};
        PyObject *item = with_slots(labelled_type, slots, values);
        Py_XDECREF(row);
        if (item == NULL) {
            Py_CLEAR(made);
            goto done;
        }
        PyList_SET_ITEM(made, i, item);
    }
done:
    PyBuffer_Release(&best);
    return made;
}

/* ------------------------------------------------------------------ module */

static PyMethodDef methods[] = {
    {"configure", configure, METH_VARARGS, "Set the walk's tag, role and token tables."},
    {"walk", walk_tree, METH_VARARGS, "Blocks of the tree under an lxml element."},
    {"configure_text", configure_text, METH_VARARGS, "Set the characters text_stats counts."},
    {"text_stats", text_stats, METH_O, "Character counts of block texts."},
    {"hash_tokens", hash_tokens, METH_VARARGS, "Hashed token counts of blocks."},
    {"structure_groups", structure_groups, METH_VARARGS, "Repeated-structure group of blocks."},
    {"pack_trees", pack_trees, METH_VARARGS, "Pack tree nodes for predict_trees."},
    {"predict_trees", predict_trees, METH_VARARGS, "Sum the leaf values of tree ensembles."},
    {"predict_masks", predict_masks, METH_VARARGS, "Sum tree ensembles with leaf masks."},
    {"context_features", context_features, METH_VARARGS, "Context features of one page."},
    {"labelled_blocks", labelled_blocks, METH_VARARGS, "Labelled blocks of a classified page."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_speedups", NULL, -1, methods};

PyMODINIT_FUNC PyInit__speedups(void) {
    crc_init();
    PyObject *etree = PyImport_ImportModule("lxml.etree");
    if (etree == NULL) return NULL;
    PyObject *type = PyObject_GetAttrString(etree, "_Element");
    PyObject *capi = PyObject_GetAttrString(etree, "__pyx_capi__");
    Py_DECREF(etree);
    if (type == NULL || capi == NULL || !PyType_Check(type)) goto fail;
    PyObject *capsule = PyDict_GetItemString(capi, "elementFactory");
    const char *signature = capsule ? PyCapsule_GetName(capsule) : NULL;
    if (signature == NULL || strstr(signature, "LxmlElement") == NULL) {
        PyErr_SetString(PyExc_ImportError, "lxml exports no usable elementFactory");
        goto fail;
    }
    element_factory = (ElementFactory)PyCapsule_GetPointer(capsule, signature);
    if (element_factory == NULL) goto fail;
    element_type = (PyTypeObject *)type; /* kept for the module's lifetime */
    Py_DECREF(capi);
    return PyModule_Create(&module);
fail:
    Py_XDECREF(type);
    Py_XDECREF(capi);
    if (!PyErr_Occurred()) PyErr_SetString(PyExc_ImportError, "lxml's C API is not usable");
    return NULL;
}
