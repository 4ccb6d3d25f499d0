"""``dedup clean`` end to end: layouts (txt, JSONL, gzip, Parquet, stdin), the manifest rebuilds
every output from the input, idempotence, and every safety rule of the command."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from dedup.clean import MANIFEST_NAME, rebuild
from dedup.io import read_corpus

from .conftest import BBC_FIXTURE, SEEDS, invoke


def clean_ok(*args: str, input: str | bytes | None = None):
    res = invoke("clean", *args, "--quiet", input=input)
    assert res.exit_code == 0, res.stderr
    return res


def manifest(outdir: Path) -> list[dict]:
    return [json.loads(line) for line in (outdir / MANIFEST_NAME).read_text(encoding="utf-8").splitlines()]


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def check_rebuild(inputs: list[str], outdir: Path) -> list[dict]:
    """Every input document appears exactly once in the manifest and every written .txt output is
    rebuilt byte for byte from its input text and its manifest record."""
    docs = {d.id: d for d in read_corpus(inputs)}
    records = manifest(outdir)
    assert sorted(r["id"] for r in records) == sorted(docs)
    assert len({r["id"] for r in records}) == len(records)
    kept = {r["id"] for r in records if r["action"] != "dropped"}
    for r in records:
        d = docs[r["id"]]
        assert r["chars_in"] == len(d.text)
        assert r["action"] in ("kept", "modified", "dropped")
        text = rebuild(d.text, r)
        if r["action"] == "dropped":
            assert r["duplicate_of"] in kept and text is None and r["output"] is None
            continue
        assert r["duplicate_of"] is None and len(text) == r["chars_out"]
        assert (text == d.text) == (r["action"] == "kept") == (r["removed"] == [])
        if d.fmt == "txt":
            assert (outdir / r["output"]).read_text(encoding="utf-8") == text
    return records


def snapshot(*paths: Path) -> dict[str, tuple[bytes, int]]:
    out = {}
    for root in paths:
        for p in sorted(root.rglob("*")) if root.is_dir() else [root]:
            if p.is_file():
                out[str(p)] = (p.read_bytes(), p.stat().st_mtime_ns)
    return out


def leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(".dedup-"))


# ---------------------------------------------------------------------------------- layouts


def test_txt_directories_keep_their_layout_and_manifest_rebuilds_everything(tmp_path):
    out = tmp_path / "out"
    before = snapshot(SEEDS, BBC_FIXTURE)
    clean_ok(str(SEEDS), str(BBC_FIXTURE), "-o", str(out))
    assert snapshot(SEEDS, BBC_FIXTURE) == before  # never writes into an input
    records = check_rebuild([str(SEEDS), str(BBC_FIXTURE)], out)
    assert (out / "000_51274af84df42e93.txt").is_file() and (out / "002_ab6bd7f1d7c84c87.txt").is_file()
    written = set(tree(out)) - {MANIFEST_NAME}
    assert written == {r["output"] for r in records if r["output"] is not None}
    # the BBC sample holds real duplicate pairs: one of each pair goes, for the other
    dropped = {r["id"]: r["duplicate_of"] for r in records if r["action"] == "dropped"}
    assert dropped and all(not (out / i).exists() for i in dropped)
    assert all(r["removed"][0]["kind"] == "duplicate-document" for r in records if r["id"] in dropped)


def test_cleaning_the_cleaned_output_changes_nothing_more(tmp_path):
    out, again = tmp_path / "out", tmp_path / "again"
    clean_ok(str(SEEDS), str(BBC_FIXTURE), "-o", str(out))
    clean_ok(str(out), "-o", str(again))  # its manifest.jsonl is not read as documents
    assert all(r["action"] == "kept" for r in manifest(again))
    first = {k: v for k, v in tree(out).items() if k != MANIFEST_NAME}
    assert {k: v for k, v in tree(again).items() if k != MANIFEST_NAME} == first


def write_jsonl(path: Path, records: list[dict], gz: bool = False) -> None:
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()
    path.write_bytes(gzip.compress(data) if gz else data)


RECORDS = [
    {"url": "u1", "text": "First story about rivers and boats on a sunny day in May.", "id": "a", "n": 1},
    {"id": "b", "text": "Second story about mountains, snow and very cold winters.", "meta": {"k": [1, 2]}},
    {"text": "First story about rivers and boats on a sunny day in May.", "id": "c", "lang": "en"},
    {"id": "d", "text": "Üñíçødé story: ça va très bien, merci beaucoup à vous."},
]


@pytest.mark.parametrize("name", ["corpus.jsonl", "corpus.jsonl.gz"])
def test_jsonl_keeps_name_fields_key_order_and_record_order(tmp_path, name):
    src = tmp_path / "in"
    src.mkdir()
    write_jsonl(src / name, RECORDS, gz=name.endswith(".gz"))
    out = tmp_path / "out"
    clean_ok(str(src), "-o", str(out))
    assert set(tree(out)) == {name, MANIFEST_NAME}
    data = (out / name).read_bytes()
    if name.endswith(".gz"):
        data = gzip.decompress(data)
    got = [json.loads(line) for line in data.decode().splitlines()]
    by_id = {r["id"]: r for r in manifest(out)}
    assert by_id["c"]["action"] == "dropped" and by_id["c"]["duplicate_of"] == "a"
    expected = [r for r in RECORDS if r["id"] != "c"]
    assert got == expected
    assert [list(r) for r in got] == [list(r) for r in expected]  # key order kept
    assert all(by_id[r["id"]]["output"] == name for r in expected)


def test_stdin_text_goes_to_stdout_and_manifest_to_outdir(tmp_path):
    text = "A short document read from standard input.\n"
    res = clean_ok("-", input=text.encode())
    assert res.stdout == text
    out = tmp_path / "out"
    res = clean_ok("-", "-o", str(out), input=text.encode())
    assert res.stdout == text
    assert manifest(out) == [{"id": "-", "action": "kept", "duplicate_of": None, "removed": [],
                              "chars_in": len(text), "chars_out": len(text), "source": "<stdin>",
                              "output": "-"}]


def test_stdin_jsonl_goes_to_stdout_as_jsonl():
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in RECORDS).encode()
    res = clean_ok("-", "--stdin-format", "jsonl", input=data)
    got = [json.loads(line) for line in res.stdout.splitlines()]
    assert got == [r for r in RECORDS if r["id"] != "c"]


def test_parquet_keeps_other_columns(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    src = tmp_path / "in"
    src.mkdir()
    table = pa.table({"id": [r["id"] for r in RECORDS], "text": [r["text"] for r in RECORDS],
                      "n": list(range(len(RECORDS)))})
    pq.write_table(table, src / "c.parquet")
    out = tmp_path / "out"
    clean_ok(str(src), "-o", str(out))
    got = pq.read_table(out / "c.parquet").to_pylist()
    assert got == [{"id": r["id"], "text": r["text"], "n": i} for i, r in enumerate(RECORDS) if r["id"] != "c"]


def test_mark_keeps_every_document(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    write_jsonl(src / "c.jsonl", RECORDS)
    out = tmp_path / "out"
    clean_ok(str(src), "--mark", "-o", str(out))
    got = [json.loads(line) for line in (out / "c.jsonl").read_text().splitlines()]
    assert len(got) == len(RECORDS)
    c = next(r for r in got if r["id"] == "c")
    assert c["text"] == f"[-DUP101: {RECORDS[2]['text']}-]"
    assert next(r for r in manifest(out) if r["id"] == "c")["action"] == "dropped"


def test_keep_all_drops_nothing(tmp_path):
    out = tmp_path / "out"
    clean_ok(str(BBC_FIXTURE), "--keep", "all", "-o", str(out))
    assert all(r["action"] != "dropped" for r in manifest(out))


# ----------------------------------------------------------------------------------- safety


def test_refuses_outdir_that_is_an_input(tmp_path):
    src = tmp_path / "in"
    shutil.copytree(SEEDS, src)
    before = snapshot(src)
    res = invoke("clean", str(src), "-o", str(src))
    assert res.exit_code == 2 and "input" in res.stderr and "Traceback" not in res.stderr
    assert snapshot(src) == before


def test_refuses_outdir_that_contains_an_input(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    f = out / "doc.txt"
    f.write_text("some text\n")
    (out / MANIFEST_NAME).write_text("")  # even a previous clean output may not hold an input
    res = invoke("clean", str(f), "-o", str(out))
    assert res.exit_code == 2 and "contains the input" in res.stderr
    assert f.read_text() == "some text\n"


def test_refuses_outdir_inside_an_input_directory(tmp_path):
    src = tmp_path / "in"
    shutil.copytree(SEEDS, src)
    res = invoke("clean", str(src), "-o", str(src / "cleaned"))
    assert res.exit_code == 2 and "inside the input" in res.stderr
    assert not (src / "cleaned").exists()


def test_refuses_a_non_empty_directory_that_is_not_a_clean_output(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    res = invoke("clean", str(SEEDS), "-o", str(out))
    assert res.exit_code == 2 and "not empty" in res.stderr
    assert tree(out) == {"precious.txt": b"keep me"}


def test_input_error_exits_2_and_leaves_nothing_behind(tmp_path):
    src = tmp_path / "in"
    shutil.copytree(SEEDS, src)
    (src / "zz_bad.txt").write_bytes(b"ok line\n\xff\xfe broken\n")
    out = tmp_path / "out"
    res = invoke("clean", str(src), "-o", str(out))
    assert res.exit_code == 2
    assert res.stderr.count("\n") == 1 and "zz_bad.txt:2" in res.stderr
    assert not out.exists() and leftovers(tmp_path) == []


def test_missing_outdir_with_file_inputs_is_a_usage_error():
    res = invoke("clean", str(SEEDS))
    assert res.exit_code == 2 and "-o OUTDIR" in res.stderr


def test_previous_output_is_replaced_whole(tmp_path):
    out = tmp_path / "out"
    clean_ok(str(BBC_FIXTURE), "-o", str(out))
    (out / "stale.txt").write_text("from an older run")
    clean_ok(str(SEEDS), "-o", str(out))
    assert set(tree(out)) == {MANIFEST_NAME, "000_51274af84df42e93.txt", "002_ab6bd7f1d7c84c87.txt"}
    assert leftovers(tmp_path) == []


def test_failure_while_writing_leaves_the_old_output_untouched(tmp_path, monkeypatch):
    import dedup.clean as mod

    out = tmp_path / "out"
    clean_ok(str(SEEDS), "-o", str(out))
    old = tree(out)
    real = mod._write_bytes
    calls = []

    def flaky(path, data):
        calls.append(path)
        if len(calls) == 3:
            raise OSError(28, "No space left on device", path)
        real(path, data)

    monkeypatch.setattr(mod, "_write_bytes", flaky)
    res = invoke("clean", str(BBC_FIXTURE), "-o", str(out))
    assert res.exit_code == 2 and "No space left" in res.stderr
    assert tree(out) == old and leftovers(tmp_path) == []


def test_outputs_are_deterministic(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    clean_ok(str(SEEDS), str(BBC_FIXTURE), "-o", str(a))
    clean_ok(str(SEEDS), str(BBC_FIXTURE), "-o", str(b))
    digest = {k: hashlib.sha256(v).hexdigest() for k, v in tree(a).items()}
    assert digest == {k: hashlib.sha256(v).hexdigest() for k, v in tree(b).items()}


def test_summary_on_stderr(tmp_path):
    res = invoke("clean", str(BBC_FIXTURE), "-o", str(tmp_path / "o"))
    assert res.exit_code == 0 and res.stdout == ""
    first = res.stderr.splitlines()[0]
    n = len(os.listdir(BBC_FIXTURE / "business")) + sum(
        len(os.listdir(BBC_FIXTURE / c)) for c in ("entertainment", "politics", "sports", "tech"))
    assert first.startswith(f"cleaned {n} documents:") and "dropped" in res.stderr
