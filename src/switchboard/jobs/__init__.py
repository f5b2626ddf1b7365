"""Background work: route and deliver jobs, queue backends, the scheduler, retry policy."""
