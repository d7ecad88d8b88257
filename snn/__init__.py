"""snn package."""
