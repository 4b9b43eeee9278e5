# Asterisk 22 from Debian's own package (sid), configured by the same templates as development:
# `hotline asterisk run` renders dialplans/ with the settings from the environment, then execs
# Asterisk in the foreground. Prompts are synthesised at build time with espeak-ng.
FROM debian:sid-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      asterisk asterisk-modules asterisk-core-sounds-en-gsm asterisk-moh-opsound-gsm \
      python3 python3-venv espeak-ng sox ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/hotline
COPY pyproject.toml README.md ./
COPY common common
COPY telephony telephony
COPY ivr ivr
COPY asr asr
COPY casebook casebook
COPY hotline hotline
COPY dialplans dialplans
RUN python3 -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir -e . \
 && HOTLINE_DATA_DIR=/var/lib/hotline HOTLINE_CACHE_DIR=/var/cache/hotline /opt/venv/bin/hotline prompts build
ENV PATH=/opt/venv/bin:$PATH HOTLINE_ASTERISK_MODE=system HOTLINE_DATA_DIR=/var/lib/hotline
EXPOSE 5060/udp 5060/tcp 10000-10999/udp
HEALTHCHECK --interval=10s --timeout=5s --retries=5 CMD ["hotline", "asterisk", "status"]
CMD ["hotline", "asterisk", "run"]
