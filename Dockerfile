# One image for every Inferlane process; the command picks the process
# (`python -m services.<name>`, see docs/deploy.md). Built in CI:
#   docker build -t ghcr.io/inferlane/inferlane:<version> .

# ---- builder: the virtual environment and the generated protos --------------------------
FROM python:3.11.14-slim-bookworm AS builder

SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# pip compiles the packages' bytecode here: the final image's root filesystem is read-only.
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src

# Runtime dependencies from pyproject.toml, pinned there; this layer only changes with it.
# Not the `devstack` extra: make run's embedded PostgreSQL, NATS and honcho stay out.
COPY pyproject.toml ./
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install pip==25.3 \
 && python -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))' \
      > /tmp/requirements.txt \
 && /opt/venv/bin/pip install -r /tmp/requirements.txt

# The GPU variant (`--build-arg VARIANT=gpu`, tagged <version>-gpu; the prod overlay's
# Triton takes its model environment from it): torch, the CUDA build PyPI serves for Linux,
# and onnx to read the models' weights. The text models then run on the GPU in fp16
# (services/inference/runtime/device.py); the CPU image stays without torch.
ARG VARIANT=cpu
RUN if [ "$VARIANT" = gpu ]; then /opt/venv/bin/pip install torch==2.13.0 onnx==1.23.2; fi

# nvidia-pytriton in its own venv, so it never reaches the final image: only its Python 3.11
# python-backend stub, which the official Triton image runs our models with
# (k8s/base/triton.yaml); --no-deps as in the Makefile.
RUN python -m venv /opt/tools \
 && /opt/tools/bin/pip install --no-deps nvidia-pytriton==0.7.0 \
 && mkdir -p /out/lib \
 && site=/opt/tools/lib/python3.11/site-packages \
 && cp "$site/pytriton/tritonserver/python_backend_stubs/3.11/triton_python_backend_stub" /out/ \
 && cp "$site"/nvidia_pytriton.libs/libcudart-*.so* /out/lib/

# Our packages (`services`, `inferlane`) as a wheel into the venv. The build hook generates
# the protos into it with tools/protogen.py, as `make protos` does; pip's isolated build env
# brings hatchling, grpcio-tools and mypy-protobuf (pyproject.toml) and leaves with them.
COPY hatch_build.py ./
COPY tools/protogen.py tools/
COPY protos/ protos/
COPY libs/inferlane libs/inferlane
COPY services services
RUN /opt/venv/bin/pip install --no-deps .

# ---- final: the venv, our code, the protos and the model repository; no build tools -----
FROM python:3.11.14-slim-bookworm

LABEL org.opencontainers.image.title="inferlane" \
      org.opencontainers.image.description="Inferlane: every process (gateway, auth, datasets, tasks, tasks-worker, inference) in one image" \
      org.opencontainers.image.licenses="Apache-2.0"

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN groupadd --system --gid 10001 inferlane \
 && useradd --system --uid 10001 --gid inferlane --no-create-home \
      --home-dir /nonexistent --shell /usr/sbin/nologin inferlane

COPY --from=builder /opt/venv /opt/venv
# The stub and the CUDA runtime it links (k8s/base/triton.yaml copies them into Triton's pod).
COPY --from=builder /out/ /opt/triton/python-3.11/

WORKDIR /app
# The model artefacts Triton loads (k8s/base/triton.yaml copies them from here); the code is
# in the venv. A namespace folder here cannot shadow the installed `services` package.
COPY services/inference/model_repository services/inference/model_repository
# The defaults that the settings derive from the source tree, kept where they were when the
# code lived in /app (the Kubernetes manifests set their own).
ENV INFERENCE_MODEL_REPOSITORY=/app/services/inference/model_repository \
    AUTH_SIGNING_KEY_FILE=/app/.data/auth/signing-key.pem \
    DATASETS_STORAGE_DIR=/app/.data/datasets

# Bytecode for the models' own files now: the root filesystem is read-only at run time
# (pip compiled the venv's).
RUN python -m compileall -q services

# Files stay root-owned and read-only for the process; writable paths are volumes.
USER 10001:10001

# gateway HTTP; auth, datasets, tasks, inference, tasks-worker gRPC; their /metrics ports.
EXPOSE 8080 50051 50052 50053 50054 50055 9101 9102 9103 9104 9105

CMD ["python", "-m", "services.gateway"]
