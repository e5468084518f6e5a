"""Fault-suite settings. The driver (tests/faults/driver.py) starts its own training platforms on
127.0.0.1 — one per lane, so one lane's fault rules never hit another lane's checkouts."""

from __future__ import annotations
