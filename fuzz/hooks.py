"""Schemathesis hooks of the fuzz run (fuzz/run.py): whatever webhook subscription the fuzzer creates or
changes is aimed at the run's own receiver on 127.0.0.1, never at an address it made up."""

import os

import schemathesis

RECEIVER_URL = os.environ["FUZZ_WEBHOOK_RECEIVER_URL"]


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    if "/subscriptions/" in case.operation.path and isinstance(case.body, dict) and "url" in case.body:
        case.body["url"] = RECEIVER_URL
