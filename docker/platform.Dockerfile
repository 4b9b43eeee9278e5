# The platform: one image, five roles in docker-compose.yml: `migrate` (hotline db upgrade),
# `telephony` (hotline serve: Stasis application, AMI, agent desk, wallboard, API), `api`
# (hotline serve --no-telephony), `worker` (hotline-celery-worker) and `beat` (celery beat).
# No speech model is inside: the Vosk model is mounted read-only at /models (docs/operations.md).

# The pages' JavaScript (SIP.js for the agent page, ECharts for the dashboard and wallboard), from
# npm as on a desk (scripts/install-web-packages.sh); npm itself stays out of the final image.
FROM debian:bookworm-slim AS pages
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends npm ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /build/web
COPY web/package.json ./
RUN npm install --no-package-lock --no-audit --no-fund --omit=dev --loglevel=error \
 && test -f node_modules/sip.js/lib/platform/web/index.js \
 && test -f node_modules/echarts/dist/echarts.min.js

FROM python:3.11-slim-bookworm
# curl: the HTTP health checks; pango and a Chinese font: WeasyPrint's PDF reports
# (casebook/reports/templates/base.html asks for WenQuanYi Micro Hei)
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      curl libpango-1.0-0 libpangoft2-1.0-0 fonts-wqy-microhei \
 && rm -rf /var/lib/apt/lists/*
# An unprivileged user; the folders the named volumes are mounted on exist and belong to it, so
# a new volume starts with that owner (Docker copies the image's folder into an empty volume).
RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/hotline --no-create-home hotline \
 && mkdir -p /var/lib/hotline/recordings /var/lib/hotline/reports /models \
 && chown -R hotline:hotline /var/lib/hotline
WORKDIR /opt/hotline
COPY pyproject.toml README.md ./
COPY common common
COPY telephony telephony
COPY ivr ivr
COPY asr asr
COPY casebook casebook
COPY hotline hotline
# editable: the pages serve web/node_modules beside the packages (hotline/static_pages.py)
RUN pip install --no-cache-dir -e . \
 && python -c "import celery, vosk, weasyprint, hotline.cli"
COPY --from=pages /build/web/node_modules web/node_modules
COPY docker/hotline-celery-worker /usr/local/bin/hotline-celery-worker
COPY docker/hotline_health.py /usr/local/bin/hotline-health
# production: the platform refuses to start with default or missing secrets
ENV HOTLINE_ENVIRONMENT=production HOTLINE_DATA_DIR=/var/lib/hotline PYTHONUNBUFFERED=1
USER hotline
EXPOSE 8000 8001
# the HTTP roles; docker-compose.yml gives each role its own check
HEALTHCHECK --interval=30s --timeout=10s --retries=3 \
  CMD curl -fsS "http://127.0.0.1:${HOTLINE_API_PORT:-8000}/status" || exit 1
CMD ["hotline", "serve"]
