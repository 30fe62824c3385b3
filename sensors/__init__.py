"""vrex sensors (see docs/architecture.md)."""
