# syntax=docker/dockerfile:1
# deskroute image: the API and the workers share it; the command picks the role.
#
# Stage 1 compiles llama.cpp *portably*: x86-64-v3 (AVX2, FMA, F16C, BMI2), never
# -march=native of the build host and no AMX code, so the image runs on any x86-64 CPU from
# the last decade, AMX Xeons included (router/backends/llama_cpu.py also loads the model the
# AMX-safe way at run time). Stage 2 has no compiler: wheels only, a non-root user.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential cmake git \
    && rm -rf /var/lib/apt/lists/*
ARG LLAMA_CMAKE_ARGS="-DLLAVA_BUILD=OFF -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
RUN CMAKE_ARGS="$LLAMA_CMAKE_ARGS" pip wheel --no-deps -w /wheels llama-cpp-python==0.3.36
WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY router ./router
COPY connectors ./connectors
COPY policies ./policies
COPY migrations ./migrations
RUN pip wheel --no-deps -w /wheels .

FROM python:3.11-slim AS runtime
ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    LITELLM_LOCAL_MODEL_COST_MAP=True \
    DESKROUTE_DATABASE_URL=sqlite:////data/deskroute.db \
    DESKROUTE_KB_DIR=/data/kb
# libgomp: llama.cpp's OpenMP threads (the only native library the wheels need at run time)
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/*
# CPU-only torch first, so sentence-transformers does not pull a CUDA build.
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
COPY --from=build /wheels /wheels
# [server]: the OpenAI-compatible llama.cpp server (the compose file's slm-server profile)
RUN pip install --find-links /wheels 'deskroute[server]' && rm -rf /wheels
RUN useradd --create-home --uid 10001 deskroute && mkdir -p /data && chown deskroute /data
USER deskroute
WORKDIR /data
EXPOSE 8080
# The API's liveness; worker containers turn it off (docker-compose.yml).
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"
CMD ["deskroute", "serve", "--host", "0.0.0.0", "--port", "8080"]
