"""Read a corpus into :class:`~dedup.model.Document` objects.

Paths may be files, directories (walked recursively in sorted order) or ``-`` for stdin.
``.txt``/``.md`` files are one document each; ``.jsonl``/``.jsonl.gz`` files hold one document
per line; ``.parquet`` files (optional extra ``dedup[parquet]``) one per row.

Every problem raises :class:`~dedup.errors.InputError` naming the file (and line): nothing is
skipped silently.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson

from ..errors import InputError
from ..model import Document

TEXT_SUFFIXES = (".txt", ".md")
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz")
PARQUET_SUFFIXES = (".parquet",)
ALL_SUFFIXES = TEXT_SUFFIXES + JSONL_SUFFIXES + PARQUET_SUFFIXES


@dataclass(frozen=True, slots=True)
class ReadOptions:
    text_field: str = "text"
    id_field: str = "id"
    stdin_format: str = "txt"  # txt | jsonl


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file to read, with the id prefix rules that apply to it."""

    path: str  # as the user gave it (or joined under a directory)
    doc_id: str  # id of a .txt document; JSONL files use it as "<name>" for line ids
    root: str | None  # the directory argument it was found under


def _suffix(name: str) -> str | None:
    low = name.lower()
    for s in ALL_SUFFIXES:
        if low.endswith(s):
            return s
    return None


def discover(paths: Iterable[str]) -> list[SourceFile]:
    """Expand path arguments into the files to read, in a stable order.

    >>> discover(["-"])
    [SourceFile(path='-', doc_id='-', root=None)]
    """
    out: list[SourceFile] = []
    for p in paths:
        if p == "-":
            out.append(SourceFile("-", "-", None))
            continue
        if is_url(p):
            out.extend(_discover_url(p))
            continue
        if not os.path.exists(p):
            raise InputError(p, "no such file or directory")
        if os.path.isdir(p):
            if not os.access(p, os.R_OK | os.X_OK):
                raise InputError(p, "directory is not readable")
            found: list[tuple[str, str]] = []
            ignored = 0
            for dirpath, dirnames, filenames in os.walk(p, onerror=_walk_error):
                dirnames.sort()
                for fn in filenames:
                    if _suffix(fn) is None:
                        ignored += 1
                        continue
                    full = os.path.join(dirpath, fn)
                    rel = Path(os.path.relpath(full, p)).as_posix()
                    found.append((rel, full))
            _check_found(p, len(found), ignored)
            for rel, full in sorted(found):
                if rel == MANIFEST_NAME and is_clean_manifest(full):
                    continue  # the manifest of a `dedup clean` output is not a document
                out.append(SourceFile(full, rel, p))
        else:
            out.append(SourceFile(p, os.path.basename(p), None))
    return out


MANIFEST_NAME = "manifest.jsonl"


def _check_found(path: str, found: int, ignored: int) -> None:
    """A directory whose files are all of types dedup does not read is a mistake, not an empty
    corpus (an empty directory is an empty batch)."""
    if not found and ignored:
        raise InputError(path, f"no {', '.join(ALL_SUFFIXES)} file below it ({ignored} other file"
                               f"{'s' if ignored != 1 else ''} ignored; name a file to read it as text)")


def is_url(path: str) -> bool:
    """``scheme://...`` paths (s3://, gs://, https://, memory:// ...) are read through fsspec.

    >>> is_url("s3://bucket/corpus/"), is_url("corpus/a.txt"), is_url("C:/data")
    (True, False, False)
    """
    scheme, sep, _ = path.partition("://")
    return bool(sep) and scheme.isalnum() and len(scheme) > 1


def _fsspec(path: str):
    try:
        import fsspec
    except ImportError:
        raise InputError(path, "reading URLs needs fsspec: pip install 'dedup[fsspec]'") from None
    try:
        return fsspec.core.url_to_fs(path)
    except (ImportError, ValueError) as e:  # unknown protocol, or its driver is not installed
        raise InputError(path, f"cannot open URL: {e}") from None


