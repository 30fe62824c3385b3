"""vrex sensors (see ../shared/design/architecture.md)."""
