# The Switchboard server image. docker-compose.yml runs it against Postgres.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# The server runs unprivileged; /data is its working directory, where the default SQLite
# database (./switchboard.db) lands when no SWITCHBOARD_DATABASE_URL is given.
RUN useradd --create-home --uid 10001 --user-group switchboard \
 && mkdir /data && chown switchboard:switchboard /data

COPY . /src
RUN pip install /src && rm -rf /src

USER switchboard
WORKDIR /data
EXPOSE 8000
CMD ["switchboard", "serve", "--host", "0.0.0.0", "--port", "8000"]
