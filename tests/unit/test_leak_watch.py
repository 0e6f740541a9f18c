"""The session's secret-leak watch finds what it is meant to find."""

import logging

from tests.leaks import WATCH, LeakWatch


def test_a_registered_secret_is_found_anywhere_in_a_line():
    watch = LeakWatch()
    watch.register("cs_0123456789abcdef", "short")
    watch.search("nothing to see", "line 1")
    watch.search("GET /x?consumer_secret=cs_0123456789abcdef&y=1", "line 2")
    watch.search("a prefix cs_0123456789abc is not the secret", "line 3")
    assert len(watch.leaks) == 1
    assert watch.leaks[0].startswith("line 2")
    assert "0123456789abcdef" not in watch.leaks[0]


def test_the_session_watch_reads_every_log_record(caplog):
    before = WATCH.lines_searched
    logging.getLogger("shipcrowd_woo.test").debug("a debug line")
    assert WATCH.lines_searched == before + 1
