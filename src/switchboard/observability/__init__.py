"""What an operator watches: Prometheus metrics, JSON logs with request ids, health checks."""
