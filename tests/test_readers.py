"""Reading a corpus: ids, formats, and every kind of bad input → one line, exit 2, no traceback."""

from __future__ import annotations

import gzip
import json
import os

import pytest

from dedup.errors import InputError
from dedup.io import ReadOptions, read_corpus

from .conftest import invoke


def _write(path, data: bytes | str):
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


def test_ids_for_directories_files_and_jsonl(tmp_path):
    _write(tmp_path / "c" / "politics" / "012.txt", "one")
    _write(tmp_path / "c" / "a.md", "two")
    _write(tmp_path / "c" / "skip.html", "<p>ignored</p>")
    _write(tmp_path / "c" / "r.jsonl", '{"id": "x1", "text": "three"}\n\n{"text": "four", "n": 1}\n')
    _write(tmp_path / "c" / "z.jsonl.gz", gzip.compress(b'{"id": 7, "text": "five"}\n'))
    single = _write(tmp_path / "single.txt", "six")
    docs = read_corpus([str(tmp_path / "c"), str(single)])
    assert [d.id for d in docs] == ["a.md", "politics/012.txt", "x1", "r.jsonl:3", "7", "single.txt"]
    assert [d.text for d in docs] == ["two", "one", "three", "four", "five", "six"]
    assert docs[3].source.endswith("r.jsonl:3") and docs[3].line == 3


def test_text_is_exactly_as_read(tmp_path):
    raw = "\ufeffTitle\r\nBody  with\ttabs\r\n"
    p = _write(tmp_path / "d.txt", raw)
    (doc,) = read_corpus([str(p)])
    assert doc.text == raw


def test_custom_fields(tmp_path):
    p = _write(tmp_path / "r.jsonl", '{"key": "k", "body": "hello"}\n')
    (doc,) = read_corpus([str(p)], ReadOptions(text_field="body", id_field="key"))
    assert (doc.id, doc.text) == ("k", "hello")


def test_empty_documents_are_valid(tmp_path):
    p = _write(tmp_path / "e.txt", "")
    assert read_corpus([str(p)])[0].text == ""
    res = invoke("scan", str(p), "--quiet")
    assert res.exit_code == 0


BAD = [
    ("bad.txt", b"ok line\nbad \xff byte\n", "bad.txt:2: invalid UTF-8"),
    ("bin.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00", "bin.txt:3: binary file"),
    ("m.jsonl", b'{"id": 1, "text": "a"}\n{"id": 2, "text": \n', "m.jsonl:2: malformed JSON"),
    ("n.jsonl", b'{"id": 1, "body": "a"}\n', "n.jsonl:1: record has no text field 'text'"),
    ("t.jsonl", b'{"id": 1, "text": 5}\n', "t.jsonl:1: text field 'text' is not a string"),
    ("l.jsonl", b'[1, 2]\n', "l.jsonl:1: JSONL line is not a JSON object"),
    ("u.jsonl", b'{"id": 1, "text": "\xc3("}\n', "u.jsonl:1: invalid UTF-8"),
    ("g.jsonl.gz", b"not gzip at all", "g.jsonl.gz: not a valid gzip file"),
    ("d.jsonl", b'{"id": "a", "text": "x"}\n{"id": "a", "text": "y"}\n', "d.jsonl:2: duplicate document id 'a'"),
    ("f.jsonl", b'{"id": 1.5, "text": "x"}\n', "f.jsonl:1: id field 'id' must be a string or integer"),
    ("c.jsonl", b'{"id": 1, "text": "a\tb"}\n', "c.jsonl:1: malformed JSON: Invalid control character"),
]


def test_jsonl_records_read_as_the_standard_library_reads_them(tmp_path):
    # orjson reads most lines; what it refuses or reads otherwise goes through json
    lines = [b'{"id": 123456789012345678901234567890, "text": "big id"}',  # orjson: a float
             b'{"id": "s", "text": "lone \\ud800 escape"}',  # orjson refuses lone surrogates
             b'{"id": "n", "text": "x", "score": NaN}',  # and NaN
             b'{"id": "e", "text": "caf\\u00e9 \xc3\xa9 \\"q\\" \\n"}', b'  {"text": "no id"}  \r']
    p = _write(tmp_path / "r.jsonl", b"\n".join(lines) + b"\n")
    got = [(d.id, d.text) for d in read_corpus([str(p)])]
    want = []
    for k, line in enumerate(lines, start=1):
        rec = json.loads(line.decode("utf-8"))
        want.append((str(rec["id"]) if "id" in rec else f"r.jsonl:{k}", rec["text"]))
    assert got == want and got[0][0] == "123456789012345678901234567890" and got[1][1] == "lone \ud800 escape"


