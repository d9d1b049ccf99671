# scada-bridge (poller, PLC simulator, migrations, doctor) on the official Python image.
# Build context: the repository root (docker compose does this; see docker-compose.yml).
FROM python:3.11-slim-bookworm AS build
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends gcc libpq-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY requirements.txt ./
COPY bridge ./bridge
# requirements.txt holds the pins the tests run against, and ./bridge itself.
RUN pip wheel --no-cache-dir --wheel-dir /wheels -r requirements.txt

FROM python:3.11-slim-bookworm
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libpq5 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index /wheels/*.whl && rm -rf /wheels \
    && useradd --system --uid 999 --home-dir /nonexistent --shell /usr/sbin/nologin scada \
    && install -d -o scada -g scada /var/lib/scada-bridge
# The poller's spool; docker-compose.yml mounts a named volume here.
VOLUME ["/var/lib/scada-bridge"]
USER scada
ENV PYTHONUNBUFFERED=1
ENTRYPOINT ["scada-bridge"]
CMD ["--help"]
