"""For the fuzz tests: random and malformed input, and the log records that would mean an unhandled
exception somewhere in the gateway (`logged_errors`, a fixture: import it into the test module)."""
from __future__ import annotations

import logging
from typing import Iterator

import pytest
from hypothesis import strategies as st


class ErrorRecords(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def take(self) -> list[str]:
        found = [f"{record.name}: {record.getMessage()}" for record in self.records]
        self.records.clear()
        return found


@pytest.fixture
def logged_errors() -> Iterator[ErrorRecords]:
    """Errors logged anywhere: the root logger, and uvicorn's own (which does not pass them on)."""
    handler = ErrorRecords()
    loggers = [logging.getLogger(), logging.getLogger("uvicorn"), logging.getLogger("uvicorn.error")]
    for logger in loggers:
        logger.addHandler(handler)
    yield handler
    for logger in loggers:
        logger.removeHandler(handler)

# Any JSON value, small enough that a run stays quick.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63) | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
# Text with what breaks parsers: control characters, surrogate-free unicode, quotes, markup, long runs.
awkward_text = st.one_of(
    st.text(max_size=60),
    st.sampled_from(["", " ", "\x00", "<script>alert(1)</script>", "'; DROP TABLE messages; --", "/start", "/slet",
                     "/delete_conversation", '/satisfaction{"score": 9}', "\u202e\u200b", "x" * 5000]),
)
raw_bodies = st.binary(max_size=300)