def _discover_url(url: str) -> list[SourceFile]:
    """Files under a URL, like a local directory walk (ids relative to it, sorted)."""
    fs, root = _fsspec(url)
    try:
        if fs.isdir(root):
            found = []
            ignored = 0
            base = root.rstrip("/") + "/"
            for full in fs.find(root):
                rel = full[len(base):] if full.startswith(base) else full.rsplit("/", 1)[-1]
                if _suffix(rel) is None:
                    ignored += 1
                    continue
                u = fs.unstrip_protocol(full)
                if rel == MANIFEST_NAME and is_clean_manifest(u):
                    continue
                found.append((rel, u))
            _check_found(url, len(found), ignored)
            return [SourceFile(u, rel, url) for rel, u in sorted(found)]
        if fs.exists(root):
            return [SourceFile(url, url.rstrip("/").rsplit("/", 1)[-1], None)]
    except OSError as e:
        raise InputError(url, f"cannot read: {e}") from None
    raise InputError(url, "no such file or directory")


def _open_binary(path: str):
    """A binary file object for a local path or an fsspec URL."""
    if is_url(path):
        fs, p = _fsspec(path)
        return fs.open(p, "rb")
    return open(path, "rb")


def is_clean_manifest(path: str) -> bool:
    """Whether ``path`` is a ``manifest.jsonl`` written by ``dedup clean`` (its first line is a
    manifest record). Directory walks skip it, so a cleaned corpus can be scanned or cleaned again."""
    if path.rstrip("/").rsplit("/", 1)[-1] != MANIFEST_NAME and os.path.basename(path) != MANIFEST_NAME:
        return False
    try:
        with _open_binary(path) as f:
            first = json.loads(f.readline() or b"{}")
    except (OSError, ValueError):
        return False
    return isinstance(first, dict) and {"id", "action", "removed", "chars_in"} <= set(first)


def _walk_error(err: OSError) -> None:
    raise InputError(str(err.filename), f"cannot read directory: {err.strerror}")


def _decode(data: bytes, path: str) -> str:
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise InputError(path, "binary file (NUL byte), not UTF-8 text", line)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise InputError(path, f"invalid UTF-8 at byte {e.start}", line) from None


def _read_bytes(path: str) -> bytes:
    try:
        with _open_binary(path) as f:
            return f.read()
    except OSError as e:
        raise InputError(path, f"cannot read: {e.strerror or e}") from None


def _record_id(rec: dict, opts: ReadOptions, name: str, lineno: int, path: str) -> str:
    if opts.id_field in rec and rec[opts.id_field] is not None:
        v = rec[opts.id_field]
        if isinstance(v, bool) or not isinstance(v, (str, int)):
            raise InputError(path, f"id field {opts.id_field!r} must be a string or integer", lineno)
        return str(v)
    return f"{name}:{lineno}"


def _record_text(rec: object, opts: ReadOptions, path: str, lineno: int) -> str:
    if not isinstance(rec, dict):
        raise InputError(path, "JSONL line is not a JSON object", lineno)
    if opts.text_field not in rec:
        raise InputError(path, f"record has no text field {opts.text_field!r}", lineno)
    text = rec[opts.text_field]
    if not isinstance(text, str):
        raise InputError(path, f"text field {opts.text_field!r} is not a string", lineno)
    return text


def _raw_jsonl_lines(lines: Iterable[bytes] | bytes, path: str) -> Iterator[tuple[int, bytes]]:
    """(line number, bytes) of the non-blank lines of a JSONL file (its bytes, or an iterable of
    its lines); a NUL byte is an error."""
    if isinstance(lines, bytes):
        lines = lines.split(b"\n")
    for lineno, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        if b"\x00" in raw:
            raise InputError(path, "binary data (NUL byte) in JSONL line", lineno)
        yield lineno, raw


def _decoded(raw: bytes, path: str, lineno: int) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(path, f"invalid UTF-8 at byte {e.start} of the line", lineno) from None


def iter_jsonl_lines(lines: Iterable[bytes] | bytes, path: str) -> Iterator[tuple[int, str]]:
    """Yield (line number, decoded line) for the non-blank lines of a JSONL file (its bytes, or an
    iterable of its lines)."""
    for lineno, raw in _raw_jsonl_lines(lines, path):
        yield lineno, _decoded(raw, path, lineno)


def _parse_jsonl_line(raw: bytes, path: str, lineno: int, id_field: str) -> object:
    """One JSONL record. orjson reads it (2-3x faster than the standard library on long texts);
    what orjson refuses — invalid UTF-8, malformed JSON, but also lone surrogate escapes
    (``"\\ud800"``), ``NaN`` and numbers beyond a double — and a record whose id orjson read as a
    float (it turns integers beyond 64 bits into floats) are read again by the standard library,
    which gives the same records and errors as before."""
    try:
        rec = orjson.loads(raw)
        if not (isinstance(rec, dict) and isinstance(rec.get(id_field), float)):
            return rec
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(_decoded(raw, path, lineno))
    except json.JSONDecodeError as e:
        raise InputError(path, f"malformed JSON: {e.msg} (column {e.colno})", lineno) from None


