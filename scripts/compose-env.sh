#!/usr/bin/env bash
# Writes a .env for `docker compose up` with fresh random secrets (no known defaults anywhere):
#   scripts/compose-env.sh > .env
# The provider keys are the sandboxes' (the stack runs against them); replace them for real providers.
set -euo pipefail
rand() { head -c "$1" /dev/urandom | base64 | tr -d '/+=\n' | head -c "$2"; }
cat <<ENV
POSTGRES_PASSWORD=$(rand 24 32)
PIPEVIDEO_ADMIN_TOKEN=$(rand 32 40)
PIPEVIDEO_WEBHOOKS_ENCRYPTION_KEY=$(head -c 32 /dev/urandom | base64)
PIPEVIDEO_BYOK_ENCRYPTION_KEY=k1:$(head -c 32 /dev/urandom | base64)
PIPEVIDEO_STORAGE_SIGNING_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
GRAFANA_ADMIN_PASSWORD=$(rand 24 24)
FAL_KEY=sandbox-$(rand 16 16)
REPLICATE_API_TOKEN=sandbox-$(rand 16 16)
REPLICATE_WEBHOOK_SECRET=whsec_$(head -c 32 /dev/urandom | base64)
AI_GATEWAY_API_KEY=sandbox-$(rand 16 16)
FRAMERATE_API_KEY=sandbox-$(rand 16 16)
ENV
