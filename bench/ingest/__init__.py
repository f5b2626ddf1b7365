"""`make bench`: the ingest benchmark.

Switchboard's tracking API (single-event `POST /v1/track` and `POST /v1/batch` of 100 events)
measured with wrk beside a bare ASGI app that only parses JSON (`bench.baseline_app`), in the
same run and with the same uvicorn settings; then a count in Postgres proving every event
answered 200 was stored; and a raw Postgres insert baseline. Figures are medians of a few runs.

    python -m bench.ingest            # ~3 minutes; --quick (or SWITCHBOARD_BENCH_QUICK=1): ~40 s
"""
