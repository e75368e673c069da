# deskroute image: API and workers share it; the command picks the role.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 \
    LITELLM_LOCAL_MODEL_COST_MAP=True \
    CMAKE_ARGS="-DLLAVA_BUILD=OFF"

RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential cmake git \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# CPU-only torch first, so sentence-transformers does not pull a CUDA build.
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
COPY pyproject.toml README.md ./
COPY router ./router
COPY connectors ./connectors
COPY policies ./policies
COPY migrations ./migrations
RUN pip install -e .

EXPOSE 8080
CMD ["deskroute", "serve", "--host", "0.0.0.0", "--port", "8080"]
