# The Switchboard image: one image for `serve`, `worker`, `migrate` and the other commands.
# docker-compose.yml runs it against Postgres and Redis (docs/deploy.md).

# Build stage: a wheel and its dependencies, installed into a virtualenv that the runtime
# stage copies whole, so no compiler, pip cache or source tree reaches the final image.
FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN python -m venv /opt/switchboard
COPY . /src
RUN /opt/switchboard/bin/pip install /src


FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/switchboard/bin:$PATH

# Unprivileged; /data is the working directory, where the default SQLite database
# (./switchboard.db) lands when no SWITCHBOARD_DATABASE_URL is given.
RUN useradd --create-home --uid 10001 --user-group switchboard \
 && mkdir /data && chown switchboard:switchboard /data

COPY --from=build /opt/switchboard /opt/switchboard

USER switchboard
WORKDIR /data
EXPOSE 8000
# uvicorn and the RQ worker both finish their work on SIGTERM (docs/deploy.md). Health
# checks differ by command (serve: /healthz; worker: its metrics port), so compose sets them.
STOPSIGNAL SIGTERM
CMD ["switchboard", "serve", "--host", "0.0.0.0", "--port", "8000"]
