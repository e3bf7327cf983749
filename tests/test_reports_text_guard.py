"""The reader's text/binary guard (`kg.reports.check_text`, used by `read_report`): a NUL
byte anywhere in the file is refused, named by byte offset and line; text without one is not
refused by it. Regression (issue 20): only the first 8 KB were checked."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.reports import ReportError, check_text, read_report

TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"))
NO_NUL = TEXT.map(str.encode)


@settings(max_examples=200, deadline=None)
@given(
    head=NO_NUL,
    padding=st.integers(min_value=0, max_value=40_000),
    tail=st.binary(max_size=64),
)
def test_a_nul_byte_anywhere_is_refused_with_its_offset_and_line(
    head: bytes, padding: int, tail: bytes
) -> None:
    data = head + b"some text\n" * (padding // 10) + b"\x00" + tail
    offset = data.index(b"\x00")
    with pytest.raises(ReportError) as refused:
        check_text("r.txt", data)
    assert refused.value.reason == (
        f"binary file (a NUL byte at offset {offset}): reports are UTF-8 text"
    )
    assert refused.value.line == data.count(b"\n", 0, offset) + 1
    assert str(refused.value).startswith(f"r.txt:{refused.value.line}: binary file")


@settings(max_examples=200, deadline=None)
@given(TEXT)
def test_text_without_nul_is_not_refused_as_binary(text: str) -> None:
    check_text("r.txt", text.encode("utf-8"))
    check_text("r.txt", text.encode("utf-8-sig"))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    position=st.integers(min_value=0, max_value=30_000),
    text=st.text(alphabet="abc é\n", min_size=1, max_size=200),
)
def test_read_report_refuses_a_file_with_a_nul_after_the_first_8_kb(
    position: int, text: str
) -> None:
    body = ("We reached 5,000 people in Mopti.\n" * 1000 + text).encode("utf-8")
    position = min(position, len(body))
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "report.txt"
        path.write_bytes(body[:position] + b"\x00" + body[position:])
        with pytest.raises(ReportError, match=f"NUL byte at offset {position}") as refused:
            read_report(path)
        assert refused.value.path == str(path)
        path.write_bytes(body)
        assert read_report(path).text.startswith("We reached")


def test_a_nul_after_8_kb_used_to_be_accepted(tmp_path: Path) -> None:
    path = tmp_path / "late.txt"
    path.write_bytes(b"We reached 5,000 people.\n" * 400 + b"\x00\x00garbage")
    assert path.stat().st_size > 8192
    where = r"late.txt:401: binary file \(a NUL byte at offset 10000\)"
    with pytest.raises(ReportError, match=where):
        read_report(path)
