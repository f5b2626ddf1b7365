"""`make bench`, second part: the whole pipeline, end to end.

`POST /v1/batch` → events in Postgres → route job (RQ) → deliveries → deliver jobs on
`switchboard worker` processes → webhook → a sink that records every messageId and when it
arrived. Open-loop load at rising rates, then a sustained step; per step the offered and
acknowledged rates, delivered rate, end-to-end latency (load generator's send → sink, and
the database's received_at → delivered_at), backlog, losses and duplicates; then idle CPU.

    python -m bench.e2e            # ~5 minutes; --quick (or SWITCHBOARD_BENCH_QUICK=1): ~1.5 min
"""
