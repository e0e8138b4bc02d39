"""Operations: readiness, metrics and log lines, for whoever runs the hub (docker/, Prometheus, a log shipper)."""
