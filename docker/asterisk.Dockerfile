# Asterisk 22 from Debian's own packages (sid: Debian's stable release carries no Asterisk), the
# same packages as the development root filesystem (telephony/runtime/rootfs.py, PACKAGES), and
# configured by the same templates: `hotline asterisk run` renders dialplans/ with the settings
# from the environment and the agents' phones from the database, then becomes Asterisk in the
# foreground (it drops to Debian's `asterisk` user itself). Prompts are synthesised at build
# time with espeak-ng; a changed lines file is synthesised at start.
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
ENV PATH=/opt/venv/bin:$PATH HOTLINE_ASTERISK_MODE=system \
    HOTLINE_DATA_DIR=/var/lib/hotline HOTLINE_CACHE_DIR=/var/cache/hotline PYTHONUNBUFFERED=1
# the prompt build runs as a development installation, which writes generated secrets to the
# data dir: they are removed, the container gets its own from .env
RUN python3 -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir -e . \
 && hotline prompts build \
 && rm -f /var/lib/hotline/credentials.env
# from here on the image refuses to run with default or missing secrets
ENV HOTLINE_ENVIRONMENT=production
# SIP and RTP (HOTLINE_SIP_PORT, HOTLINE_RTP_PORT_START..END); ARI and AMI stay on 127.0.0.1
EXPOSE 5060/udp 5060/tcp 10000-20000/udp
HEALTHCHECK --interval=30s --timeout=15s --start-period=60s --retries=3 CMD ["hotline", "asterisk", "status"]
CMD ["hotline", "asterisk", "run"]