def _read_jsonl(lines: Iterable[bytes], sf: SourceFile, opts: ReadOptions, fmt: str) -> Iterator[Document]:
    name = sf.doc_id
    for lineno, raw in _raw_jsonl_lines(lines, sf.path):
        rec = _parse_jsonl_line(raw, sf.path, lineno, opts.id_field)
        text = _record_text(rec, opts, sf.path, lineno)
        doc_id = _record_id(rec, opts, name, lineno, sf.path)
        yield Document(doc_id, text, f"{sf.path}:{lineno}", fmt, sf.path, lineno, sf.root)


def _file_lines(path: str, gz: bool) -> Iterator[bytes]:
    """Lines of a file, streamed (gzip decompressed on the fly); read errors become InputError."""
    try:
        raw = _open_binary(path)
        f = gzip.open(raw, "rb") if gz else raw
    except OSError as e:
        raise InputError(path, f"cannot read: {e.strerror or e}") from None
    with f:
        try:
            yield from f
        except (OSError, EOFError, gzip.BadGzipFile) as e:
            what = "not a valid gzip file" if gz else "cannot read"
            raise InputError(path, f"{what}: {e}") from None


def _read_parquet(sf: SourceFile, opts: ReadOptions) -> Iterator[Document]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError(sf.path, "reading Parquet needs the extra: pip install 'dedup[parquet]'") from None
    try:
        with _open_binary(sf.path) as f:
            table = pq.read_table(f)
    except Exception as e:  # pyarrow raises many types for bad files
        raise InputError(sf.path, f"cannot read Parquet: {e}") from None
    cols = table.column_names
    if opts.text_field not in cols:
        raise InputError(sf.path, f"no text column {opts.text_field!r}")
    texts = table.column(opts.text_field).to_pylist()
    ids = table.column(opts.id_field).to_pylist() if opts.id_field in cols else [None] * len(texts)
    for i, (t, rid) in enumerate(zip(texts, ids, strict=True), start=1):
        if not isinstance(t, str):
            raise InputError(sf.path, f"text column {opts.text_field!r} is not a string", i)
        doc_id = str(rid) if rid is not None else f"{sf.doc_id}:{i}"
        yield Document(doc_id, t, f"{sf.path}:{i}", "parquet", sf.path, i, sf.root)


def read_source(sf: SourceFile, opts: ReadOptions, stdin: io.BufferedReader | None = None) -> Iterator[Document]:
    if sf.path == "-":
        stream = stdin or sys.stdin.buffer
        if opts.stdin_format == "jsonl":
            yield from _read_jsonl(stream, SourceFile("<stdin>", "<stdin>", None), opts, "stdin-jsonl")
            return
        data = stream.read()
        yield Document("-", _decode(data, "<stdin>"), "<stdin>", "stdin", None)
        return
    suffix = _suffix(sf.path) or ".txt"
    if suffix in PARQUET_SUFFIXES:
        yield from _read_parquet(sf, opts)
        return
    if suffix == ".jsonl.gz":
        yield from _read_jsonl(_file_lines(sf.path, True), sf, opts, "jsonl.gz")
    elif suffix == ".jsonl":
        yield from _read_jsonl(_file_lines(sf.path, False), sf, opts, "jsonl")
    else:
        data = _read_bytes(sf.path)
        yield Document(sf.doc_id, _decode(data, sf.path), sf.path, "txt", sf.path, None, sf.root)


def iter_documents(paths: Iterable[str], opts: ReadOptions | None = None) -> Iterator[Document]:
    """Yield every document of ``paths`` in order; raise InputError on duplicate ids."""
    opts = opts or ReadOptions()
    sources = discover(paths)
    if sum(1 for s in sources if s.path == "-") > 1:
        raise InputError("-", "stdin given more than once")
    seen: dict[str, str] = {}
    for sf in sources:
        for doc in read_source(sf, opts):
            if doc.id in seen:
                raise InputError(
                    doc.path or doc.source,
                    f"duplicate document id {doc.id!r} (first seen in {seen[doc.id]})",
                    doc.line,
                )
            seen[doc.id] = doc.source
            yield doc


def read_corpus(paths: Iterable[str], opts: ReadOptions | None = None) -> list[Document]:
    return list(iter_documents(paths, opts))