@pytest.mark.parametrize("name,data,message", BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_one_line_exit_2(tmp_path, name, data, message):
    p = _write(tmp_path / name, data)
    with pytest.raises(InputError):
        read_corpus([str(p)])
    res = invoke("scan", str(p))
    assert res.exit_code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert message in lines[0]
    assert lines[0].startswith("dedup: error: ")
    assert "Traceback" not in res.stderr and res.stdout == ""


def test_missing_path(tmp_path):
    res = invoke("scan", str(tmp_path / "nope"))
    assert res.exit_code == 2
    assert res.stderr.strip() == f"dedup: error: {tmp_path / 'nope'}: no such file or directory"


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any file; covered by the directory case below")
def test_unreadable_file(tmp_path):
    p = _write(tmp_path / "secret.txt", "x")
    p.chmod(0)
    res = invoke("scan", str(p))
    assert res.exit_code == 2 and "secret.txt: cannot read" in res.stderr


def test_unreadable_path_is_reported(tmp_path, monkeypatch):
    p = _write(tmp_path / "secret.txt", "x")

    def deny(*a, **k):
        raise PermissionError(13, "Permission denied", str(p))

    monkeypatch.setattr("dedup.io.readers.open", deny, raising=False)  # the reader's open only
    res = invoke("scan", str(p))
    assert res.exit_code == 2
    assert res.stderr.strip() == f"dedup: error: {p}: cannot read: Permission denied"


def test_duplicate_ids_across_files(tmp_path):
    a = _write(tmp_path / "x" / "same.txt", "one")
    b = _write(tmp_path / "y" / "same.txt", "two")
    res = invoke("scan", str(a), str(b))
    assert res.exit_code == 2 and "duplicate document id 'same.txt'" in res.stderr


def test_stdin_text_and_jsonl():
    res = invoke("scan", "-", "--format", "json", "--quiet", input="hello world")
    assert res.exit_code == 0
    assert json.loads(res.stdout)["documents"][0]["id"] == "-"
    res = invoke("scan", "-", "--stdin-format", "jsonl", "--format", "json", "--quiet",
                 input='{"id": "a", "text": "x"}\n{"id": "b", "text": "x"}\n')
    rep = json.loads(res.stdout)
    assert [d["id"] for d in rep["documents"]] == ["a", "b"]
    assert rep["clusters"][0]["members"] == ["a", "b"]


def test_parquet(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"id": ["p1", "p2"], "text": ["same text here", "same text here"]}),
                   tmp_path / "c.parquet")
    docs = read_corpus([str(tmp_path)])
    assert [d.id for d in docs] == ["p1", "p2"]


def test_clean_output_manifest_is_not_a_document(tmp_path):
    _write(tmp_path / "out" / "a.txt", "text")
    _write(tmp_path / "out" / "manifest.jsonl",
           '{"id": "a.txt", "action": "kept", "duplicate_of": null, "removed": [], "chars_in": 4, "chars_out": 4}\n')
    _write(tmp_path / "out" / "sub" / "manifest.jsonl", '{"id": "x", "text": "a real record"}\n')
    ids = [d.id for d in read_corpus([str(tmp_path / "out")])]
    assert ids == ["a.txt", "x"]


def test_fsspec_urls_read_like_local_paths(tmp_path):
    fsspec = pytest.importorskip("fsspec")
    fs = fsspec.filesystem("memory")
    fs.pipe("/corpus/politics/012.txt", b"one two three")
    fs.pipe("/corpus/a.jsonl", b'{"id": "r1", "text": "four"}\n')
    fs.pipe("/corpus/skip.html", b"<p>no</p>")
    fs.pipe("/single.txt", b"five")
    docs = read_corpus(["memory://corpus", "memory://single.txt"])
    assert [(d.id, d.text) for d in docs] == [("r1", "four"), ("politics/012.txt", "one two three"),
                                             ("single.txt", "five")]
    with pytest.raises(InputError, match="no such file"):
        read_corpus(["memory://nothing-here"])
    res = invoke("scan", "memory://corpus", "--select", "DUP101", "-q")
    assert res.exit_code == 0 and res.stdout.startswith("2 documents")
    res = invoke("scan", "nosuchproto://x")
    assert res.exit_code == 2 and "nosuchproto://x: cannot open URL" in res.stderr


def test_directory_of_unread_file_types_is_an_error_but_an_empty_one_is_not(tmp_path):
    """A directory whose files are all of types dedup does not read (train.src, page.html) is a
    mistake: exit 2 naming it and the count; an empty directory is an empty batch."""
    _write(tmp_path / "raw" / "train.src", "Первая строка.\nВторая строка.\n")
    _write(tmp_path / "raw" / "sub" / "page.html", "<p>x</p>")
    with pytest.raises(InputError, match="2 other files ignored"):
        read_corpus([str(tmp_path / "raw")])
    res = invoke("scan", str(tmp_path / "raw"))
    assert res.exit_code == 2 and res.stderr.startswith(f"dedup: error: {tmp_path / 'raw'}: no .txt")
    (tmp_path / "empty").mkdir()
    assert read_corpus([str(tmp_path / "empty")]) == []
    # a file named directly is read as text whatever its name
    assert [d.id for d in read_corpus([str(tmp_path / "raw" / "train.src")])] == ["train.src"]
    fsspec = pytest.importorskip("fsspec")
    fsspec.filesystem("memory").pipe("/rawcorpus/x.tags", b"OK BAD")
    with pytest.raises(InputError, match="1 other file ignored"):
        read_corpus(["memory://rawcorpus"])
