# syntax=docker/dockerfile:1
# Build: a static binary, no cgo.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/gateway ./cmd/gateway

# Run: distroless static image, non-root user, nothing but the binary and CA certificates.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/gateway /gateway
USER nonroot:nonroot
EXPOSE 8080
ENV SWITCHBOARD_ADDR=:8080
# No shell or curl in the image: the binary probes its own /healthz
# (on the port of SWITCHBOARD_ADDR) and exits 0 or 1.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 CMD ["/gateway", "healthcheck"]
# SIGTERM starts the graceful shutdown (SWITCHBOARD_SHUTDOWN_TIMEOUT, 25 s by default).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/gateway"]
