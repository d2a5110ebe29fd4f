# cairn, built from this repository. The model and ONNX Runtime are fetched at build time by
# the same pinned, hash-checked script the README uses, so the image runs offline.
FROM rust:1.95-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-pip python3-venv \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
ENV CAIRN_CACHE_DIR=/opt/cairn-cache
RUN scripts/fetch-models.sh && cargo build --release --locked --bin cairn

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt/cairn-cache/models /opt/cairn/models
COPY --from=build /opt/cairn-cache/onnxruntime-1.31.1 /opt/cairn/onnxruntime-1.31.1
COPY --from=build /src/target/release/cairn /usr/local/bin/cairn
COPY docs-sample /app/docs-sample
WORKDIR /app
ENV CAIRN_CACHE_DIR=/opt/cairn \
    CAIRN_DATA_DIR=/data
VOLUME /data
ENTRYPOINT ["cairn"]
