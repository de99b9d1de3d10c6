"""Every log record of every logger at DEBUG, into one handler, while a block runs (the log-scan tests' capture).

``Everything`` renders each record with its arguments, exception text and ``extra`` fields, so a secret passed
anywhere in a record is in its line."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator


class Everything(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        text = self.format(record)
        extras = {k: v for k, v in record.__dict__.items() if k not in logging.LogRecord(
            "", 0, "", 0, "", None, None).__dict__ and k not in ("message", "asctime")}
        self.lines.append(f"{text} {extras!r}" if extras else text)


@contextlib.contextmanager
def every_logger_at_debug(handler: logging.Handler) -> Iterator[logging.Handler]:
    """``handler`` on the root logger and every logger at DEBUG and enabled while the block runs; put back after."""
    root = logging.getLogger()
    loggers = [root] + [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)]
    saved = [(logger, logger.level, logger.disabled) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        logger.disabled = False
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        for logger, level, disabled in saved:
            logger.setLevel(level)
            logger.disabled = disabled
