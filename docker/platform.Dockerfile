# The platform: the Stasis application (ARI/AMI) and the HTTP API, one image, several roles.
FROM python:3.11-slim-bookworm
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends espeak-ng sox curl npm \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/hotline
# the pages' JavaScript (SIP.js for the agent page, ECharts for the dashboard), from npm as on a desk
COPY web/package.json web/
RUN cd web && npm install --no-package-lock --no-audit --no-fund --omit=dev --loglevel=error
COPY pyproject.toml README.md ./
COPY common common
COPY telephony telephony
COPY ivr ivr
COPY asr asr
COPY casebook casebook
COPY hotline hotline
COPY dialplans dialplans
RUN pip install --no-cache-dir -e .
ENV HOTLINE_DATA_DIR=/var/lib/hotline
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=5s --retries=5 CMD ["curl", "-fsS", "http://127.0.0.1:8000/status"]
CMD ["hotline", "serve"]
